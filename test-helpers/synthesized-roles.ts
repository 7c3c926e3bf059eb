// The identity policies of the pipeline's Promote and SmokeTest roles, exactly as the CDK app synthesizes
// them (in-process, no credentials), with every CloudFormation reference resolved to the ARN it names in
// a fixed account and region, so a double can authorize requests against what a deploy would create.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APP_CONTEXT, addStage, readConfig, STEP_HANDLERS, type StageName, stageConfig } from '@slipway/cdk';
import { App } from 'aws-cdk-lib';
import type { PolicyDocument, PolicyStatement } from './iam-policy.js';

/** What a stage's deploy would give the callers of the inference Function URL. */
export interface SynthesizedCallers {
  readonly account: string;
  readonly region: string;
  readonly functionName: string;
  /** The `live` alias's ARN: the Function URL's resource. */
  readonly aliasArn: string;
  readonly promote: PolicyDocument;
  readonly smokeTest: PolicyDocument;
  /** The stage's managed policy for whoever runs `slipway verify --aws` (slipway-<stage>-verify-on-aws). */
  readonly verify: PolicyDocument;
}

type Template = {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown } }>;
};

/**
 * Synthesizes `stage` (about 5–10 s and 500 MB: once per test file) and returns the policies attached to
 * the Promote and SmokeTest functions' roles (inline and AWS::IAM::Policy; managed policies are not
 * read: the roles' only managed policy writes logs).
 */
export function synthesizedCallers(
  stage: StageName = 'dev',
  env = { account: '123456789012', region: 'eu-west-1' },
): SynthesizedCallers {
  const outdir = mkdtempSync(join(tmpdir(), 'slipway-cdk-roles-'));
  try {
    const app = new App({ outdir, context: { ...APP_CONTEXT } });
    const stacks = addStage(app, stageConfig(readConfig(), stage), env);
    const assembly = app.synth();
    const templates = Object.values(stacks).map(
      (stack) => assembly.getStackByName(stack.stackName).template as Template,
    );
    const exports = new Map<string, { value: unknown; template: Template }>();
    for (const template of templates) {
      for (const output of Object.values(template.Outputs ?? {})) {
        if (typeof output.Export?.Name === 'string')
          exports.set(output.Export.Name, { value: output.Value, template });
      }
    }
    const arn = (name: string) => `arn:aws:lambda:${env.region}:${env.account}:function:${name}`;
    const resolve = (value: unknown, template: Template): unknown => {
      if (Array.isArray(value)) return value.map((v) => resolve(v, template));
      if (value === null || typeof value !== 'object') return value;
      const entries = Object.entries(value);
      const [fn, arg] = entries[0] ?? [];
      const resource = (id: string) => template.Resources[id];
      if (entries.length === 1 && fn === 'Ref') {
        const id = String(arg);
        if (id === 'AWS::AccountId') return env.account;
        if (id === 'AWS::Region') return env.region;
        if (id === 'AWS::Partition') return 'aws';
        if (id === 'AWS::URLSuffix') return 'amazonaws.com';
        const r = resource(id);
        if (r?.Type === 'AWS::Lambda::Function') return resolve(r.Properties?.FunctionName ?? id, template);
        if (r?.Type === 'AWS::Lambda::Alias') {
          const fnName = resolve(r.Properties?.FunctionName, template);
          return `${arn(String(fnName))}:${String(resolve(r.Properties?.Name, template))}`;
        }
        return `unresolved:Ref:${id}`;
      }
      if (entries.length === 1 && fn === 'Fn::GetAtt') {
        const [id, attribute] = arg as [string, string];
        const r = resource(id);
        if (r?.Type === 'AWS::Lambda::Function' && attribute === 'Arn')
          return arn(String(resolve(r.Properties?.FunctionName ?? id, template)));
        // CloudFormation names a role or bucket without a name itself; the logical id stands in for it.
        if (r?.Type === 'AWS::IAM::Role' && attribute === 'Arn')
          return `arn:aws:iam::${env.account}:role/${String(resolve(r.Properties?.RoleName ?? id, template))}`;
        if (r?.Type === 'AWS::S3::Bucket' && attribute === 'Arn')
          return `arn:aws:s3:::${String(resolve(r.Properties?.BucketName ?? id, template))}`;
        return `unresolved:GetAtt:${id}.${attribute}`;
      }
      if (entries.length === 1 && fn === 'Fn::ImportValue') {
        const found = exports.get(String(resolve(arg, template)));
        return found ? resolve(found.value, found.template) : `unresolved:Import:${JSON.stringify(arg)}`;
      }
      if (entries.length === 1 && fn === 'Fn::Join') {
        const [separator, parts] = arg as [string, unknown[]];
        return parts.map((p) => String(resolve(p, template))).join(separator);
      }
      return Object.fromEntries(entries.map(([k, v]) => [k, resolve(v, template)]));
    };

    const pipeline = assembly.getStackByName(stacks.pipeline.stackName).template as Template;
    const policyOf = (handler: string): PolicyDocument => {
      const fn = Object.values(pipeline.Resources).find(
        (r) =>
          r.Type === 'AWS::Lambda::Function' &&
          (r.Properties?.ImageConfig as { Command?: unknown[] } | undefined)?.Command?.[0] === handler,
      );
      const role = (fn?.Properties?.Role as { 'Fn::GetAtt'?: [string, string] } | undefined)?.[
        'Fn::GetAtt'
      ]?.[0];
      if (role === undefined) throw new Error(`no function runs ${handler}, or its role is not in the stack`);
      const inline = (pipeline.Resources[role]?.Properties?.Policies ?? []) as {
        PolicyDocument: PolicyDocument;
      }[];
      const attached = Object.values(pipeline.Resources)
        .filter(
          (r) =>
            r.Type === 'AWS::IAM::Policy' &&
            ((r.Properties?.Roles ?? []) as unknown[]).some((x) => (x as { Ref?: string }).Ref === role),
        )
        .map((r) => r.Properties as { PolicyDocument: PolicyDocument });
      const statements = [...inline, ...attached].flatMap((p) => p.PolicyDocument.Statement);
      return { Statement: statements.map((s) => resolve(s, pipeline) as PolicyStatement) };
    };
    const managedPolicy = (name: string): PolicyDocument => {
      const found = Object.values(pipeline.Resources).find(
        (r) => r.Type === 'AWS::IAM::ManagedPolicy' && r.Properties?.ManagedPolicyName === name,
      );
      if (found === undefined) throw new Error(`the pipeline stack has no managed policy ${name}`);
      const document = found.Properties?.PolicyDocument as PolicyDocument;
      return { Statement: document.Statement.map((s) => resolve(s, pipeline) as PolicyStatement) };
    };
    const functionName = `slipway-${stage}-inference`;
    return {
      ...env,
      functionName,
      aliasArn: `${arn(functionName)}:live`,
      promote: policyOf(STEP_HANDLERS.promote),
      smokeTest: policyOf(STEP_HANDLERS.smokeTest),
      verify: managedPolicy(`slipway-${stage}-verify-on-aws`),
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

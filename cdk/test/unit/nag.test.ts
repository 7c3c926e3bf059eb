// cdk-nag's AWS Solutions and Serverless packs pass on every stage with reasoned suppressions only, and
// IAM uses "*" nowhere but where AWS offers nothing narrower.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STAGE_NAMES, type StageName } from '../../src/index.js';
import { type SynthesizedStage, synthStage } from '../helpers/synth.js';

/**
 * Every action allowed on `Resource: "*"`, with the reason AWS leaves no narrower choice. The test below
 * fails on any other, and on any entry here no stack uses any more.
 */
const WILDCARD_RESOURCE_ACTIONS: Readonly<Record<string, string>> = {
  'ecr:GetAuthorizationToken':
    'registry login: ECR defines no resource for it (promotion pushes model images, SageMaker and Fargate pull the training image)',
  'xray:PutTraceSegments': 'X-Ray tracing (functions and state machine): X-Ray defines no resource for it',
  'xray:PutTelemetryRecords': 'X-Ray tracing (functions and state machine): X-Ray defines no resource for it',
  'xray:GetSamplingRules': 'X-Ray tracing of the state machine: X-Ray defines no resource for it',
  'xray:GetSamplingTargets': 'X-Ray tracing of the state machine: X-Ray defines no resource for it',
  'logs:CreateLogDelivery':
    'state machine logging uses CloudWatch Logs vended delivery, whose actions accept only "*"',
  'logs:DeleteLogDelivery': 'state machine logging (vended delivery): only "*"',
  'logs:DescribeLogGroups': 'state machine logging (vended delivery): only "*"',
  'logs:DescribeResourcePolicies': 'state machine logging (vended delivery): only "*"',
  'logs:GetLogDelivery': 'state machine logging (vended delivery): only "*"',
  'logs:ListLogDeliveries': 'state machine logging (vended delivery): only "*"',
  'logs:PutResourcePolicy': 'state machine logging (vended delivery): only "*"',
  'logs:UpdateLogDelivery': 'state machine logging (vended delivery): only "*"',
  'sagemaker:ListTags':
    'createTrainingJob.sync: the documented Step Functions policy grants it on "*" (docs.aws.amazon.com/step-functions/latest/dg/sagemaker-iam.html)',
  'ecs:DescribeTaskDefinition':
    'the Fargate training task definition: ECS defines no resource for DescribeTaskDefinition (Service Authorization Reference)',
  'ecs:RegisterTaskDefinition':
    "a revision for an execution's training image: no resource to name; the roles a revision carries are bounded by iam:PassRole",
  'cloudwatch:GetMetricStatistics':
    "Promote counts the new version's requests during its canary: CloudWatch defines no resource for it",
  'cloudwatch:PutMetricData':
    'SageMaker training metrics: no resource-level permission; the statement is limited to its namespace by condition',
};

/** In a KMS key policy, "*" is the key itself: key policies always say so. */
const KEY_POLICY_ACTIONS: Readonly<Record<string, string>> = {
  'kms:*': "the account administers the alarm topic's key (CDK's default key policy)",
  'kms:Decrypt': 'CloudWatch alarms publish to the encrypted alarm topic',
  'kms:GenerateDataKey*': 'CloudWatch alarms publish to the encrypted alarm topic',
};

interface Statement {
  readonly Effect: string;
  readonly Action?: string | string[];
  readonly Resource?: unknown;
}

/** Every policy statement of a template, with where it is. */
function statements(
  template: Template,
): { where: string; kind: 'identity' | 'resource' | 'key'; statement: Statement }[] {
  const found: { where: string; kind: 'identity' | 'resource' | 'key'; statement: Statement }[] = [];
  const add = (where: string, kind: 'identity' | 'resource' | 'key', document: unknown) => {
    for (const statement of (document as { Statement?: Statement[] } | undefined)?.Statement ?? []) {
      found.push({ where, kind, statement });
    }
  };
  const resources = template.toJSON().Resources as Record<
    string,
    { Type: string; Properties?: Record<string, unknown> }
  >;
  for (const [id, { Type, Properties: p = {} }] of Object.entries(resources)) {
    if (Type === 'AWS::IAM::Role') {
      for (const policy of (p.Policies as { PolicyDocument: unknown }[] | undefined) ?? []) {
        add(id, 'identity', policy.PolicyDocument);
      }
    }
    if (Type === 'AWS::IAM::Policy' || Type === 'AWS::IAM::ManagedPolicy')
      add(id, 'identity', p.PolicyDocument);
    if (Type === 'AWS::KMS::Key') add(id, 'key', p.KeyPolicy);
    if (Type === 'AWS::S3::BucketPolicy' || Type === 'AWS::SNS::TopicPolicy')
      add(id, 'resource', p.PolicyDocument);
    if (Type === 'AWS::ECR::Repository') add(id, 'resource', p.RepositoryPolicyText);
  }
  return found;
}

describe.each(STAGE_NAMES)('stage %s under cdk-nag', (stage: StageName) => {
  let synth: SynthesizedStage;
  beforeAll(() => {
    synth = synthStage(stage, { nag: true });
  });
  afterAll(() => synth?.dispose());

  it('has no unsuppressed AwsSolutions or Serverless finding: no error or warning at all', () => {
    // The messages of the one synthesis `cdk synth` does. (Annotations.fromStack re-synthesizes the app,
    // and in that second pass cdk-nag sees cross-stack values already turned into imports.)
    const findings = synth.assembly.stacks.flatMap((stack) =>
      stack.messages
        .filter((m) => m.level === 'error' || m.level === 'warning')
        .map((m) => `${stack.stackName} ${m.level} ${m.id}: ${String(m.entry.data)}`),
    );
    expect(findings).toEqual([]);
    // cdk-nag did run: each pack wrote a report per stack, listing the rules it checked.
    const report = (pack: string, part: string) =>
      readFileSync(join(synth.assembly.directory, `${pack}--slipway-${stage}-${part}-NagReport.csv`), 'utf8');
    for (const part of ['storage', 'training', 'inference', 'pipeline', 'github']) {
      expect(report('AwsSolutions', part), part).toMatch(/,"Compliant",/);
      expect(report('Serverless', part), part).toMatch(/^Rule ID,/);
    }
    expect(report('Serverless', 'pipeline')).toMatch(
      /"Serverless-LambdaTracing","[^"]*\/Evaluate\/Function\/Resource","Compliant"/,
    );
    expect(report('AwsSolutions', 'pipeline')).toMatch(
      /"AwsSolutions-IAM5","[^"]*\/StateMachineRole\/Role\/Resource","Suppressed","\[Resource::\*\] /,
    );
  });

  it('gives every suppression a reason', () => {
    for (const template of Object.values(synth.templates)) {
      const resources = template.toJSON().Resources as Record<
        string,
        { Metadata?: { cdk_nag?: { rules_to_suppress: { id: string; reason: string }[] } } }
      >;
      for (const [id, resource] of Object.entries(resources)) {
        for (const rule of resource.Metadata?.cdk_nag?.rules_to_suppress ?? []) {
          expect(rule.reason.length, `${id} ${rule.id}`).toBeGreaterThanOrEqual(40);
        }
      }
    }
  });

  it('uses Resource "*" only for the actions AWS offers no resource for, and Action "*" nowhere', () => {
    const usedOnStar = new Set<string>();
    const keyActions = new Set<string>();
    for (const template of Object.values(synth.templates)) {
      for (const { where, kind, statement } of statements(template)) {
        const actions = [statement.Action ?? []].flat();
        expect(actions, `${where}: Action "*"`).not.toContain('*');
        const resources = [statement.Resource ?? []].flat();
        if (!resources.includes('*')) continue;
        if (kind === 'key') {
          for (const a of actions) keyActions.add(a);
          continue;
        }
        // A resource policy never grants on "*": its resource is the bucket, topic or repository.
        expect(kind, `${where} grants ${actions.join(', ')} on "*"`).toBe('identity');
        expect(statement.Effect, where).toBe('Allow');
        for (const a of actions) {
          expect(WILDCARD_RESOURCE_ACTIONS, `${where} grants ${a} on "*"`).toHaveProperty([a]);
          usedOnStar.add(a);
        }
      }
    }
    expect([...usedOnStar].sort()).toEqual(Object.keys(WILDCARD_RESOURCE_ACTIONS).sort());
    expect([...keyActions].sort()).toEqual(Object.keys(KEY_POLICY_ACTIONS).sort());
  });
});

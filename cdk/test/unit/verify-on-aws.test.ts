// What `slipway verify --aws` needs from a stage: the outputs it reads, and a managed policy for the
// people who run it, limited to the stage's rebuild jobs, its SageMaker role passed to SageMaker only, and
// the store areas a verification reads or adds to.

import { VERIFY_OUTPUTS } from '@slipway/contracts';
import type { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConfig, stageConfig, verifyJobNamePrefix } from '../../src/index.js';
import { render, type SynthesizedStage, synthStage } from '../helpers/synth.js';

interface Statement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const resourcesOf = (s: Statement) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]).map(render);

/** Every identity-policy statement of a template (inline, AWS::IAM::Policy, managed). */
function allStatements(t: Template): Statement[] {
  const out: Statement[] = [];
  for (const r of Object.values(
    t.toJSON().Resources as Record<
      string,
      { Type: string; Properties?: { Policies?: { PolicyDocument: unknown }[]; PolicyDocument?: unknown } }
    >,
  )) {
    const docs =
      r.Type === 'AWS::IAM::Role'
        ? (r.Properties?.Policies ?? []).map((p) => p.PolicyDocument)
        : r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy'
          ? [r.Properties?.PolicyDocument]
          : [];
    for (const d of docs) out.push(...((d as { Statement: Statement[] }).Statement ?? []));
  }
  return out;
}

describe('verify --aws on the stage', () => {
  const stage = 'dev';
  const config = stageConfig(readConfig(), stage);
  let synth: SynthesizedStage;
  beforeAll(() => {
    synth = synthStage(stage);
  });
  afterAll(() => synth?.dispose());

  it('the pipeline stack outputs the role, image, instance type, job name prefix and the policy', () => {
    const outputs = synth.templates.pipeline.toJSON().Outputs as Record<string, { Value: unknown }>;
    for (const name of VERIFY_OUTPUTS) expect(outputs[name], name).toBeDefined();
    expect(render(outputs.VerifyInstanceType?.Value)).toBe(config.training.instanceType);
    expect(render(outputs.VerifyJobNamePrefix?.Value)).toBe(`slipway-${stage}-verify`);
    expect(verifyJobNamePrefix(stage)).toBe(`slipway-${stage}-verify`);
    // The same role and image as the Train state's substitutions.
    const subs = synth.stacks.pipeline.definitionSubstitutions;
    const resolve = (v: string) => render(synth.stacks.pipeline.resolve(v));
    expect(render(outputs.VerifySageMakerRoleArn?.Value)).toBe(resolve(subs.SageMakerRoleArn as string));
    expect(render(outputs.VerifyTrainingImageUri?.Value)).toBe(resolve(subs.TrainingImageUri as string));
    expect(render(outputs.VerifyPolicyArn?.Value)).toMatch(/^<VerifyOnAwsPolicy[A-Z0-9]+>$/);
  });

  it('a managed policy, attached to nobody: training jobs with the prefix, PassRole to SageMaker only, create-only records', () => {
    const t = synth.templates.pipeline;
    const policies = t.findResources('AWS::IAM::ManagedPolicy', {
      Properties: { ManagedPolicyName: `slipway-${stage}-verify-on-aws` },
    });
    const found = Object.values(policies) as { Properties: Record<string, unknown> }[];
    expect(found).toHaveLength(1);
    const properties = found[0]?.Properties ?? {};
    expect(properties.Roles ?? properties.Users ?? properties.Groups).toBeUndefined();
    const statements = (properties.PolicyDocument as { Statement: Statement[] }).Statement;
    const bySid = (sid: string) => statements.find((s) => s.Sid === sid);
    const jobs = `arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:training-job/slipway-${stage}-verify-*`;

    expect(bySid('StartRebuilds')).toMatchObject({ Effect: 'Allow', Action: 'sagemaker:CreateTrainingJob' });
    expect(resourcesOf(bySid('StartRebuilds') as Statement)).toEqual([jobs]);
    expect(bySid('StartRebuilds')?.Condition).toEqual({
      'ForAllValues:StringEquals': { 'sagemaker:InstanceTypes': [config.training.instanceType] },
    });
    expect(actionsOf(bySid('FollowRebuilds') as Statement).sort()).toEqual([
      'sagemaker:DescribeTrainingJob',
      'sagemaker:StopTrainingJob',
    ]);
    expect(resourcesOf(bySid('FollowRebuilds') as Statement)).toEqual([jobs]);

    const pass = bySid('PassTheTrainingRole') as Statement;
    expect(pass.Action).toBe('iam:PassRole');
    expect(pass.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } });
    expect(resourcesOf(pass)).toHaveLength(1);
    expect(resourcesOf(pass)[0]).toMatch(/^<import:slipway-dev-training:ExportsOutputFnGetAttSageMakerRole/);

    // Every S3 write is create-only, and only of verification records.
    const puts = statements.filter((s) => actionsOf(s).includes('s3:PutObject'));
    expect(puts).toHaveLength(1);
    expect(puts[0]?.Condition).toEqual({ Null: { 's3:if-none-match': 'false' } });
    expect(resourcesOf(puts[0] as Statement)).toEqual([
      expect.stringMatching(/\/models\/\*\/verifications\/\*$/),
    ]);
    const all = statements.flatMap(actionsOf);
    expect(all.filter((a) => a.startsWith('s3:')).sort()).toEqual([
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
    ]);
    expect(all).not.toContain('s3:DeleteObject');
    expect(statements.every((s) => !resourcesOf(s).includes('*'))).toBe(true);
  });

  it('no role of the stage but the state machine can start training jobs or pass the SageMaker role: the GitHub role cannot', () => {
    for (const [part, t] of Object.entries(synth.templates)) {
      const roles = t.findResources('AWS::IAM::Role');
      for (const [id, role] of Object.entries(roles)) {
        const docs = ((role.Properties?.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[])
          .flatMap((p) => p.PolicyDocument.Statement)
          .flatMap(actionsOf);
        if (part === 'pipeline' && id.startsWith('StateMachineRole')) continue;
        expect(docs, `${part}/${id}`).not.toContain('sagemaker:CreateTrainingJob');
      }
    }
    const github = allStatements(synth.templates.github).flatMap(actionsOf);
    expect(github).not.toContain('iam:PassRole');
    expect(github).not.toContain('sagemaker:CreateTrainingJob');
    synth.templates.github.resourceCountIs('AWS::IAM::ManagedPolicy', 0);
  });
});

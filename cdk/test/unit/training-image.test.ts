// An execution trains on the image its input names: the roles that pull it may pull from the stage's
// training repository and nowhere else, and the revisions registered for it carry only the stage's roles.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render, type SynthesizedStage, synthStage } from '../helpers/synth.js';

type Statement = {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
};
type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

/** Every statement of a role: its inline policies and the AWS::IAM::Policy resources attached to it. */
function statementsOf(resources: Resources, roleId: string): Statement[] {
  const inline = (
    (resources[roleId]?.Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[]
  ).flatMap((p) => p.PolicyDocument.Statement);
  const attached = Object.values(resources)
    .filter(
      (r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles).includes(`"${roleId}"`),
    )
    .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
  return [...inline, ...attached];
}

const roleId = (resources: Resources, prefix: string) => {
  const ids = Object.keys(resources).filter(
    (id) => resources[id]?.Type === 'AWS::IAM::Role' && id.startsWith(prefix),
  );
  expect(ids, prefix).toHaveLength(1);
  return ids[0] as string;
};

/** The resources each ECR pull action is allowed on, rendered. */
function pulls(statements: Statement[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const s of statements) {
    for (const action of [s.Action].flat()) {
      if (!/^ecr:(BatchGetImage|GetDownloadUrlForLayer|BatchCheckLayerAvailability)$/.test(action)) continue;
      out[action] = [...(out[action] ?? []), ...[s.Resource].flat().map((r) => render(r))].sort();
    }
  }
  return out;
}

describe('the training image from the execution input', () => {
  let synth: SynthesizedStage;
  beforeAll(() => {
    synth = synthStage('dev');
  });
  afterAll(() => synth?.dispose());

  it("SageMaker's role and the Fargate execution role pull from the stage's training repository only", () => {
    const training = synth.templates.training.toJSON().Resources as Resources;
    const repository =
      '<import:slipway-dev-storage:ExportsOutputFnGetAttTrainingRepositoryC4752F44ArnDE95982B>';
    const only = [repository];
    expect(pulls(statementsOf(training, roleId(training, 'SageMakerRole')))).toEqual({
      'ecr:BatchCheckLayerAvailability': only,
      'ecr:BatchGetImage': only,
      'ecr:GetDownloadUrlForLayer': only,
    });
    // The same repository, named as CDK names its asset repository (slipway-<stage>/training).
    const byName = [
      'arn:<AWS::Partition>:ecr:<AWS::Region>:<AWS::AccountId>:repository/slipway-dev/training',
    ];
    expect(pulls(statementsOf(training, roleId(training, 'TaskExecutionRole')))).toEqual({
      'ecr:BatchCheckLayerAvailability': byName,
      'ecr:BatchGetImage': byName,
      'ecr:GetDownloadUrlForLayer': byName,
    });
  });

  it('the TrainingTaskDefinition function passes only the training task and execution roles, only to ECS tasks', () => {
    const pipeline = synth.templates.pipeline.toJSON().Resources as Resources;
    const statements = statementsOf(pipeline, roleId(pipeline, 'TrainingTaskRole'));
    const pass = statements.filter((s) => [s.Action].flat().includes('iam:PassRole'));
    expect(pass).toHaveLength(1);
    expect(
      [pass[0]?.Resource]
        .flat()
        .map((r) => render(r))
        .sort(),
    ).toEqual([
      expect.stringMatching(/^<import:slipway-dev-training:ExportsOutputFnGetAttTaskExecutionRole.*Arn.*>$/),
      expect.stringMatching(/^<import:slipway-dev-training:ExportsOutputFnGetAttTaskRole.*Arn.*>$/),
    ]);
    expect(pass[0]?.Condition).toEqual({
      StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' },
    });
    const ecs = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('ecs:')));
    expect(ecs.map((s) => [[s.Action].flat(), s.Resource])).toEqual([
      [['ecs:DescribeTaskDefinition'], '*'],
      [['ecs:RegisterTaskDefinition'], '*'],
    ]);
  });

  it("the state machine runs the stage's family and the image families, on the stage's cluster", () => {
    const pipeline = synth.templates.pipeline.toJSON().Resources as Resources;
    const statements = statementsOf(pipeline, roleId(pipeline, 'StateMachineRole'));
    const run = statements.find((s) => s.Sid === 'RunFargateTrainingTasks');
    expect([run?.Resource].flat().map((r) => render(r))).toEqual([
      'arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:task-definition/slipway-dev-training:*',
      'arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:task-definition/slipway-dev-training-image-*:*',
    ]);
    expect(render(run?.Condition?.ArnEquals?.['ecs:cluster'])).toMatch(/Cluster/);
    const invoke = statements.find((s) => s.Sid === 'InvokeStepFunctions');
    expect([invoke?.Resource].flat().map((r) => render(r))).toContainEqual(
      expect.stringMatching(/^<TrainingTaskFunction.*\.Arn>$/),
    );
  });
});

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { type ModelStore, openStore } from '@slipway/model-store';
import { recordApprovalToken } from '@slipway/runner-aws';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { awsError, FakeAws } from '../../../../test-helpers/aws-fake-client.js';
import { executionArnOf, recordSteps, stackOutputs } from '../../../../test-helpers/sfn-history.js';
import { EXIT_CODES } from '../../src/exit-codes.js';
import { fakeClients, slipwayAws } from '../helpers/aws-cli.js';

let root: string;
let storeUri: string;
let store: ModelStore;
let cloudformation: FakeAws;
let sfn: FakeAws;
let logs: FakeAws;
let fake: ReturnType<typeof fakeClients>;
const NOW = Date.parse('2025-03-01T12:00:00Z');

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'slipway-aws-cli-'));
  storeUri = `file://${join(root, 'store')}`;
  store = await openStore(storeUri, { actor: 'test' });
  cloudformation = new FakeAws().on(DescribeStacksCommand, stackOutputs(storeUri));
  sfn = new FakeAws();
  logs = new FakeAws();
  fake = fakeClients({ cloudformation, sfn, logs });
});
afterEach(async () => {
  await store.close();
  await rm(root, { recursive: true, force: true });
});

const deps = () => ({ clients: fake.clients, sleep: async () => {}, now: () => NOW });

describe('slipway start --aws', () => {
  it('happy-path: uploads the dataset, starts the execution, waits for approval, writes the PR comment', async () => {
    sfn
      .on(StartExecutionCommand, (input: { name: string }) => ({
        executionArn: executionArnOf(input.name),
        startDate: new Date(NOW),
      }))
      // The steps write their records while the CLI polls: nothing yet, then up to the approval request.
      .on(DescribeExecutionCommand, async (input: { executionArn: string }, n: number) => {
        if (n === 2) await recordSteps(store, input.executionArn, 'Approval');
        return { status: 'RUNNING' };
      });
    const commentFile = join(root, 'out.md');
    const result = await slipwayAws(
      deps(),
      'start',
      '--aws',
      '--wait',
      '--commit',
      '0123456789abcdef0123',
      '--pr',
      '17',
      '--comment-file',
      commentFile,
      '--region',
      'eu-west-1',
      '--json',
    );
    expect(result.stderr).not.toContain('error');
    expect(result.code).toBe(0);
    expect(fake.regions).toEqual(['eu-west-1']);

    const [start] = sfn.inputs(StartExecutionCommand);
    const input = JSON.parse(String(start?.input)) as Record<string, unknown>;
    const [sha256] = await store.listDatasetVersions('sentiment');
    expect(start?.stateMachineArn).toBe(stackOutputs(storeUri).Stacks[0]?.Outputs[0]?.OutputValue);
    expect(start?.name).toBe(`sentiment-${input.runId}`);
    expect(input).toMatchObject({
      model: 'sentiment',
      dataset: { name: 'sentiment', sha256 },
      compute: 'sagemaker',
      git: { commit: '0123456789abcdef0123', pullRequest: '17' },
      trigger: 'pull-request',
      thresholds: { minAccuracy: 0, minBaselineGain: 0.2, maxRegression: 0.01, minClassF1: 0 },
    });
    expect(String(input.runId)).toMatch(/^20250301t120000-[0-9a-f]{6}$/);

    const output = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(output).toMatchObject({
      name: start?.name,
      status: 'WAITING_FOR_APPROVAL',
      version: 4,
      stage: 'dev',
    });
    const comment = await readFile(commentFile, 'utf8');
    expect(comment.split('\n')[0]).toBe('<!-- slipway-evaluation -->');
    expect(comment).toContain(`slipway approve --aws ${start?.name} --comment "<why>"`);
    expect(comment).toContain('| F1 `positive` | 85.2% | 84.0% |');
    expect(result.stderr).toContain('  ok  Register');
    // Followed without the history, which would show the approval's task token.
    expect(sfn.inputs(GetExecutionHistoryCommand)).toEqual([]);
  });

  it('gate-fails: the comment says so and the command fails', async () => {
    sfn
      .on(StartExecutionCommand, (input: { name: string }) => ({ executionArn: executionArnOf(input.name) }))
      .on(DescribeExecutionCommand, async (input: { executionArn: string }) => {
        await recordSteps(store, input.executionArn, 'Evaluate');
        return { status: 'FAILED', error: 'GateFailed', cause: 'accuracy 0.41 < 0.60' };
      });
    const commentFile = join(root, 'out.md');
    const result = await slipwayAws(deps(), 'start', '--aws', '--wait', '--comment-file', commentFile);
    expect(result.code).toBe(EXIT_CODES.gateFailed);
    expect(result.stderr).toContain('is FAILED (GateFailed: accuracy 0.41 < 0.60)');
    expect(await readFile(commentFile, 'utf8')).toContain('### slipway: the candidate did not pass the gate');
  });

  it('needs --aws, and names the command to deploy a missing stack', async () => {
    const local = await slipwayAws(deps(), 'start');
    expect(local.code).toBe(1);
    expect(local.stderr).toContain('slipway start runs the pipeline on AWS: add --aws');
    cloudformation.on(
      DescribeStacksCommand,
      awsError('ValidationError', 'Stack with id slipway-dev-pipeline does not exist'),
    );
    const missing = await slipwayAws(deps(), 'start', '--aws');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(
      'the stack slipway-dev-pipeline does not exist: deploy it with `npx cdk deploy -c stage=dev`',
    );
  });

  it('--compute picks where training runs; --trainer, its old name, still works with a one-line warning', async () => {
    sfn
      .on(StartExecutionCommand, (input: { name: string }) => ({
        executionArn: executionArnOf(input.name),
        startDate: new Date(NOW),
      }))
      .on(DescribeExecutionCommand, { status: 'RUNNING' });
    const current = await slipwayAws(deps(), 'start', '--aws', '--compute', 'fargate', '--json');
    expect(current.code).toBe(0);
    expect(current.stderr).not.toContain('deprecated');
    const old = await slipwayAws(deps(), 'start', '--aws', '--trainer', 'fargate', '--json');
    expect(old.code).toBe(0);
    expect(old.stderr.split('\n').filter((line) => line.includes('--trainer'))).toEqual([
      'warning: --trainer fargate is deprecated; use --compute fargate',
    ]);
    const defaulted = await slipwayAws(deps(), 'start', '--aws', '--json');
    expect(defaulted.code).toBe(0);
    const inputs = sfn
      .inputs(StartExecutionCommand)
      .map((start) => JSON.parse(String(start.input)) as Record<string, unknown>);
    // trainer names the training code now: the built-in one, whatever the compute.
    expect(inputs.map((input) => [input.compute, input.trainer])).toEqual([
      ['fargate', { type: 'builtin' }],
      ['fargate', { type: 'builtin' }],
      ['sagemaker', { type: 'builtin' }],
    ]);
  });

  it('reads slipway.json: model, data, hyperparameters, gate and compute, each overridden by its flag', async () => {
    sfn
      .on(StartExecutionCommand, (input: { name: string }) => ({
        executionArn: executionArnOf(input.name),
        startDate: new Date(NOW),
      }))
      .on(DescribeExecutionCommand, { status: 'RUNNING' });
    await writeFile(
      join(root, 'slipway.json'),
      JSON.stringify({
        model: 'reviews',
        data: { train: 'builtin:spam' },
        hyperparameters: { C: 4, ngramMax: 3 },
        thresholds: { minAccuracy: 0.7 },
        compute: 'fargate',
      }),
    );
    const fromFile = await slipwayAws(deps(), 'start', '--aws', '--project', root, '--json');
    expect(fromFile.code).toBe(0);
    expect(fromFile.stderr).toContain(`project   ${join(root, 'slipway.json')}`);
    const flagged = await slipwayAws(
      deps(),
      'start',
      '--aws',
      '--project',
      root,
      '--model',
      'other',
      '--hp',
      'C=2',
      '--min-accuracy',
      '0.5',
      '--compute',
      'sagemaker',
      '--json',
    );
    expect(flagged.code).toBe(0);
    const [first, second] = sfn
      .inputs(StartExecutionCommand)
      .map((start) => JSON.parse(String(start.input)) as Record<string, unknown>);
    expect(first).toMatchObject({
      model: 'reviews',
      dataset: { name: 'spam' },
      hyperparameters: { C: '4', ngramMax: '3' },
      thresholds: { minAccuracy: 0.7 },
      compute: 'fargate',
    });
    expect(second).toMatchObject({
      model: 'other',
      dataset: { name: 'spam' },
      hyperparameters: { C: '2', ngramMax: '3' },
      thresholds: { minAccuracy: 0.5 },
      compute: 'sagemaker',
    });
  });

  it('refuses --compute and --trainer that disagree before asking AWS anything (usage error)', async () => {
    const result = await slipwayAws(
      deps(),
      'start',
      '--aws',
      '--compute',
      'sagemaker',
      '--trainer',
      'fargate',
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--compute sagemaker and --trainer fargate disagree');
    expect(sfn.inputs(StartExecutionCommand)).toEqual([]);
  });

  it('refuses hyperparameters the trainer would refuse before asking AWS anything (usage error)', async () => {
    const result = await slipwayAws(deps(), 'start', '--aws', '--hp', 'bogus=1');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown hyperparameter "bogus"');
    expect(cloudformation.inputs(DescribeStacksCommand)).toEqual([]);
    expect(sfn.inputs(StartExecutionCommand)).toEqual([]);
  });
});

describe('slipway executions --aws', () => {
  it('lists the state machine executions as JSON; the local subcommands keep their options', async () => {
    sfn.on(ListExecutionsCommand, {
      executions: [
        {
          name: 'e2',
          executionArn: executionArnOf('e2'),
          status: 'RUNNING',
          startDate: new Date(NOW - 60_000),
        },
      ],
    });
    const listed = await slipwayAws(deps(), 'executions', '--aws', '--json', '--status', 'RUNNING');
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([
      {
        name: 'e2',
        executionArn: executionArnOf('e2'),
        status: 'RUNNING',
        startDate: new Date(NOW - 60_000).toISOString(),
        stopDate: null,
      },
    ]);
    expect(sfn.inputs(ListExecutionsCommand)[0]).toMatchObject({ statusFilter: 'RUNNING', maxResults: 20 });

    const local = await slipwayAws(deps(), 'executions', 'list', '--store', storeUri, '--json');
    expect(local.code).toBe(0);
    expect(JSON.parse(local.stdout)).toEqual([]);
    expect(fake.regions).toHaveLength(1);
  });
});

describe('slipway approve|reject --aws', () => {
  const arn = executionArnOf('sentiment-20250301t120000-abc123');

  it('approves with the token the Approval function kept, once', async () => {
    await recordApprovalToken(store, { executionId: arn, taskToken: 'task-token-1' });
    sfn.on(SendTaskSuccessCommand, {});
    const approved = await slipwayAws(
      deps(),
      'approve',
      '--aws',
      'sentiment-20250301t120000-abc123',
      '--by',
      'ana',
      '--comment',
      'ok',
      '--json',
    );
    expect(approved.code).toBe(0);
    const [sent] = sfn.inputs(SendTaskSuccessCommand);
    expect(sent?.taskToken).toBe('task-token-1');
    const output = JSON.parse(String(sent?.output)) as Record<string, unknown>;
    expect(output).toEqual({ approved: true, approvedBy: 'ana', comment: 'ok', decidedAt: output.decidedAt });
    expect(Number.isNaN(Date.parse(String(output.decidedAt)))).toBe(false);
    expect(JSON.parse(approved.stdout)).toEqual({
      id: 'sentiment-20250301t120000-abc123',
      executionArn: arn,
      decision: 'approve',
      by: 'ana',
      output,
    });

    const again = await slipwayAws(deps(), 'reject', '--aws', arn, '--by', 'bo', '--reason', 'no');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(
      `execution sentiment-20250301t120000-abc123 was already approved by ana at ${output.decidedAt} (via cli)`,
    );
    expect(sfn.names()).toEqual(['SendTaskSuccess']);
  });

  it('approval-rejected: SendTaskFailure with error Rejected and the reason', async () => {
    await recordApprovalToken(store, { executionId: arn, taskToken: 'task-token-2' });
    sfn.on(SendTaskFailureCommand, {});
    const rejected = await slipwayAws(
      deps(),
      'reject',
      '--aws',
      'sentiment-20250301t120000-abc123',
      '--by',
      'bo',
      '--reason',
      'worse on negatives',
    );
    expect(rejected.code).toBe(0);
    expect(rejected.stdout).toBe(
      'rejected execution sentiment-20250301t120000-abc123 as bo: worse on negatives\n',
    );
    expect(sfn.inputs(SendTaskFailureCommand)).toEqual([
      { taskToken: 'task-token-2', error: 'Rejected', cause: 'worse on negatives' },
    ]);
  });

  it('explains an execution that has not asked for approval, or no longer waits', async () => {
    const none = await slipwayAws(deps(), 'approve', '--aws', 'never-asked');
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('execution never-asked has not asked for approval');
    await recordApprovalToken(store, { executionId: arn, taskToken: 'old' });
    sfn.on(SendTaskSuccessCommand, awsError('TaskTimedOut', 'Task Timed Out'));
    const closed = await slipwayAws(deps(), 'approve', '--aws', arn);
    expect(closed.stderr).toContain('no longer waits for approval (TaskTimedOut: Task Timed Out)');
  });

  it('without --aws the local command runs, and AWS is not contacted', async () => {
    const local = await slipwayAws(deps(), 'approve', 'local-1', '--store', storeUri);
    expect(local.code).toBe(EXIT_CODES.notFound);
    expect(local.stderr).toContain('local-1');
    expect(fake.regions).toEqual([]);
  });
});

describe('slipway logs', () => {
  it('prints the stack log groups as one stream', async () => {
    logs.on(FilterLogEventsCommand, (input: { logGroupName: string }) => ({
      events: input.logGroupName.includes('promote')
        ? [{ eventId: 'p1', timestamp: NOW - 1000, message: 'alias moved\n', logStreamName: 's' }]
        : [
            {
              eventId: 's1',
              timestamp: NOW - 2000,
              message: '{"type":"TaskStateEntered"}',
              logStreamName: 's',
            },
          ],
    }));
    const result = await slipwayAws(deps(), 'logs', '--since', '10m');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        `${new Date(NOW - 2000).toISOString()} slipway-dev-pipeline {"type":"TaskStateEntered"}`,
        `${new Date(NOW - 1000).toISOString()} slipway-dev-promote  alias moved`,
        '',
      ].join('\n'),
    );
    expect(logs.inputs(FilterLogEventsCommand).map((i) => i.startTime)).toEqual([
      NOW - 600_000,
      NOW - 600_000,
    ]);
  });
});

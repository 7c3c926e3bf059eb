import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeExecutionCommand, ListExecutionsCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { exitNameForError } from '@slipway/contracts';
import { describe, expect, it } from 'vitest';
import { awsError, FakeAws } from '../../../../../test-helpers/aws-fake-client.js';
import {
  evaluation,
  executionArnOf,
  recordsInTurn,
  STATE_MACHINE_ARN,
  stackOutputs,
} from '../../../../../test-helpers/sfn-history.js';
import { StartExecutionDouble } from '../../../../../test-helpers/sfn-start-execution.js';
import type { AwsClients } from '../../../src/stage/clients.js';
import { AwsExecutionError, AwsExecutionNotFoundError, AwsStageError } from '../../../src/stage/errors.js';
import {
  describeAwsExecution,
  executionArn,
  listAwsExecutions,
  readAwsExecution,
  startAwsExecution,
  waitForApprovalOrEnd,
} from '../../../src/stage/executions.js';
import { type LogLine, parseSince, tailLogs } from '../../../src/stage/logs.js';
import { resolveAwsStage } from '../../../src/stage/stage.js';

const sfnOf = (fake: FakeAws) => fake.client<AwsClients['sfn']>();

describe('resolveAwsStage', () => {
  it('reads the outputs of slipway-<stage>-pipeline', async () => {
    const cfn = new FakeAws().on(DescribeStacksCommand, stackOutputs('s3://bucket/store'));
    const stage = await resolveAwsStage({ stage: 'dev' }, { cloudformation: cfn.client() });
    expect(cfn.inputs(DescribeStacksCommand)).toEqual([{ StackName: 'slipway-dev-pipeline' }]);
    expect(stage.need('StoreUri')).toBe('s3://bucket/store');
    expect(stage.logGroupNames()).toEqual([
      '/aws/vendedlogs/states/slipway-dev-pipeline',
      '/aws/lambda/slipway-dev-promote',
    ]);
  });

  it('says how to deploy a missing stack', async () => {
    const cfn = new FakeAws().on(
      DescribeStacksCommand,
      awsError('ValidationError', 'Stack with id slipway-prod-pipeline does not exist'),
    );
    const error = await resolveAwsStage(
      { stage: 'prod', region: 'eu-west-1' },
      { cloudformation: cfn.client() },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsStageError);
    expect((error as Error).message).toBe(
      'the stack slipway-prod-pipeline does not exist in eu-west-1: deploy it with `npx cdk deploy -c stage=prod`, or pick another with --stage/--stack/--region',
    );
  });

  it('names a missing output', async () => {
    const cfn = new FakeAws().on(DescribeStacksCommand, {
      Stacks: [{ StackStatus: 'CREATE_COMPLETE', Outputs: [] }],
    });
    const stage = await resolveAwsStage({ stack: 'custom' }, { cloudformation: cfn.client() });
    expect(() => stage.need('StateMachineArn')).toThrow('the stack custom has no StateMachineArn output');
  });
});

describe('executions on AWS', () => {
  it('maps names to ARNs and refuses another state machine', () => {
    expect(executionArn(STATE_MACHINE_ARN, 'sentiment-20250301t120000-abc123')).toBe(
      executionArnOf('sentiment-20250301t120000-abc123'),
    );
    expect(executionArn(STATE_MACHINE_ARN, executionArnOf('x'))).toBe(executionArnOf('x'));
    expect(() =>
      executionArn(STATE_MACHINE_ARN, 'arn:aws:states:eu-west-1:123456789012:execution:other:x'),
    ).toThrow(AwsExecutionError);
    expect(() => executionArn(STATE_MACHINE_ARN, 'bad name')).toThrow('invalid execution name "bad name"');
  });

  const waiting = { evaluation, request: { version: 4, requestedAt: '2025-03-01T12:05:00.000Z' } };
  const evaluated = { evaluation, request: null };
  const nothing = { evaluation: null, request: null };

  it('reads the status from DescribeExecution and the evaluation, version and approval request from the store, never the history', async () => {
    const sfn = new FakeAws().on(DescribeExecutionCommand, { status: 'RUNNING' });
    const progress = await readAwsExecution(sfnOf(sfn), executionArnOf('e1'), recordsInTurn(waiting));
    expect(progress).toMatchObject({
      status: 'RUNNING',
      state: 'Approval',
      waitingForApproval: true,
      evaluation,
      version: 4,
      error: null,
    });
    expect(progress.exited.map((s) => s.name)).toEqual(['Evaluate', 'Register']);
    // The history holds the Approval task's token: the pipeline role may not read it, and the CLI does not.
    expect(sfn.names()).toEqual(['DescribeExecution']);
  });

  it('waits through training until approval, reporting each finished state once', async () => {
    const sfn = new FakeAws().on(DescribeExecutionCommand, { status: 'RUNNING' });
    const sleeps: number[] = [];
    const seen: string[] = [];
    const progress = await waitForApprovalOrEnd(
      sfnOf(sfn),
      executionArnOf('e1'),
      recordsInTurn(nothing, evaluated, waiting),
      {
        pollMs: 5000,
        sleep: async (ms) => {
          sleeps.push(ms);
        },
        onExited: (state) => seen.push(state.name),
      },
    );
    expect(progress.waitingForApproval).toBe(true);
    expect(sleeps).toEqual([5000, 5000]);
    expect(seen).toEqual(['Evaluate', 'Register']);
    expect(new Set(sfn.names())).toEqual(new Set(['DescribeExecution']));
  });

  it('gate-fails: returns the ended execution with its error and the Fail state that raised it', async () => {
    const sfn = new FakeAws().on(DescribeExecutionCommand, {
      status: 'FAILED',
      error: 'GateFailed',
      cause: 'accuracy 0.41 < 0.60',
    });
    const progress = await waitForApprovalOrEnd(sfnOf(sfn), executionArnOf('e1'), recordsInTurn(evaluated));
    expect(progress).toMatchObject({
      status: 'FAILED',
      state: 'EvaluationFailedGate',
      waitingForApproval: false,
      error: 'GateFailed',
      evaluation,
      version: null,
    });
  });

  it('describes an execution with its input and output parsed; an unknown one is not found (exit notFound)', async () => {
    const sfn = new FakeAws().on(
      DescribeExecutionCommand,
      {
        executionArn: executionArnOf('e1'),
        name: 'e1',
        status: 'SUCCEEDED',
        input: '{"model":"sentiment"}',
        output: '{"version":4}',
      },
      awsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArnOf('e2')}'`),
    );
    expect(await describeAwsExecution(sfnOf(sfn), executionArnOf('e1'))).toMatchObject({
      name: 'e1',
      status: 'SUCCEEDED',
      stopDate: null,
      input: { model: 'sentiment' },
      output: { version: 4 },
    });
    const missing = await describeAwsExecution(sfnOf(sfn), executionArnOf('e2')).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(AwsExecutionNotFoundError);
    expect(exitNameForError(missing)).toBe('notFound');
  });

  it('names the final state of each ending: Done, Rejected, PromotionFailed; none for an unknown error', async () => {
    const ended = async (described: Record<string, unknown>) =>
      (
        await readAwsExecution(
          sfnOf(new FakeAws().on(DescribeExecutionCommand, described)),
          executionArnOf('e1'),
          recordsInTurn(waiting),
        )
      ).state;
    expect(await ended({ status: 'SUCCEEDED' })).toBe('Done');
    expect(await ended({ status: 'FAILED', error: 'Rejected' })).toBe('Rejected');
    expect(await ended({ status: 'FAILED', error: 'PromotionFailed' })).toBe('PromotionFailed');
    expect(await ended({ status: 'FAILED', error: 'States.Timeout' })).toBeNull();
  });

  it('gives up after the timeout', async () => {
    let t = 0;
    const sfn = new FakeAws().on(DescribeExecutionCommand, { status: 'RUNNING' });
    await expect(
      waitForApprovalOrEnd(sfnOf(sfn), executionArnOf('e1'), recordsInTurn(nothing), {
        timeoutMs: 60_000,
        pollMs: 20_000,
        now: () => t,
        sleep: async (ms) => {
          t += ms;
        },
      }),
    ).rejects.toThrow(`execution ${executionArnOf('e1')} is still running at an unknown state after 1 min`);
  });

  it('lists executions newest first, page by page up to the limit', async () => {
    const item = (n: number) => ({
      name: `e${n}`,
      executionArn: executionArnOf(`e${n}`),
      status: 'SUCCEEDED',
      startDate: new Date(n * 1000),
    });
    const sfn = new FakeAws().on(
      ListExecutionsCommand,
      { executions: [item(3), item(2)], nextToken: 'n' },
      { executions: [item(1)] },
    );
    const list = await listAwsExecutions(sfnOf(sfn), STATE_MACHINE_ARN, { limit: 3, status: 'SUCCEEDED' });
    expect(list.map((e) => e.name)).toEqual(['e3', 'e2', 'e1']);
    expect(sfn.inputs(ListExecutionsCommand)).toEqual([
      { stateMachineArn: STATE_MACHINE_ARN, maxResults: 3, statusFilter: 'SUCCEEDED' },
      { stateMachineArn: STATE_MACHINE_ARN, maxResults: 1, statusFilter: 'SUCCEEDED', nextToken: 'n' },
    ]);
  });
});

describe('tailLogs', () => {
  it('merges the groups in time order and, following, prints each event once, late ones too', async () => {
    const ev = (id: string, timestamp: number, message: string) => ({
      eventId: id,
      timestamp,
      message: `${message}\n`,
      logStreamName: 's',
    });
    const logs = new FakeAws().on(
      FilterLogEventsCommand,
      (input: { logGroupName: string; startTime: number }) => {
        if (input.logGroupName === '/aws/lambda/missing')
          throw awsError('ResourceNotFoundException', 'no group');
        const first = input.startTime === 50;
        if (input.logGroupName === 'a')
          return first
            ? { events: [ev('a1', 100, 'a one'), ev('a2', 300, 'a two')] }
            : { events: [ev('a2', 300, 'a two'), ev('a3', 300, 'a three')] };
        return { events: first ? [] : [ev('b1', 200, 'b one')] };
      },
    );
    const lines: LogLine[] = [];
    const abort = new AbortController();
    let polls = 0;
    await tailLogs(logs.client(), ['a', 'b', '/aws/lambda/missing'], {
      startTime: 50,
      lookbackMs: 150,
      follow: true,
      signal: abort.signal,
      sleep: async () => {
        if (++polls === 2) abort.abort();
      },
      onLine: (line) => lines.push(line),
    });
    // b1 (t=200) was ingested after a2 (t=300) was printed: the look-back still finds it.
    expect(lines.map((l) => `${l.timestamp} ${l.group} ${l.message}`)).toEqual([
      '100 a a one',
      '300 a a two',
      '200 b b one',
      '300 a a three',
    ]);
    expect(
      logs
        .inputs(FilterLogEventsCommand)
        .filter((i) => i.logGroupName === 'a')
        .map((i) => i.startTime),
    ).toEqual([50, 150]);
  });

  it('parses --since', () => {
    expect(parseSince('15m', 1_000_000)).toBe(100_000);
    expect(parseSince('2025-03-01T12:00:00Z')).toBe(Date.parse('2025-03-01T12:00:00Z'));
    expect(() => parseSince('yesterday')).toThrow('--since "yesterday" is not a duration');
  });
});

describe('startAwsExecution against StartExecution as documented', () => {
  const input = {
    model: 'sentiment',
    runId: '20250301t120000-abc123',
    dataset: { name: 'sentiment', sha256: 'a'.repeat(64) },
    hyperparameters: {},
    git: { commit: '', pullRequest: '' },
    compute: 'sagemaker',
    trainer: { type: 'builtin' },
    trainingImage: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipway-dev/training@sha256:${'b'.repeat(64)}`,
    thresholds: { minAccuracy: 0, minBaselineGain: 0.2, maxRegression: 0.01, minClassF1: 0 },
    approvalTimeoutSeconds: 3600,
    trigger: 'cli',
  } as const;

  it('starts <model>-<runId> with the input as JSON; the same start again is the same execution', async () => {
    const double = new StartExecutionDouble(STATE_MACHINE_ARN);
    const sfn = new FakeAws().on(StartExecutionCommand, double.reply);
    const first = await startAwsExecution(sfnOf(sfn), STATE_MACHINE_ARN, input);
    expect(first.name).toBe('sentiment-20250301t120000-abc123');
    expect(first.executionArn).toBe(executionArnOf(first.name));
    expect(double.started()).toEqual([{ name: first.name, executionArn: first.executionArn, input }]);
    const again = await startAwsExecution(sfnOf(sfn), STATE_MACHINE_ARN, input);
    expect(again.executionArn).toBe(first.executionArn);
    expect(double.started()).toHaveLength(1);
  });

  it('each refusal of the API reaches the caller as AwsExecutionError naming it', async () => {
    const double = new StartExecutionDouble(STATE_MACHINE_ARN);
    const sfn = new FakeAws().on(StartExecutionCommand, double.reply);
    const start = (arn: string, over: Record<string, unknown> = {}) =>
      startAwsExecution(sfnOf(sfn), arn, { ...input, ...over } as typeof input);
    await start(STATE_MACHINE_ARN);
    // Same name, other input, while it runs; any input once it has ended.
    await expect(start(STATE_MACHINE_ARN, { trigger: 'api' })).rejects.toThrow(
      /StartExecution on .* failed \(ExecutionAlreadyExists: /,
    );
    double.close('sentiment-20250301t120000-abc123');
    await expect(start(STATE_MACHINE_ARN)).rejects.toThrow('(ExecutionAlreadyExists: ');
    await expect(start('arn:aws:states:eu-west-1:123456789012:function:x')).rejects.toThrow('(InvalidArn: ');
    await expect(start(STATE_MACHINE_ARN.replace('pipeline', 'other'))).rejects.toThrow(
      '(StateMachineDoesNotExist: ',
    );
    // 262,144 bytes of input at most.
    await expect(
      start(STATE_MACHINE_ARN, { runId: 'big', hyperparameters: { text: 'x'.repeat(262_144) } }),
    ).rejects.toThrow('(InvalidExecutionInput: ');
    await expect(start(STATE_MACHINE_ARN, { runId: 'a:b' })).rejects.toThrow('(InvalidName: ');
    await expect(start(STATE_MACHINE_ARN, { runId: 'tab\u0085' })).rejects.toThrow('(InvalidName: ');
    expect(double.started()).toHaveLength(1);
  });
});

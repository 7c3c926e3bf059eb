import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
} from '@aws-sdk/client-sfn';
import { AwsExecutionSource, AwsSourceError, ConsoleRequestError, type SfnCommand } from '@slipway/console';
import { openStore } from '@slipway/model-store';
import { recordApprovalToken } from '@slipway/runner-aws';
import { readDefinitionText } from '@slipway/runner-local';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { historyPage } from '../../../../test-helpers/sfn-history.js';

const ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:slipway-prod';
const execArn = (name: string) => `arn:aws:states:eu-west-1:123456789012:execution:slipway-prod:${name}`;
const states = (JSON.parse(readDefinitionText()) as { States: Record<string, { Type: string }> }).States;
const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAQ-token';

const at = (s: number) => new Date(Date.UTC(2026, 2, 1, 9, 0, s));
const input = {
  model: 'sentiment',
  runId: 'pr-42',
  dataset: { name: 'sentiment', sha256: 'b'.repeat(64) },
  git: { commit: 'f00dfeed', pullRequest: '42' },
  trigger: 'pull-request',
};

/** The history Step Functions records up to an Approval waiting on its task token. */
function waitingHistory(): HistoryEvent[] {
  let id = 0;
  const e = (type: string, s: number, details: Partial<HistoryEvent> = {}): HistoryEvent =>
    ({ id: ++id, previousEventId: id - 1, type, timestamp: at(s), ...details }) as HistoryEvent;
  return [
    e('ExecutionStarted', 0, { executionStartedEventDetails: { input: JSON.stringify(input) } }),
    e('TaskStateEntered', 1, { stateEnteredEventDetails: { name: 'Register', input: '{}' } }),
    e('TaskScheduled', 1, {
      taskScheduledEventDetails: {
        resourceType: 'lambda',
        resource: 'invoke',
        region: 'eu-west-1',
        parameters: '{}',
      },
    }),
    e('TaskStarted', 1, { taskStartedEventDetails: { resourceType: 'lambda', resource: 'invoke' } }),
    e('TaskSucceeded', 2, {
      taskSucceededEventDetails: { resourceType: 'lambda', resource: 'invoke', output: '{}' },
    }),
    e('TaskStateExited', 2, { stateExitedEventDetails: { name: 'Register', output: '{}' } }),
    e('TaskStateEntered', 2, {
      stateEnteredEventDetails: {
        name: 'Approval',
        input: JSON.stringify({
          // As Register's ResultSelector and Evaluate's Payload put them (see the definition).
          registration: { version: 7, created: true },
          evaluation: {
            report: {
              reportKey: 'executions/x/evaluation.json',
              verdict: { passed: true, reasons: [], summary: 'all good' },
              candidate: { accuracy: 0.9, macroF1: 0.88, perClassF1: {} },
              production: { version: 6, accuracy: 0.85, macroF1: 0.84 },
              samples: [],
            },
          },
        }),
      },
    }),
    e('TaskScheduled', 2, {
      taskScheduledEventDetails: {
        resourceType: 'lambda',
        resource: 'invoke.waitForTaskToken',
        region: 'eu-west-1',
        parameters: JSON.stringify({
          FunctionName: 'arn:aws:lambda:eu-west-1:123456789012:function:approval',
          Payload: { taskToken: TOKEN, version: 7 },
        }),
      },
    }),
    e('TaskStarted', 3, {
      taskStartedEventDetails: { resourceType: 'lambda', resource: 'invoke.waitForTaskToken' },
    }),
    e('TaskSubmitted', 3, {
      taskSubmittedEventDetails: {
        resourceType: 'lambda',
        resource: 'invoke.waitForTaskToken',
        output: '{}',
      },
    }),
  ];
}

/** A Step Functions client that answers from memory and records what it was asked. */
class FakeSfn {
  readonly sent: SfnCommand[] = [];
  histories = new Map<string, HistoryEvent[]>();
  statuses = new Map<string, string>();
  /** Inputs other than `input`, by execution name. */
  inputs = new Map<string, object>();

  async send(command: SfnCommand): Promise<unknown> {
    this.sent.push(command);
    if (command instanceof ListExecutionsCommand) {
      return { executions: [...this.statuses.keys()].map((name) => ({ name, executionArn: execArn(name) })) };
    }
    if (command instanceof DescribeExecutionCommand) {
      const name = command.input.executionArn?.split(':').at(-1) ?? '';
      const status = this.statuses.get(name);
      if (!status)
        throw Object.assign(new Error(`Execution Does Not Exist: '${command.input.executionArn}'`), {
          name: 'ExecutionDoesNotExist',
        });
      return {
        executionArn: command.input.executionArn,
        name,
        status,
        startDate: at(0),
        ...(status === 'RUNNING' ? {} : { stopDate: at(9) }),
        input: JSON.stringify(this.inputs.get(name) ?? input),
      };
    }
    if (command instanceof GetExecutionHistoryCommand) {
      const name = command.input.executionArn?.split(':').at(-1) ?? '';
      // Short pages, so the history is read across several.
      return historyPage(this.histories.get(name) ?? [], command.input, { pageSize: 4 });
    }
    if (command instanceof SendTaskSuccessCommand || command instanceof SendTaskFailureCommand) return {};
    throw new Error(`unexpected ${(command as object).constructor.name}`);
  }
}

let sfn: FakeSfn;
let source: AwsExecutionSource;
beforeEach(() => {
  sfn = new FakeSfn();
  sfn.statuses.set('pr-42', 'RUNNING');
  sfn.histories.set('pr-42', waitingHistory());
  sfn.statuses.set('pr-41', 'SUCCEEDED');
  source = new AwsExecutionSource({ client: sfn, stateMachineArn: ARN, states });
});

describe('AwsExecutionSource', () => {
  test('lists executions with their input, telling waiting from finished', async () => {
    const list = await source.list();
    expect(list.map((e) => [e.id, e.status, e.phase])).toEqual([
      ['pr-42', 'RUNNING', 'waiting'],
      ['pr-41', 'SUCCEEDED', 'succeeded'],
    ]);
    expect(list[0]).toMatchObject({
      model: 'sentiment',
      dataset: { name: 'sentiment', sha256: 'b'.repeat(64) },
      git: { commit: 'f00dfeed', pullRequest: '42' },
      trigger: 'pull-request',
      currentState: 'Approval',
    });
    // A finished execution's row needs no history; describing it once is enough.
    await source.list();
    const described = sfn.sent.filter(
      (c) => c instanceof DescribeExecutionCommand && c.input.executionArn === execArn('pr-41'),
    );
    expect(described).toHaveLength(1);
  });

  test("shows an execution's states from its history, Approval waiting for version 7", async () => {
    const d = await source.detail('pr-42');
    expect(d.states.Register?.phase).toBe('succeeded');
    expect(d.states.Approval?.phase).toBe('waiting');
    expect(d.states.Promote?.phase).toBe('not-run');
    expect(d.approval).toEqual({
      waiting: true,
      version: 7,
      summary: 'all good',
      decisions: [],
      figures: {
        candidate: { accuracy: 0.9, macroF1: 0.88 },
        production: { version: 6, accuracy: 0.85, macroF1: 0.84 },
      },
      // The store adds the lineage (the console's server, not the source).
      lineage: null,
    });
    expect(d.events.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'StateEntered',
      'StateExited',
      'StateEntered',
      'TaskWaiting',
    ]);
  });

  test('reads the input of an execution started before compute had its name (trainer) as compute', async () => {
    sfn.statuses.set('pr-40', 'SUCCEEDED');
    sfn.inputs.set('pr-40', { ...input, trainer: 'fargate' });
    const d = await source.detail('pr-40');
    expect(d.input).toEqual({ ...input, compute: 'fargate' });
    expect((await source.detail('pr-41')).input).toEqual(input);
  });

  test("approves with the task token from the Approval state's TaskScheduled parameters", async () => {
    await source.approve('pr-42', 'ana', 'ship it');
    const sent = sfn.sent.find((c) => c instanceof SendTaskSuccessCommand);
    expect(sent?.input.taskToken).toBe(TOKEN);
    expect(JSON.parse(sent?.input.output ?? '')).toMatchObject({
      approved: true,
      approvedBy: 'ana',
      comment: 'ship it',
    });
  });

  test('rejects with error Rejected, which the definition catches, naming who rejected', async () => {
    await source.reject('pr-42', 'ben', 'macro-F1 dropped');
    const sent = sfn.sent.find((c) => c instanceof SendTaskFailureCommand);
    expect(sent?.input).toEqual({
      taskToken: TOKEN,
      error: 'Rejected',
      cause: 'macro-F1 dropped (rejected by ben)',
    });
  });

  test('reads decisions back from the history', async () => {
    const history = waitingHistory();
    history.push(
      {
        id: 99,
        type: 'TaskFailed',
        timestamp: at(5),
        taskFailedEventDetails: { error: 'Rejected', cause: 'macro-F1 dropped (rejected by ben)' },
      } as HistoryEvent,
      {
        id: 100,
        type: 'FailStateEntered',
        timestamp: at(5),
        stateEnteredEventDetails: { name: 'Rejected', input: '{}' },
      } as HistoryEvent,
    );
    sfn.histories.set('pr-42', history);
    sfn.statuses.set('pr-42', 'FAILED');
    const d = await source.detail('pr-42');
    expect(d.approval.decisions).toEqual([
      { decision: 'reject', by: 'ben', comment: 'macro-F1 dropped', at: at(5).toISOString() },
    ]);
    expect(d.states.Approval).toMatchObject({ phase: 'failed', error: 'Rejected' });
    expect(d.states.Rejected?.phase).toBe('failed');
  });

  test('refuses to decide an execution that is not waiting, and sends nothing', async () => {
    sfn.statuses.set('pr-42', 'SUCCEEDED');
    await expect(source.approve('pr-42', 'ana', '')).rejects.toMatchObject({ status: 409 });
    sfn.statuses.set('pr-42', 'RUNNING');
    sfn.histories.set('pr-42', waitingHistory().slice(0, 6));
    await expect(source.reject('pr-42', 'ana', 'no')).rejects.toMatchObject({
      status: 409,
      message: 'this execution is not waiting for approval',
    });
    expect(
      sfn.sent.some((c) => c instanceof SendTaskSuccessCommand || c instanceof SendTaskFailureCommand),
    ).toBe(false);
  });

  test('an unknown execution is a 404, a malformed name a 400', async () => {
    const missing = await source.detail('nope').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ConsoleRequestError);
    expect(missing).toMatchObject({ status: 404 });
    await expect(source.detail('../etc')).rejects.toMatchObject({ status: 400 });
  });

  test('an API failure names the call and how to fix it', async () => {
    const failing = new AwsExecutionSource({
      client: {
        send: async () => {
          throw Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' });
        },
      },
      stateMachineArn: ARN,
      states,
    });
    const error = await failing.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsSourceError);
    expect((error as Error).message).toContain('Step Functions ListExecutions failed (AccessDeniedException');
  });

  test('refuses a state machine ARN that is not one', () => {
    expect(() => new AwsExecutionSource({ client: sfn, stateMachineArn: 'slipway-prod', states })).toThrow(
      AwsSourceError,
    );
  });
});

describe('AwsExecutionSource with the store the deployed Approval function writes to', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-console-aws-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('decides once through the approval record (the one the CLI and the e-mailed links use)', async () => {
    const store = await openStore(`file://${dir}/store`);
    await recordApprovalToken(store, { executionId: execArn('pr-42'), taskToken: 'token-from-the-store' });
    const withStore = new AwsExecutionSource({ client: sfn, stateMachineArn: ARN, states, store });
    await withStore.reject('pr-42', 'ben', 'latency doubled');
    const sent = sfn.sent.filter((c) => c instanceof SendTaskFailureCommand);
    expect(sent.map((c) => c.input)).toEqual([
      { taskToken: 'token-from-the-store', error: 'Rejected', cause: 'latency doubled' },
    ]);
    const second = await withStore.approve('pr-42', 'ana', '').catch((e: unknown) => e);
    expect(second).toMatchObject({
      status: 409,
      message: 'this approval was already decided: reject by ben (via console)',
    });
    expect(sfn.sent.some((c) => c instanceof SendTaskSuccessCommand)).toBe(false);

    // The history's cause does not name the decider; the record does.
    const history = waitingHistory();
    history.push({
      id: 99,
      type: 'TaskFailed',
      timestamp: at(5),
      taskFailedEventDetails: { error: 'Rejected', cause: 'latency doubled' },
    } as HistoryEvent);
    sfn.histories.set('pr-42', history);
    expect((await withStore.detail('pr-42')).approval.decisions).toEqual([
      { decision: 'reject', by: 'ben', comment: 'latency doubled', at: at(5).toISOString() },
    ]);
    await store.close();
  });

  test('without a record in the store, the token comes from the history', async () => {
    const store = await openStore(`file://${dir}/store`);
    const withStore = new AwsExecutionSource({ client: sfn, stateMachineArn: ARN, states, store });
    await withStore.approve('pr-42', 'ana', 'ok');
    expect(sfn.sent.find((c) => c instanceof SendTaskSuccessCommand)?.input.taskToken).toBe(TOKEN);
    await store.close();
  });
});

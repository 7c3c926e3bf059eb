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
import { AwsExecutionSource, AwsSourceError, ConsoleRequestError } from '@slipway/console';
import { type ModelStore, openStore } from '@slipway/model-store';
import { recordApprovalToken } from '@slipway/runner-aws';
import { readDefinitionText } from '@slipway/runner-local';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { awsError } from '../../../../test-helpers/aws-fake-client.js';
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

type SfnCommand =
  | ListExecutionsCommand
  | DescribeExecutionCommand
  | GetExecutionHistoryCommand
  | SendTaskSuccessCommand
  | SendTaskFailureCommand;

/**
 * A Step Functions service in memory that records what it was asked, answering each call as its API
 * reference page documents:
 * - ListExecutions (https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html):
 *   most recent first, `maxResults` 0 to 1000 (0 means the default, 100), `nextToken` while more remain.
 * - DescribeExecution (https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html):
 *   `ExecutionDoesNotExist` for an unknown ARN; `stopDate` once stopped, `output` only when it succeeded.
 * - GetExecutionHistory: test-helpers' historyPage, which cites its page.
 * - SendTaskSuccess and SendTaskFailure
 *   (https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html,
 *   https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskFailure.html): a token
 *   the service did not issue is `InvalidToken`; one whose task is closed (settled before, or its
 *   execution stopped) is `TaskTimedOut`, "the task associated with the token has already been closed";
 *   `error` is at most 256 characters and `cause` at most 32,768.
 */
class FakeSfn {
  readonly sent: SfnCommand[] = [];
  histories = new Map<string, HistoryEvent[]>();
  statuses = new Map<string, string>();
  /** Inputs other than `input`, by execution name. */
  inputs = new Map<string, object>();
  /** Task tokens issued, by execution name; a token settles once. */
  readonly tokens = new Map<string, string>();
  private readonly closed = new Set<string>();

  async send(command: SfnCommand): Promise<unknown> {
    this.sent.push(command);
    if (command instanceof ListExecutionsCommand) {
      const max = command.input.maxResults ?? 0;
      if (!Number.isInteger(max) || max < 0 || max > 1000)
        throw awsError('ValidationException', `Value '${max}' at 'maxResults' failed to satisfy constraint`);
      const start = command.input.nextToken ? Number(command.input.nextToken.replace('list-', '')) : 0;
      // All start at the same second here; the later added is the more recent.
      const names = [...this.statuses.keys()].reverse();
      const size = max === 0 ? 100 : max;
      const page = names.slice(start, start + size).map((name) => ({
        name,
        executionArn: execArn(name),
        stateMachineArn: ARN,
        status: this.statuses.get(name),
        startDate: at(0),
      }));
      return start + size < names.length
        ? { executions: page, nextToken: `list-${start + size}` }
        : { executions: page };
    }
    if (command instanceof DescribeExecutionCommand) {
      const name = command.input.executionArn?.split(':').at(-1) ?? '';
      const status = this.statuses.get(name);
      if (!status)
        throw awsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${command.input.executionArn}'`);
      return {
        executionArn: command.input.executionArn,
        stateMachineArn: ARN,
        name,
        status,
        startDate: at(0),
        ...(status === 'RUNNING' ? {} : { stopDate: at(9) }),
        input: JSON.stringify(this.inputs.get(name) ?? input),
        ...(status === 'SUCCEEDED' ? { output: '{}' } : {}),
      };
    }
    if (command instanceof GetExecutionHistoryCommand) {
      const name = command.input.executionArn?.split(':').at(-1) ?? '';
      // Short pages, so the history is read across several.
      return historyPage(this.histories.get(name) ?? [], command.input, { pageSize: 4 });
    }
    if (command instanceof SendTaskSuccessCommand || command instanceof SendTaskFailureCommand) {
      if (command instanceof SendTaskFailureCommand) {
        if ((command.input.error ?? '').length > 256 || (command.input.cause ?? '').length > 32_768)
          throw awsError('ValidationException', 'error or cause too long');
      }
      const token = command.input.taskToken ?? '';
      const name = [...this.tokens].find(([, t]) => t === token)?.[0];
      if (name === undefined) throw awsError('InvalidToken', 'Invalid Token');
      if (this.closed.has(token) || this.statuses.get(name) !== 'RUNNING')
        throw awsError('TaskTimedOut', 'Task Timed Out');
      this.closed.add(token);
      return {};
    }
    throw new Error(`unexpected ${(command as object).constructor.name}`);
  }
}

let sfn: FakeSfn;
let dir: string;
let store: ModelStore;
let source: AwsExecutionSource;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-console-aws-'));
  store = await openStore(`file://${dir}/store`);
  sfn = new FakeSfn();
  sfn.statuses.set('pr-41', 'SUCCEEDED');
  sfn.statuses.set('pr-42', 'RUNNING');
  sfn.histories.set('pr-42', waitingHistory());
  sfn.tokens.set('pr-42', TOKEN);
  source = new AwsExecutionSource({ client: sfn, stateMachineArn: ARN, states, store });
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

/** What the deployed Approval function does when the execution reaches Approval. */
const requestApproval = () => recordApprovalToken(store, { executionId: execArn('pr-42'), taskToken: TOKEN });

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

  test('approves through the approval record the deployed Approval function keeps (as the CLI and links do)', async () => {
    await requestApproval();
    await source.approve('pr-42', 'ana', 'ship it');
    const sent = sfn.sent.find((c) => c instanceof SendTaskSuccessCommand);
    expect(sent?.input.taskToken).toBe(TOKEN);
    expect(JSON.parse(sent?.input.output ?? '')).toMatchObject({
      approved: true,
      approvedBy: 'ana',
      comment: 'ship it',
    });
  });

  test('rejects with error Rejected and the reason alone; who rejected is a field of the decision record', async () => {
    await requestApproval();
    await source.reject('pr-42', 'ben', 'macro-F1 dropped');
    const sent = sfn.sent.filter((c) => c instanceof SendTaskFailureCommand);
    expect(sent.map((c) => c.input)).toEqual([
      { taskToken: TOKEN, error: 'Rejected', cause: 'macro-F1 dropped' },
    ]);
    // A second decision, from here or elsewhere, is refused before Step Functions is asked.
    const second = await source.approve('pr-42', 'ana', '').catch((e: unknown) => e);
    expect(second).toMatchObject({
      status: 409,
      message: 'this approval was already decided: reject by ben (via console)',
    });
    expect(sfn.sent.some((c) => c instanceof SendTaskSuccessCommand)).toBe(false);

    // The page reads who decided and why from the record, not from the history's cause.
    const history = waitingHistory();
    history.push(
      {
        id: 99,
        type: 'TaskFailed',
        timestamp: at(5),
        taskFailedEventDetails: { error: 'Rejected', cause: 'macro-F1 dropped' },
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
      { decision: 'reject', by: 'ben', comment: 'macro-F1 dropped', at: expect.any(String) },
    ]);
    expect(d.states.Approval).toMatchObject({ phase: 'failed', error: 'Rejected' });
    expect(d.states.Rejected?.phase).toBe('failed');
  });

  test('a rejection cause that reads like a name names nobody', async () => {
    const history = waitingHistory();
    history.push({
      id: 99,
      type: 'TaskFailed',
      timestamp: at(5),
      taskFailedEventDetails: { error: 'Rejected', cause: 'macro-F1 dropped (rejected by ben)' },
    } as HistoryEvent);
    sfn.histories.set('pr-42', history);
    expect((await source.detail('pr-42')).approval.decisions).toEqual([]);
  });

  test('refuses to decide an execution that is not waiting, and sends nothing', async () => {
    sfn.statuses.set('pr-42', 'SUCCEEDED');
    await expect(source.approve('pr-42', 'ana', '')).rejects.toMatchObject({
      status: 409,
      message: 'execution pr-42 already succeeded',
    });
    sfn.statuses.set('pr-42', 'RUNNING');
    await expect(source.reject('pr-42', 'ana', 'no')).rejects.toMatchObject({
      status: 409,
      message: expect.stringMatching(/^this execution is not waiting for approval: no approval request in /),
    });
    expect(
      sfn.sent.some((c) => c instanceof SendTaskSuccessCommand || c instanceof SendTaskFailureCommand),
    ).toBe(false);
  });

  test('a task Step Functions closed meanwhile is a conflict', async () => {
    await requestApproval();
    sfn.statuses.set('pr-42', 'ABORTED');
    await expect(source.approve('pr-42', 'ana', '')).rejects.toMatchObject({
      status: 409,
      message: expect.stringContaining('the approval task is no longer open (TaskTimedOut'),
    });
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
          throw awsError('AccessDeniedException', 'User is not authorized');
        },
      } as never,
      stateMachineArn: ARN,
      states,
      store,
    });
    const error = await failing.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsSourceError);
    expect((error as Error).message).toContain('Step Functions ListExecutions failed (AccessDeniedException');
    expect((error as Error).message).toContain('may call states:ListExecutions');
  });

  test('refuses a state machine ARN that is not one', () => {
    expect(
      () => new AwsExecutionSource({ client: sfn as never, stateMachineArn: 'slipway-prod', states, store }),
    ).toThrow(AwsSourceError);
  });
});

// Step Functions history, read once for everyone: GetExecutionHistory paged to its end, then read into
// contracts' HistoryEvent shape. Who decided an approval, and why, is not read from here: every decider
// leaves contracts' decision record in the store (steps' readDecisions).
// Shapes: https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html
import type {
  GetExecutionHistoryCommand,
  GetExecutionHistoryCommandOutput,
  HistoryEvent as SfnEvent,
} from '@aws-sdk/client-sfn';
import type { HistoryEvent } from '@slipway/contracts';
import { stepFunctionsError } from './errors.js';

/** Sends one GetExecutionHistory request (an `SFNClient`'s send, or a caller's wrapper that maps errors). */
export type SendHistoryRequest = (
  command: GetExecutionHistoryCommand,
) => Promise<GetExecutionHistoryCommandOutput>;

/**
 * Every event of an execution's history, oldest first, with state inputs and outputs: follows
 * `nextToken` until the service returns none (at most 1,000 events a page). A refusal is an
 * `AwsExecutionError` (`AwsExecutionNotFoundError` for an execution that does not exist).
 *
 * @example const raw = await readExecutionHistory((c) => sfn.send(c), executionArn);
 */
export async function readExecutionHistory(
  send: SendHistoryRequest,
  executionArn: string,
): Promise<SfnEvent[]> {
  const { GetExecutionHistoryCommand } = await import('@aws-sdk/client-sfn');
  const events: SfnEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await send(
      new GetExecutionHistoryCommand({
        executionArn,
        maxResults: 1000,
        includeExecutionData: true,
        nextToken,
      }),
    ).catch((error: unknown) => {
      throw stepFunctionsError('GetExecutionHistory', executionArn, error);
    });
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/** A JSON field of an event; text that is not JSON is kept as text. */
export function parseJson(text: string | undefined): unknown {
  if (text === undefined) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Step Functions history in the runners' one event shape (contracts' `HistoryEvent`). Task events name no state: they belong to the
 * state entered last (the definition has no Parallel or Map). A task scheduled again after failing is
 * a retry; a started callback task waits for its token.
 */
export function convertHistory(raw: readonly SfnEvent[]): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  let state: string | undefined;
  let taskFailed = false;
  let callback = false;
  const push = (e: Omit<HistoryEvent, 'seq'>) => events.push({ ...e, seq: events.length + 1 });
  for (const e of raw) {
    const timestamp = (e.timestamp ?? new Date(0)).toISOString();
    const type = e.type ?? '';
    if (type.endsWith('StateEntered') && e.stateEnteredEventDetails?.name) {
      state = e.stateEnteredEventDetails.name;
      taskFailed = false;
      callback = false;
      push({
        type: 'StateEntered',
        timestamp,
        state,
        stateType: type.replace(/StateEntered$/, ''),
        input: parseJson(e.stateEnteredEventDetails.input),
      });
    } else if (type.endsWith('StateExited') && e.stateExitedEventDetails?.name) {
      push({
        type: 'StateExited',
        timestamp,
        state: e.stateExitedEventDetails.name,
        stateType: type.replace(/StateExited$/, ''),
        output: parseJson(e.stateExitedEventDetails.output),
      });
    } else if (type === 'TaskScheduled') {
      callback = (e.taskScheduledEventDetails?.resource ?? '').endsWith('.waitForTaskToken');
      if (taskFailed) push({ type: 'StateRetried', timestamp, state, message: 'retrying' });
      taskFailed = false;
    } else if (type === 'TaskStarted' && callback) {
      push({ type: 'TaskWaiting', timestamp, state, message: 'waiting for a decision' });
    } else if (type === 'TaskSucceeded' && callback) {
      push({ type: 'TaskDecided', timestamp, state, message: 'approved' });
    } else if (type === 'TaskFailed' || type === 'TaskTimedOut') {
      const d = e.taskFailedEventDetails ?? e.taskTimedOutEventDetails;
      const error = d?.error ?? (type === 'TaskTimedOut' ? 'States.Timeout' : 'States.TaskFailed');
      if (callback)
        push({ type: 'TaskDecided', timestamp, state, message: `rejected: ${d?.cause ?? error}` });
      push({ type: 'StateFailed', timestamp, state, error, ...(d?.cause ? { cause: d.cause } : {}) });
      taskFailed = true;
    } else if (type === 'ExecutionStarted') {
      push({ type: 'ExecutionStarted', timestamp, input: parseJson(e.executionStartedEventDetails?.input) });
    } else if (type === 'ExecutionSucceeded') {
      push({
        type: 'ExecutionSucceeded',
        timestamp,
        state,
        output: parseJson(e.executionSucceededEventDetails?.output),
      });
    } else if (type === 'ExecutionFailed' || type === 'ExecutionTimedOut') {
      const d = e.executionFailedEventDetails ?? e.executionTimedOutEventDetails;
      push({
        type: 'ExecutionFailed',
        timestamp,
        state,
        error: d?.error ?? 'States.Timeout',
        ...(d?.cause ? { cause: d.cause } : {}),
      });
    } else if (type === 'ExecutionAborted') {
      push({ type: 'ExecutionAborted', timestamp, state });
    }
  }
  return events;
}

import { type ExecutionData, stateViews, summarize } from '@slipway/console';
import type { HistoryEvent } from '@slipway/runner-local';
import { describe, expect, test } from 'vitest';

const states = {
  Train: { Type: 'Task' },
  Register: { Type: 'Task' },
  Approval: { Type: 'Task' },
  Promote: { Type: 'Task' },
  Rejected: { Type: 'Fail', Error: 'Rejected' },
  Done: { Type: 'Succeed' },
};

let seq = 0;
const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 12, 0, s)).toISOString();
const event = (
  type: HistoryEvent['type'],
  state: string | undefined,
  s: number,
  more: Partial<HistoryEvent> = {},
) => ({ seq: ++seq, type, state, timestamp: at(s), ...more }) as HistoryEvent;

const record = (over: Partial<ExecutionData> = {}): ExecutionData => ({
  id: 'e1',
  status: 'RUNNING',
  startedAt: at(0),
  stoppedAt: null,
  currentState: 'Approval',
  error: null,
  cause: null,
  input: {
    model: 'sentiment',
    dataset: { name: 'sentiment', sha256: 'a'.repeat(64) },
    git: { commit: 'abc123', pullRequest: '42' },
    trigger: 'pull-request',
  },
  output: null,
  ...over,
});

const waitingHistory = () => [
  event('StateEntered', 'Train', 1),
  event('StateRetried', 'Train', 2),
  event('StateExited', 'Train', 4),
  event('StateEntered', 'Register', 4),
  event('StateExited', 'Register', 5),
  event('StateEntered', 'Approval', 5),
  event('TaskWaiting', 'Approval', 6),
];

describe('stateViews', () => {
  test('a state waiting for its task token is waiting; earlier ones succeeded with their timings', () => {
    const views = stateViews(states, waitingHistory(), true);
    expect(views.Train).toMatchObject({ phase: 'succeeded', durationMs: 3000, retries: 1, enteredAt: at(1) });
    expect(views.Register).toMatchObject({ phase: 'succeeded', durationMs: 1000 });
    expect(views.Approval).toMatchObject({ phase: 'waiting', durationMs: null, stoppedAt: null });
    expect(views.Promote?.phase).toBe('not-run');
  });

  test('a rejection fails Approval and enters the Fail state, which shows failed', () => {
    const events = [
      ...waitingHistory(),
      event('TaskDecided', 'Approval', 8, { message: 'rejected: too slow' }),
      event('StateFailed', 'Approval', 8, { error: 'Rejected', cause: 'too slow' }),
      event('StateEntered', 'Rejected', 8),
      event('ExecutionFailed', 'Rejected', 8, { error: 'Rejected' }),
    ];
    const views = stateViews(states, events, false);
    expect(views.Approval).toMatchObject({
      phase: 'failed',
      error: 'Rejected',
      cause: 'too slow',
      durationMs: 3000,
    });
    expect(views.Rejected).toMatchObject({ phase: 'failed', error: 'Rejected', durationMs: 0 });
    expect(views.Done?.phase).toBe('not-run');
  });

  test('a caught failure stays failed although the interpreter then exits the state', () => {
    const events = [
      event('StateEntered', 'Promote', 0),
      event('StateFailed', 'Promote', 2, { error: 'ProductionMovedError', cause: 'moved' }),
      event('StateCaught', 'Promote', 2),
      event('StateExited', 'Promote', 2),
    ];
    expect(stateViews(states, events, true).Promote).toMatchObject({
      phase: 'failed',
      error: 'ProductionMovedError',
      durationMs: 2000,
    });
  });

  test('a failure that is retried and then succeeds is a success, its time counted whole', () => {
    const events = [
      event('StateEntered', 'Register', 0),
      event('StateFailed', 'Register', 1, { error: 'StorageError' }),
      event('StateRetried', 'Register', 3),
      event('StateExited', 'Register', 4),
    ];
    expect(stateViews(states, events, true).Register).toMatchObject({
      phase: 'succeeded',
      retries: 1,
      durationMs: 4000,
    });
  });

  test('an uncaught failure ends the state at the failure', () => {
    const events = [
      event('StateEntered', 'Register', 0),
      event('StateFailed', 'Register', 3, { error: 'Boom' }),
    ];
    expect(stateViews(states, events, false).Register).toMatchObject({ phase: 'failed', durationMs: 3000 });
  });

  test('entering the Succeed state succeeds it', () => {
    const views = stateViews(states, [event('StateEntered', 'Done', 9)], false);
    expect(views.Done).toMatchObject({ phase: 'succeeded', durationMs: 0 });
  });

  test('a state still open when the execution stopped shows as stopped', () => {
    const views = stateViews(states, waitingHistory(), false);
    expect(views.Approval?.phase).toBe('stopped');
  });

  test('a resumed execution adds up the time of every entry of a state', () => {
    const events = [
      event('StateEntered', 'Train', 0),
      event('StateEntered', 'Train', 10),
      event('StateExited', 'Train', 12),
    ];
    expect(stateViews(states, events, true).Train).toMatchObject({ phase: 'succeeded', durationMs: 2000 });
  });
});

describe('summarize', () => {
  test('reads model, dataset, commit, pull request and trigger from the input', () => {
    expect(summarize(record(), waitingHistory())).toEqual({
      id: 'e1',
      status: 'RUNNING',
      phase: 'waiting',
      startedAt: at(0),
      stoppedAt: null,
      currentState: 'Approval',
      model: 'sentiment',
      dataset: { name: 'sentiment', sha256: 'a'.repeat(64) },
      git: { commit: 'abc123', pullRequest: '42' },
      trigger: 'pull-request',
      error: null,
      cause: null,
    });
  });

  test('running once the decision is made; failed, succeeded and stopped from the status', () => {
    const decided = [...waitingHistory(), event('TaskDecided', 'Approval', 7)];
    expect(summarize(record(), decided).phase).toBe('running');
    expect(summarize(record({ status: 'FAILED' }), undefined).phase).toBe('failed');
    expect(summarize(record({ status: 'TIMED_OUT' }), undefined).phase).toBe('failed');
    expect(summarize(record({ status: 'SUCCEEDED' }), undefined).phase).toBe('succeeded');
    expect(summarize(record({ status: 'ABORTED' }), undefined).phase).toBe('stopped');
  });

  test('an input that is not an execution input gives empty fields, not a crash', () => {
    const s = summarize(record({ input: 'garbage' }), []);
    expect(s).toMatchObject({
      model: null,
      dataset: null,
      git: { commit: '', pullRequest: '' },
      trigger: null,
    });
  });
});

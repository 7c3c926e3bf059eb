import { type ApprovalDecisionRecord, type HistoryEvent, STATES } from '@slipway/contracts';
import { type CompactEvaluation, readStateData } from '@slipway/steps';
import type {
  DecisionView,
  EventView,
  ExecutionDetail,
  ExecutionSummary,
  Phase,
  StateView,
} from './api-types.js';

/** An execution's record as both sources provide it (the local journal's record, or AWS's description). */
export interface ExecutionData {
  readonly id: string;
  readonly status: string;
  readonly startedAt: string;
  readonly stoppedAt: string | null;
  readonly currentState: string | null;
  readonly error: string | null;
  readonly cause: string | null;
  readonly input: unknown;
  readonly output: unknown;
}

type StateTypes = Readonly<Record<string, { readonly Type: string }>>;

const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const obj = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};

/** The row of the executions page: the record plus whether it waits for a person. */
export function summarize(
  data: ExecutionData,
  events: readonly HistoryEvent[] | undefined,
): ExecutionSummary {
  const input = obj(data.input);
  const dataset = obj(input.dataset);
  const git = obj(input.git);
  const waiting =
    data.status === 'RUNNING' &&
    (events ? waitingStates(events).size > 0 : data.currentState === STATES.Approval);
  return {
    id: data.id,
    status: data.status,
    phase: executionPhase(data.status, waiting),
    startedAt: data.startedAt,
    stoppedAt: data.stoppedAt,
    currentState: data.currentState,
    model: str(input.model),
    dataset:
      typeof dataset.name === 'string' && typeof dataset.sha256 === 'string'
        ? { name: dataset.name, sha256: dataset.sha256 }
        : null,
    git: { commit: str(git.commit) ?? '', pullRequest: String(git.pullRequest ?? '') },
    trigger: str(input.trigger),
    error: data.error,
    cause: data.cause,
  };
}

function executionPhase(status: string, waiting: boolean): Phase {
  switch (status) {
    case 'RUNNING':
      return waiting ? 'waiting' : 'running';
    case 'SUCCEEDED':
      return 'succeeded';
    case 'ABORTED':
      return 'stopped';
    default:
      return 'failed';
  }
}

/** States whose task has been handed out and waits for a decision. */
function waitingStates(events: readonly HistoryEvent[]): Set<string> {
  const waiting = new Set<string>();
  for (const event of events) {
    if (!event.state) continue;
    if (event.type === 'TaskWaiting') waiting.add(event.state);
    else if (event.type !== 'Log') waiting.delete(event.state);
  }
  return waiting;
}

/**
 * Each state's phase and timings from the history: entered -> running, waiting for a task token ->
 * waiting, exited -> succeeded, failed -> failed. Entering a Fail state is its failure; entering a
 * Succeed state its success. A state still open when the execution stopped shows as stopped.
 */
export function stateViews(
  states: StateTypes,
  events: readonly HistoryEvent[],
  executionRunning: boolean,
): Record<string, StateView> {
  interface Open {
    phase: Phase;
    enteredAt: string | null;
    stoppedAt: string | null;
    lastEntered: number | null;
    durationMs: number | null;
    /** When the current entry failed; a retry clears it, an exit after it (caught) keeps it failed. */
    failedAt: string | null;
    retries: number;
    error: string | null;
    cause: string | null;
  }
  const views = new Map<string, Open>();
  for (const name of Object.keys(states)) {
    views.set(name, {
      phase: 'not-run',
      enteredAt: null,
      stoppedAt: null,
      lastEntered: null,
      durationMs: null,
      failedAt: null,
      retries: 0,
      error: null,
      cause: null,
    });
  }
  const close = (v: Open, at: string, phase: Phase) => {
    v.phase = phase;
    v.stoppedAt = at;
    if (v.lastEntered !== null)
      v.durationMs = (v.durationMs ?? 0) + Math.max(0, Date.parse(at) - v.lastEntered);
    v.lastEntered = null;
  };
  for (const event of events) {
    const v = event.state ? views.get(event.state) : undefined;
    if (!v || !event.state) continue;
    const type = states[event.state]?.Type;
    switch (event.type) {
      case 'StateEntered':
        v.enteredAt ??= event.timestamp;
        v.lastEntered = Date.parse(event.timestamp);
        v.stoppedAt = null;
        v.failedAt = null;
        v.error = null;
        v.cause = null;
        v.phase = 'running';
        if (type === 'Fail') {
          const definition = states[event.state] as { Error?: string };
          v.error = definition.Error ?? null;
          close(v, event.timestamp, 'failed');
        }
        if (type === 'Succeed') close(v, event.timestamp, 'succeeded');
        break;
      case 'StateExited':
        // The interpreter exits a state whose error was caught, too: it stays failed.
        close(v, event.timestamp, v.failedAt ? 'failed' : 'succeeded');
        break;
      case 'StateFailed':
        v.error = event.error ?? null;
        v.cause = event.cause ?? null;
        v.phase = 'failed';
        v.failedAt = event.timestamp;
        break;
      case 'StateRetried':
        v.retries += 1;
        v.phase = 'running';
        v.failedAt = null;
        break;
      case 'TaskWaiting':
        if (v.lastEntered !== null) v.phase = 'waiting';
        break;
      case 'TaskDecided':
        if (v.lastEntered !== null) v.phase = 'running';
        break;
      case 'ExecutionFailed':
      case 'ExecutionSucceeded':
      case 'ExecutionAborted':
        break;
      default:
        break;
    }
  }
  const result: Record<string, StateView> = {};
  for (const [name, v] of views) {
    if (v.failedAt && v.lastEntered !== null) close(v, v.failedAt, 'failed');
    const open = v.phase === 'running' || v.phase === 'waiting';
    result[name] = {
      name,
      type: states[name]?.Type ?? 'Unknown',
      phase: open && !executionRunning ? 'stopped' : v.phase,
      enteredAt: v.enteredAt,
      stoppedAt: v.stoppedAt,
      durationMs: v.durationMs,
      retries: v.retries,
      error: v.error,
      cause: v.cause,
    };
  }
  return result;
}

/** The history as the page lists it: without state inputs and outputs. */
function eventViews(events: readonly HistoryEvent[]): EventView[] {
  return events.map((e) => ({
    seq: e.seq,
    type: e.type,
    timestamp: e.timestamp,
    state: e.state ?? null,
    error: e.error ?? null,
    cause: e.cause ?? null,
    message: e.message ?? null,
  }));
}

/** The execution page's data. */
export function detail(
  data: ExecutionData,
  events: readonly HistoryEvent[],
  states: StateTypes,
  extra: { readonly decisions: readonly DecisionView[]; readonly jobs: readonly string[] },
): ExecutionDetail {
  const summary = summarize(data, events);
  const views = stateViews(states, events, data.status === 'RUNNING');
  // What the Approval state was entered with: the version registered and the evaluation it approves.
  const { registration, evaluation } = readStateData(
    [...events].reverse().find((e) => e.type === 'StateEntered' && e.state === STATES.Approval)?.input,
  );
  return {
    ...summary,
    states: views,
    events: eventViews(events),
    approval: {
      waiting: summary.phase === 'waiting' && views[STATES.Approval]?.phase === 'waiting',
      version: registration?.version ?? null,
      summary: evaluation?.verdict.summary ?? null,
      decisions: extra.decisions,
      figures: evaluation ? figuresOf(evaluation) : null,
      lineage: null,
    },
    jobs: extra.jobs,
    input: data.input,
    output: data.output,
  };
}

/** Headline figures of the compact evaluation the Approval state received. */
function figuresOf(evaluation: CompactEvaluation): NonNullable<ExecutionDetail['approval']['figures']> {
  const { candidate, production } = evaluation;
  return {
    candidate: { accuracy: candidate.accuracy, macroF1: candidate.macroF1 },
    production: production
      ? { version: production.version, accuracy: production.accuracy, macroF1: production.macroF1 }
      : null,
  };
}

/** A decision record (contracts' shape, the same from either runner) as the execution page shows it. */
export function decisionView(d: ApprovalDecisionRecord): DecisionView {
  return {
    decision: d.decision,
    by: d.by,
    comment: d.decision === 'approve' ? d.comment : d.reason,
    at: d.at,
  };
}

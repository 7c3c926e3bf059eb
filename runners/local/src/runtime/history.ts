import { writeSync } from 'node:fs';
import { type HistoryEvent, layout } from '@slipway/contracts';
import type { ModelStore, ObjectArea } from '@slipway/model-store';
import { thisProcess } from '@slipway/training-job';
import { upgradeRecordedInput } from '../input.js';
import { ExecutionNotFoundError, ExecutionStateError } from './errors.js';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';

export type { HistoryEvent };

/** The execution record: what ran, on what, and how it ended. */
export interface ExecutionRecord {
  readonly schema: 'slipway.execution/v1';
  readonly id: string;
  readonly input: unknown;
  readonly status: ExecutionStatus;
  readonly startedAt: string;
  readonly stoppedAt: string | null;
  /** The state running now (or where it stopped). */
  readonly currentState: string | null;
  readonly error: string | null;
  readonly cause: string | null;
  readonly output: unknown;
  /** The process running it, so a crashed execution can be told from a running one. */
  readonly runner: {
    readonly pid: number;
    readonly host: string;
    readonly heartbeatAt: string;
    /** The kernel's start time of that process, so a reused pid is not taken for it. */
    readonly startTime?: string | null;
  } | null;
  /**
   * The training job's process while one runs (it leads its own process group), so a resume can tell
   * whether an earlier attempt still runs and stop it instead of training twice side by side.
   */
  readonly training?: {
    readonly job: string;
    readonly pid: number;
    readonly pgid: number;
    readonly startTime: string | null;
    readonly startedAt: string;
  } | null;
}

const RECORD = 'execution.json';
const HISTORY = 'history.json';

/**
 * Durable execution state under `executions/<id>/` in the model store: the record and the history,
 * each rewritten whole (one writer per execution: its runner), so both backends can hold them.
 */
export class ExecutionJournal {
  readonly area: ObjectArea;
  private events: HistoryEvent[] = [];
  private writes: Promise<void> | undefined;
  private historyDirty = false;
  private recordDirty = false;
  private writeError: unknown;
  private listeners = new Set<(event: HistoryEvent) => void>();
  /** The failpoint's event once appended, with the record as it stood right after it (see {@link persist}). */
  private failpointHit: { seq: number; record: ExecutionRecord } | undefined;
  /** The record as stored when the journal was opened, and its etag (see {@link claim}). */
  private opened: { record: ExecutionRecord; etag: string } | undefined;

  private constructor(
    readonly id: string,
    store: ModelStore,
    private record: ExecutionRecord,
    private readonly failpoint: Failpoint | undefined,
  ) {
    this.area = store.executions(id);
  }

  /** Creates the journal of a new execution; the id must be unused. */
  static async create(
    store: ModelStore,
    id: string,
    input: unknown,
    options: JournalOptions = {},
  ): Promise<ExecutionJournal> {
    const record: ExecutionRecord = {
      schema: 'slipway.execution/v1',
      id,
      input,
      status: 'RUNNING',
      startedAt: new Date().toISOString(),
      stoppedAt: null,
      currentState: null,
      error: null,
      cause: null,
      output: null,
      runner: runnerInfo(),
    };
    const journal = new ExecutionJournal(id, store, record, parseFailpoint(options.failpoint));
    if (!(await journal.area.putIfAbsent(RECORD, JSON.stringify(record, null, 2)))) {
      throw new Error(`execution ${id} already exists`);
    }
    return journal;
  }

  /** Opens an existing execution's journal to continue it. */
  static async open(store: ModelStore, id: string, options: JournalOptions = {}): Promise<ExecutionJournal> {
    const area = store.executions(id);
    const stored = await area.get(RECORD);
    if (!stored) throw notFound(store, id);
    const record = JSON.parse(new TextDecoder().decode(stored.body)) as ExecutionRecord;
    const history = await area.getJson<{ events: HistoryEvent[] }>(HISTORY);
    const journal = new ExecutionJournal(
      id,
      store,
      { ...upgradeRecord(record), runner: runnerInfo() },
      parseFailpoint(options.failpoint),
    );
    journal.opened = { record, etag: stored.etag };
    journal.events = [...(history?.events ?? [])];
    return journal;
  }

  /** The record as it was stored when this journal was opened (its runner, its training job). */
  get stored(): ExecutionRecord | undefined {
    return this.opened?.record;
  }

  /**
   * Makes this process the execution's runner, by compare-and-swap on the record read at open: of two
   * processes resuming the same execution at once, one gets it and the other is refused.
   */
  async claim(record: Partial<ExecutionRecord>): Promise<void> {
    if (!this.opened) throw new ExecutionStateError(`execution ${this.id} was not opened to be continued`);
    this.record = { ...this.record, ...record };
    const etag = await this.area.putIfMatch(RECORD, JSON.stringify(this.record, null, 2), this.opened.etag);
    if (etag === undefined) {
      throw new ExecutionStateError(
        `execution ${this.id} changed while it was being resumed (another \`slipway resume\`?); check it with \`slipway executions show ${this.id}\``,
      );
    }
  }

  /** Updates the record without a history event. */
  update(record: Partial<ExecutionRecord>): void {
    this.record = { ...this.record, ...record };
    this.recordDirty = true;
    this.schedule();
  }

  get current(): ExecutionRecord {
    return this.record;
  }

  get history(): readonly HistoryEvent[] {
    return this.events;
  }

  onEvent(listener: (event: HistoryEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Appends an event and persists history (and the record when it changed). */
  append(
    event: Omit<HistoryEvent, 'seq' | 'timestamp'> & { timestamp?: string },
    record?: Partial<ExecutionRecord>,
  ): void {
    const full: HistoryEvent = {
      ...event,
      seq: this.events.length + 1,
      timestamp: event.timestamp ?? new Date().toISOString(),
    };
    this.events.push(full);
    if (record) this.record = { ...this.record, ...record };
    if (this.failpoint && !this.failpointHit && this.failpoint.matches(full))
      this.failpointHit = { seq: full.seq, record: this.record };
    for (const listener of this.listeners) listener(full);
    if (record) this.recordDirty = true;
    this.historyDirty = true;
    this.schedule();
  }

  private schedule(): void {
    if (!this.writes) {
      this.writes = this.persist();
      // Surfaced by flush(); never an unhandled rejection.
      this.writes.catch((error: unknown) => {
        this.writeError ??= error;
      });
    }
  }

  /**
   * Writes what changed, then again while appends arrived meanwhile: one write of the latest state
   * per round instead of one per event, so a burst of events costs one rewrite.
   */
  private async persist(): Promise<void> {
    try {
      while (this.historyDirty || this.recordDirty) {
        if (this.failpointHit) {
          await this.persistUpToFailpoint(this.failpointHit);
          continue;
        }
        const history = this.historyDirty ? JSON.stringify({ events: this.events }) : undefined;
        const record = this.recordDirty ? JSON.stringify(this.record, null, 2) : undefined;
        this.historyDirty = false;
        this.recordDirty = false;
        if (history) await this.area.put(HISTORY, history);
        if (record) await this.area.put(RECORD, record);
      }
    } finally {
      this.writes = undefined;
    }
  }

  /**
   * A failpoint's round: writes the history exactly up to and including the failpoint's event, and the
   * record as it stood right after that event, then stops the process. Events appended after it stay
   * unwritten, as a crash at that instant would leave them, so one kill passes exactly one boundary.
   */
  private async persistUpToFailpoint(hit: { seq: number; record: ExecutionRecord }): Promise<void> {
    await this.area.put(HISTORY, JSON.stringify({ events: this.events.slice(0, hit.seq) }));
    await this.area.put(RECORD, JSON.stringify(hit.record, null, 2));
    stopAtFailpoint((this.failpoint as Failpoint).spec);
    // Continued (SIGCONT) instead of killed: carry on as if nothing had stopped it.
    this.failpointHit = undefined;
    this.historyDirty = true;
    this.recordDirty = true;
  }

  /** Waits until every append is on disk (or in the bucket). */
  async flush(): Promise<void> {
    while (this.writes) await this.writes.catch(() => {});
    if (this.writeError) {
      const error = this.writeError;
      this.writeError = undefined;
      throw error;
    }
  }
}

export interface JournalOptions {
  /**
   * Fault injection for crash tests, `<EventType>:<State>` (e.g. `StateExited:Promote`): once such an
   * event is on disk the process announces it on stderr and stops itself (SIGSTOP), so a test can kill
   * it with SIGKILL at exactly that boundary. `slipway run` and `resume` take it from SLIPWAY_FAILPOINT.
   */
  readonly failpoint?: string | undefined;
}

interface Failpoint {
  readonly spec: string;
  readonly matches: (event: HistoryEvent) => boolean;
}

function parseFailpoint(spec: string | undefined): Failpoint | undefined {
  if (!spec) return undefined;
  const [type, state] = spec.split(':');
  return { spec, matches: (event) => event.type === type && (state === undefined || event.state === state) };
}

/** The line a crash test waits for before it kills the process. */
export const FAILPOINT_REACHED = 'slipway failpoint reached:';

function stopAtFailpoint(spec: string): void {
  // Synchronous, so the line is out before the process stops.
  writeSync(2, `${FAILPOINT_REACHED} ${spec} (pid ${process.pid})\n`);
  process.kill(process.pid, 'SIGSTOP');
}

function runnerInfo(): ExecutionRecord['runner'] {
  return {
    pid: process.pid,
    host: process.env.HOSTNAME ?? 'local',
    heartbeatAt: new Date().toISOString(),
    startTime: thisProcess().startTime,
  };
}

function notFound(store: ModelStore, id: string): ExecutionNotFoundError {
  return new ExecutionNotFoundError(
    `no execution ${id} in ${store.backend.uri}; list them with \`slipway executions list\``,
  );
}

/** Reads an execution's record. */
export async function readExecutionRecord(store: ModelStore, id: string): Promise<ExecutionRecord> {
  const record = await store.executions(id).getJson<ExecutionRecord>(RECORD);
  if (!record) throw notFound(store, id);
  return upgradeRecord(record);
}

/** A record as this version reads it: an input written before `compute` had its name is read with it. */
function upgradeRecord(record: ExecutionRecord): ExecutionRecord {
  const input = upgradeRecordedInput(record.input);
  return input === record.input ? record : { ...record, input };
}

/** Reads an execution's record and history. */
export async function readExecution(
  store: ModelStore,
  id: string,
): Promise<{ record: ExecutionRecord; events: HistoryEvent[] }> {
  const record = await readExecutionRecord(store, id);
  const history = await store.executions(id).getJson<{ events: HistoryEvent[] }>(HISTORY);
  return { record, events: history?.events ?? [] };
}

/** Every execution in the store, newest first. */
export async function listExecutions(store: ModelStore): Promise<ExecutionRecord[]> {
  const ids = await store.backend.listChildren(layout.executions());
  const records = await Promise.all(
    ids.map((id) =>
      store
        .executions(id)
        .getJson<ExecutionRecord>(RECORD)
        .catch(() => undefined),
    ),
  );
  return records
    .filter((r): r is ExecutionRecord => r !== undefined)
    .map(upgradeRecord)
    .sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0));
}

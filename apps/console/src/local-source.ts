import type { ModelStore } from '@slipway/model-store';
import {
  approveExecution,
  type ExecutionHandle,
  type ExecutionRecord,
  type HistoryEvent,
  readExecution,
  readExecutionRecord,
  rejectExecution,
} from '@slipway/runner-local';
import { type EvaluationReport, readDecisions, readEvaluationReport } from '@slipway/steps';
import type { DecisionView, ExecutionDetail, ExecutionSummary } from './api-types.js';
import { decisionView, detail, summarize } from './derive.js';
import { ConsoleRequestError } from './errors.js';
import { type ExecutionSource, PollingFeed } from './source.js';

type StateTypes = Readonly<Record<string, { readonly Type: string }>>;

const JOB = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;

/**
 * Executions of the local runtime, read from the store (`executions/<id>/`). Executions this process
 * runs are followed through their journal, so their changes reach the page at once; executions other
 * processes run (`slipway run` in a terminal) are found by polling the store while a page listens.
 */
export class LocalExecutionSource implements ExecutionSource {
  readonly kind = 'local' as const;
  private readonly live = new Map<string, ExecutionHandle>();
  /** Finished executions never change: their summaries are read once. */
  private readonly finished = new Map<string, ExecutionSummary>();
  private readonly feed: PollingFeed;

  constructor(
    private readonly store: ModelStore,
    private readonly states: StateTypes,
    options: { readonly pollMs?: number; readonly onError?: (error: unknown) => void } = {},
  ) {
    this.feed = new PollingFeed(options.pollMs ?? 500, () => this.changes(), options.onError);
  }

  /** Follows an execution running in this process: every event is pushed to listeners as it happens. */
  track(handle: ExecutionHandle): void {
    if (this.live.has(handle.id)) return;
    this.live.set(handle.id, handle);
    const push = () => {
      const { summary, fingerprint } = this.fromJournal(handle);
      this.feed.emit(summary, fingerprint);
    };
    const off = handle.journal.onEvent(push);
    push();
    void handle.done
      .catch(() => undefined)
      .finally(() => {
        off();
        // The journal is flushed before `done` resolves: the store now holds the final record.
        this.live.delete(handle.id);
        push();
      });
  }

  async list(): Promise<ExecutionSummary[]> {
    const ids = await this.store.listExecutions();
    const summaries = await Promise.all(ids.map((id) => this.summary(id).catch(() => undefined)));
    return summaries
      .filter((s): s is ExecutionSummary => s !== undefined)
      .sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0));
  }

  async detail(id: string): Promise<ExecutionDetail> {
    const handle = this.live.get(id);
    const { record, events } = handle
      ? { record: handle.journal.current, events: [...handle.journal.history] }
      : await this.read(id);
    const area = this.store.executions(id);
    const [decisions, logs] = await Promise.all([this.decisions(id), area.list('logs/')]);
    const jobs = logs
      .map((o) => /^logs\/(.+)\.log$/.exec(o.key)?.[1])
      .filter((j): j is string => j !== undefined)
      .sort();
    return detail(record, events, this.states, { decisions, jobs });
  }

  async approve(id: string, by: string, comment: string): Promise<void> {
    await approveExecution(this.store, id, by, comment);
  }

  async reject(id: string, by: string, reason: string): Promise<void> {
    await rejectExecution(this.store, id, by, reason);
  }

  async logs(id: string, job: string): Promise<string> {
    if (!JOB.test(job)) throw new ConsoleRequestError(400, 'bad_request', `"${job}" is not a job name`);
    await this.read(id, false);
    const found = await this.store.executions(id).get(`logs/${job}.log`);
    return found ? new TextDecoder().decode(found.body) : '';
  }

  async report(id: string): Promise<EvaluationReport | undefined> {
    await this.read(id, false);
    return readEvaluationReport(this.store, id);
  }

  watch(listener: (execution: ExecutionSummary) => void): () => void {
    return this.feed.subscribe(listener);
  }

  async close(): Promise<void> {
    this.feed.stop();
  }

  /** Decisions people made: the create-only records the token registry keeps (contracts' shape). */
  private async decisions(id: string): Promise<DecisionView[]> {
    return (await readDecisions(this.store, id)).map(decisionView);
  }

  private async read(
    id: string,
    withEvents = true,
  ): Promise<{ record: ExecutionRecord; events: HistoryEvent[] }> {
    if (!withEvents) return { record: await readExecutionRecord(this.store, id), events: [] };
    return await readExecution(this.store, id);
  }

  private fromJournal(handle: ExecutionHandle): { summary: ExecutionSummary; fingerprint: string } {
    const summary = summarize(handle.journal.current, handle.journal.history);
    const running = summary.status === 'RUNNING';
    return {
      summary,
      fingerprint: `${JSON.stringify(summary)}#${running ? handle.journal.history.length : 0}`,
    };
  }

  private async summary(id: string): Promise<ExecutionSummary> {
    const handle = this.live.get(id);
    if (handle) return this.fromJournal(handle).summary;
    const done = this.finished.get(id);
    if (done) return done;
    return (await this.readSummary(id)).summary;
  }

  private async readSummary(id: string): Promise<{ summary: ExecutionSummary; fingerprint: string }> {
    const record = await readExecutionRecord(this.store, id);
    // Only a running execution's history matters for the list: it tells waiting from running.
    const events = record.status === 'RUNNING' ? (await readExecution(this.store, id)).events : undefined;
    const summary = summarize(record, events);
    if (record.status !== 'RUNNING') this.finished.set(id, summary);
    return { summary, fingerprint: `${JSON.stringify(summary)}#${events?.length ?? 0}` };
  }

  /** New executions and running ones owned by other processes, read again. */
  private async changes(): Promise<{ summary: ExecutionSummary; fingerprint: string }[]> {
    const ids = (await this.store.listExecutions()).filter(
      (id) => !this.live.has(id) && !this.finished.has(id),
    );
    const read = await Promise.all(ids.map((id) => this.readSummary(id).catch(() => undefined)));
    return read.filter((r) => r !== undefined);
  }
}

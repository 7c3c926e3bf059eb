import type { EvaluationReport } from '@slipway/steps';
import type { ExecutionDetail, ExecutionSummary, SourceKind } from './api-types.js';

/**
 * Where the console's executions come from: the local runtime's store, or Step Functions. The server
 * speaks only to this port, so both are listed, shown and approved the same way.
 */
export interface ExecutionSource {
  readonly kind: SourceKind;
  /** Newest first. */
  list(): Promise<ExecutionSummary[]>;
  /** Throws ConsoleRequestError 404 when there is no such execution. */
  detail(id: string): Promise<ExecutionDetail>;
  approve(id: string, by: string, comment: string): Promise<void>;
  reject(id: string, by: string, reason: string): Promise<void>;
  /** A training job's log; empty when it has none (yet). */
  logs(id: string, job: string): Promise<string>;
  report(id: string): Promise<EvaluationReport | undefined>;
  /** Calls `listener` with every execution that changed; polling runs only while someone listens. */
  watch(listener: (execution: ExecutionSummary) => void): () => void;
  close(): Promise<void>;
}

/**
 * Emits what changed between polls. `poll` returns the executions that may have changed, each with a
 * fingerprint; the feed polls every `intervalMs` only while it has listeners, never two polls at once.
 */
export class PollingFeed {
  private readonly listeners = new Set<(execution: ExecutionSummary) => void>();
  private readonly seen = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(
    private readonly intervalMs: number,
    private readonly poll: () => Promise<readonly { summary: ExecutionSummary; fingerprint: string }[]>,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  subscribe(listener: (execution: ExecutionSummary) => void): () => void {
    this.listeners.add(listener);
    this.timer ??= setInterval(() => void this.tick(), this.intervalMs);
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    };
  }

  /** Sends an execution to every listener now (and remembers it, so the next poll does not repeat it). */
  emit(summary: ExecutionSummary, fingerprint: string): void {
    this.seen.set(summary.id, fingerprint);
    for (const listener of this.listeners) listener(summary);
  }

  /** Whether `fingerprint` differs from the last one emitted for `id`. */
  changed(id: string, fingerprint: string): boolean {
    return this.seen.get(id) !== fingerprint;
  }

  async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      for (const { summary, fingerprint } of await this.poll()) {
        if (this.changed(summary.id, fingerprint)) this.emit(summary, fingerprint);
      }
    } catch (error) {
      this.onError(error);
    } finally {
      this.busy = false;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.listeners.clear();
  }
}

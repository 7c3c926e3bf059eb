import type { ModelHolder } from './holder.js';
import type { ModelInfo, ServedModel } from './model.js';
import type { ModelSource } from './source.js';

/** What the watcher did; the CLI prints these and the logger records them. */
export type WatchEvent =
  | {
      readonly type: 'swapped';
      readonly key: string;
      readonly from: ModelInfo;
      readonly to: ModelInfo;
      readonly loadMs: number;
    }
  | { readonly type: 'refused'; readonly key: string; readonly error: Error }
  | { readonly type: 'source-failed'; readonly error: Error };

export interface ModelWatcherOptions {
  readonly source: ModelSource;
  readonly holder: ModelHolder;
  /** Loads and self-tests a materialized folder. */
  readonly load: (dir: string) => Promise<ServedModel>;
  /** The key of the model the holder serves now. */
  readonly servingKey: string;
  /** Milliseconds between polls of the source. Default 500. */
  readonly pollMs?: number;
  readonly onEvent?: (event: WatchEvent) => void;
}

/**
 * Polls a model source and hot-swaps the holder when its key changes. The new version is loaded
 * and self-tested while the old one keeps serving; a version that fails is refused (the old one
 * stays) and not retried until the source points elsewhere. A source that cannot be read is
 * retried on the next poll.
 */
export class ModelWatcher {
  readonly #options: ModelWatcherOptions;
  readonly #pollMs: number;
  #servingKey: string;
  #refusedKey: string | undefined;
  #lastSourceError: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(options: ModelWatcherOptions) {
    this.#options = options;
    this.#pollMs = options.pollMs ?? 500;
    this.#servingKey = options.servingKey;
  }

  /** Key of the version being served. */
  get servingKey(): string {
    return this.#servingKey;
  }

  start(): void {
    if (this.#stopped || this.#timer !== undefined) return;
    this.#schedule();
  }

  /** Stops polling and waits for a check in progress (a swap is never left half done). */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** Runs one poll now (or joins the one in progress). */
  check(): Promise<void> {
    this.#running ??= this.#check().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  #schedule(): void {
    this.#timer = setTimeout(() => {
      void this.check().finally(() => {
        if (!this.#stopped) this.#schedule();
      });
    }, this.#pollMs);
    // Polling alone must not keep a process alive: the server does that.
    this.#timer.unref();
  }

  async #check(): Promise<void> {
    const { source, holder, load, onEvent } = this.#options;
    let key: string;
    let dir: string;
    try {
      key = await source.current();
      if (key === this.#servingKey || key === this.#refusedKey) {
        this.#lastSourceError = undefined;
        return;
      }
      dir = await source.materialize(key);
      this.#lastSourceError = undefined;
    } catch (error) {
      const err = asError(error);
      // Report a failing source once, not on every poll.
      if (err.message !== this.#lastSourceError) onEvent?.({ type: 'source-failed', error: err });
      this.#lastSourceError = err.message;
      return;
    }
    let next: ServedModel;
    try {
      next = await load(dir);
    } catch (error) {
      this.#refusedKey = key;
      onEvent?.({ type: 'refused', key, error: asError(error) });
      return;
    }
    if (this.#stopped || holder.isClosed) {
      await next.close();
      return;
    }
    const from = holder.current.info;
    void holder.swap(next);
    this.#servingKey = key;
    this.#refusedKey = undefined;
    onEvent?.({ type: 'swapped', key, from, to: next.info, loadMs: next.loadMs });
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

import type { ServedModel } from './model.js';

/** One use of one model version; hand it back to `ModelHolder.release` when the request is done. */
export interface ModelLease {
  readonly model: ServedModel;
}

interface LeaseState extends ModelLease {
  inflight: number;
  retired: boolean;
  drained?: () => void;
  closing?: Promise<void>;
}

/**
 * Holds the model being served and swaps it atomically. Requests lease the current version for as
 * long as they use it; a replaced version is closed only after its last lease is released, so a swap
 * never fails a request that already started.
 * @example const lease = holder.acquire(); try { await lease.model.predict(texts) } finally { holder.release(lease) }
 */
export class ModelHolder {
  #current: LeaseState;
  #closing: Promise<void> | undefined;

  constructor(model: ServedModel) {
    this.#current = { model, inflight: 0, retired: false };
  }

  /** The model new requests get. */
  get current(): ServedModel {
    return this.#current.model;
  }

  /** True once `close` was called. */
  get isClosed(): boolean {
    return this.#closing !== undefined;
  }

  /** Leases the current model; pair with `release`. */
  acquire(): ModelLease {
    const lease = this.#current;
    lease.inflight++;
    return lease;
  }

  release(lease: ModelLease): void {
    const state = lease as LeaseState;
    state.inflight--;
    if (state.retired && state.inflight === 0) state.drained?.();
  }

  /**
   * Makes `next` the current model at once; returns a promise that settles when the previous
   * version has drained and been closed. After `close`, the offered model is closed instead.
   */
  swap(next: ServedModel): Promise<void> {
    if (this.#closing) return next.close().catch(() => undefined);
    const previous = this.#current;
    this.#current = { model: next, inflight: 0, retired: false };
    return this.#retire(previous);
  }

  /** Stops serving: closes the current model once its in-flight requests finish. */
  close(): Promise<void> {
    this.#closing ??= this.#retire(this.#current);
    return this.#closing;
  }

  #retire(lease: LeaseState): Promise<void> {
    lease.retired = true;
    const drained =
      lease.inflight === 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            lease.drained = resolve;
          });
    lease.closing ??= drained.then(() => lease.model.close().catch(() => undefined));
    return lease.closing;
  }
}

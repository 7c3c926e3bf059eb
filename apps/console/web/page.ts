import type { ConsoleInfo, ExecutionSummary } from '../src/api-types.js';

/** What every page can use. */
export interface Context {
  readonly info: ConsoleInfo;
  navigate(path: string): void;
}

/** A page on screen: told about live changes, disposed when the reader leaves. */
export interface Page {
  onExecution?(execution: ExecutionSummary): void;
  onModels?(): void;
  dispose?(): void;
}

export type PageFactory = (main: HTMLElement, params: readonly string[], context: Context) => Page;

/**
 * Runs `load` now and again on every `refresh()`; a refresh asked for while a load is running is
 * coalesced into one more load after it, so bursts of events cost at most two requests.
 */
export function reloader(load: () => Promise<void>, onError: (error: unknown) => void): () => void {
  let running = false;
  let again = false;
  const run = async () => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        await load().catch(onError);
      } while (again);
    } finally {
      running = false;
    }
  };
  void run();
  return () => void run();
}

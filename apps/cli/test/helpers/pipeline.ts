import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ModelStore, openStore } from '@slipway/model-store';
import {
  approveExecution,
  type ExecutionHandle,
  type ExecutionInputDraft,
  type HistoryEvent,
  LocalPipeline,
  type LocalPipelineOptions,
  storeDataset,
} from '@slipway/runner-local';
import { afterAll, beforeAll } from 'vitest';

export interface PipelineFixture {
  readonly dir: string;
  readonly store: ModelStore;
  readonly pipeline: LocalPipeline;
  readonly dataset: { readonly name: string; readonly sha256: string };
  /** An execution input for the stored dataset, with overrides. */
  input(overrides?: Partial<ExecutionInputDraft>): ExecutionInputDraft;
  close(): Promise<void>;
}

let runs = 0;

/**
 * A local pipeline on a fresh folder store holding the built-in sentiment dataset, with short retry
 * intervals and polls so scenarios run in seconds. Everything real: training child processes,
 * onnxruntime, the HTTP endpoint on an ephemeral loopback port.
 */
export async function pipelineFixture(options: Partial<LocalPipelineOptions> = {}): Promise<PipelineFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-scenario-'));
  const store = await openStore(`file://${dir}/store`);
  const { dataset } = await storeDataset(store, 'builtin:sentiment');
  const pipeline = new LocalPipeline({
    store,
    port: 0,
    retryIntervalMs: 10,
    decisionPollMs: 50,
    servePollMs: 100,
    smokeTimeoutMs: 5_000,
    ...options,
  });
  const ref = { name: dataset.name, sha256: dataset.sha256 };
  return {
    dir,
    store,
    pipeline,
    dataset: ref,
    input: (overrides = {}) => ({
      model: 'sentiment',
      runId: `run${++runs}-${process.pid}`,
      dataset: ref,
      thresholds: { minAccuracy: 0.6, maxRegression: 0.02, minClassF1: 0 },
      ...overrides,
    }),
    close: async () => {
      await pipeline.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * One fixture for a test file: created before its tests, closed after them.
 * @example const fixture = usePipelineFixture(); test('…', async () => { const f = fixture(); … });
 */
export function usePipelineFixture(options: Partial<LocalPipelineOptions> = {}): () => PipelineFixture {
  let fixture: PipelineFixture | undefined;
  beforeAll(async () => {
    fixture = await pipelineFixture(options);
  });
  afterAll(async () => {
    await fixture?.close();
  });
  return () => {
    if (!fixture) throw new Error('the pipeline fixture is only available inside tests');
    return fixture;
  };
}

/** Resolves with the first event (already recorded or future) that matches. */
export function waitForEvent(
  handle: ExecutionHandle,
  match: (event: HistoryEvent) => boolean,
  timeoutMs = 60_000,
): Promise<HistoryEvent> {
  const seen = handle.journal.history.find(match);
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no matching event within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = handle.journal.onEvent((event) => {
      if (!match(event)) return;
      clearTimeout(timer);
      off();
      resolve(event);
    });
  });
}

/** Resolves when the execution waits at Approval. */
export const waitingForApproval = (handle: ExecutionHandle) =>
  waitForEvent(handle, (e) => e.type === 'TaskWaiting' && e.state === 'Approval');

/** The top-level states of a successful execution, in the order the definition runs them. */
export const HAPPY_PATH: readonly string[] = [
  'Train',
  'StageTrainingImage',
  'TrainOnSageMaker',
  'Evaluate',
  'Gate',
  'Register',
  'Approval',
  'Promote',
  'SmokeTest',
  'SmokeTestPassed',
  'Done',
];

/** The top-level states an execution entered, in order. */
export function statesEntered(events: readonly HistoryEvent[]): string[] {
  return events.filter((e) => e.type === 'StateEntered').map((e) => e.state as string);
}

/** The version an alias names, or null when it is not set. */
export async function aliasVersion(store: ModelStore, model: string, alias: string): Promise<number | null> {
  try {
    return (await store.getAlias(model, alias)).version;
  } catch (error) {
    if ((error as Error).name === 'NotFoundError') return null;
    throw error;
  }
}

/**
 * Stores the dataset file `data`, runs the pipeline on it as `model`, approves the candidate and waits
 * for the end; the execution must reach Done.
 */
export async function runApprovedOnFile(
  pipeline: LocalPipeline,
  store: ModelStore,
  data: string,
  model: string,
  thresholds: ExecutionInputDraft['thresholds'],
): Promise<ExecutionHandle> {
  const { dataset } = await storeDataset(store, data);
  const handle = await pipeline.runtime.start({
    model,
    runId: model,
    dataset: { name: dataset.name, sha256: dataset.sha256 },
    thresholds,
  });
  await waitingForApproval(handle);
  await approveExecution(store, handle.id, 'ana', `approve ${model}`);
  const outcome = await handle.done;
  if (outcome.status !== 'SUCCEEDED' || outcome.finalState !== 'Done') {
    throw new Error(`execution ${handle.id} ended ${outcome.status} in ${outcome.finalState}`);
  }
  return handle;
}

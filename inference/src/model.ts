import { performance } from 'node:perf_hooks';
import type { ModelManifest } from '@slipway/contracts';
import type { Classifier, Prediction } from '@slipway/training-job';
import { coalescing } from './coalesce.js';
import { ModelLoadError, SelfTestFailedError } from './errors.js';

/** Name and version of the model that answered; version is null for an unregistered folder. */
export interface ModelInfo {
  readonly name: string;
  readonly version: number | null;
}

/** A model ready to serve: checksums verified, one runtime session, self-test passed. */
export interface ServedModel {
  readonly info: ModelInfo;
  readonly classes: readonly string[];
  readonly manifest: ModelManifest;
  /** Folder the files were loaded from. */
  readonly dir: string;
  /** Milliseconds from the start of loading to a passed self-test. */
  readonly loadMs: number;
  /** Predicts texts in order; an empty list returns [] without touching the runtime. */
  predict(texts: readonly string[]): Promise<Prediction[]>;
  close(): Promise<void>;
}

/** Opens a model folder: verifies checksums and creates the runtime session. */
export type ModelOpener = (
  dir: string,
  options?: { intraOpNumThreads?: number; maxBatch?: number },
) => Promise<{ manifest: ModelManifest; classifier: Classifier }>;

export interface LoadModelOptions {
  /** How the folder is opened; tests of the serving logic pass a stand-in. */
  readonly open: ModelOpener;
  /** Largest batch handed to the runtime in one run (bounds the memory of one run); longer lists are split. Default 64. */
  readonly maxRunBatch?: number;
  /** Group concurrent calls into shared runtime runs (see `coalescing`). Default true. */
  readonly coalesce?: boolean;
}

/**
 * Loads a model folder and runs its start-up self-test.
 * Throws ModelLoadError when the files cannot be opened, SelfTestFailedError when this host
 * disagrees with the labels recorded at training time (the classifier is closed before throwing).
 * @example const model = await loadModel('/opt/model', { open: openModel });
 */
export async function loadModel(dir: string, options: LoadModelOptions): Promise<ServedModel> {
  const started = performance.now();
  const maxRunBatch = options.maxRunBatch ?? 64;
  let opened: Awaited<ReturnType<ModelOpener>>;
  try {
    opened = await options.open(dir, { intraOpNumThreads: 1, maxBatch: maxRunBatch });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ModelLoadError(`cannot load the model in ${dir}: ${reason}`, { cause: error });
  }
  const { manifest, classifier } = opened;
  try {
    await selfTest(manifest, classifier, dir);
  } catch (error) {
    await classifier.close().catch(() => undefined);
    throw error;
  }
  const info: ModelInfo = Object.freeze({ name: manifest.name, version: manifest.version });
  return {
    info,
    classes: classifier.classes,
    manifest,
    dir,
    loadMs: performance.now() - started,
    predict:
      options.coalesce === false
        ? (texts) => classifier.predict(texts)
        : coalescing((texts) => classifier.predict(texts), maxRunBatch),
    close: () => classifier.close(),
  };
}

async function selfTest(manifest: ModelManifest, classifier: Classifier, dir: string): Promise<void> {
  const label = `model ${manifest.name}${manifest.version === null ? '' : ` v${manifest.version}`} in ${dir}`;
  if (manifest.selfTest.length === 0) {
    throw new ModelLoadError(
      `${label} has no self-test texts in manifest.json, so this host cannot prove it predicts what training did; retrain it with the current trainer, which records them`,
    );
  }
  const texts = manifest.selfTest.map((entry) => entry.text);
  const predictions = await classifier.predict(texts);
  manifest.selfTest.forEach((entry, i) => {
    const actual = predictions[i]?.label ?? '(no prediction)';
    if (actual !== entry.label) {
      throw new SelfTestFailedError(
        `${label} failed its start-up self-test: ${JSON.stringify(entry.text)} should be "${entry.label}" but this host predicts "${actual}". ` +
          'The host probably lowercases or tokenizes Unicode differently from the training host (check that the C.UTF-8 locale and the same onnxruntime-node version are installed); the service will not start with this model.',
        entry.text,
        entry.label,
        actual,
      );
    }
  });
}

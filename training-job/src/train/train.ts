import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Lineage, Metrics, ModelManifest, SplitRecord, TrainingEnvironment } from '@slipway/contracts';
import type { Dataset, Split } from '../data/types.js';
import { assessModel } from '../model/assess.js';
import { OnnxClassifier, ortReason, sha256 } from '../model/onnx-classifier.js';
import { buildOnnxModel, modelMetadata, type TextModel } from '../onnx/graph.js';
import { onnxruntimeVersion, trainerVersion } from '../versions.js';
import { ModelExportError, TrainingError } from './errors.js';
import type { Hyperparameters } from './hyperparameters.js';
import { fitLogisticRegression } from './logreg.js';
import { section, sectionAsync } from './profile.js';
import { fitTfidf } from './tfidf.js';

/** What training reports while it runs; the CLI draws it on a TTY and prints lines otherwise. */
export type TrainingProgress =
  | { readonly phase: 'vectorize'; readonly elapsedMs: number }
  | { readonly phase: 'fit'; readonly iteration: number; readonly loss: number; readonly elapsedMs: number }
  | { readonly phase: 'export' | 'evaluate'; readonly elapsedMs: number }
  | { readonly phase: 'done'; readonly elapsedMs: number; readonly metrics: Metrics };

export interface TrainOptions {
  /** The model's name in the store (default: the dataset's name). */
  readonly name?: string;
  /**
   * Lineage known to the caller: commit, pull request, execution id, the hyperparameters as passed
   * (default: the resolved ones), and the digest of the image training runs in (default: null).
   */
  readonly lineage?: Partial<
    Pick<Lineage, 'gitCommit' | 'pullRequest' | 'executionId' | 'hyperparametersPassed'>
  > & {
    readonly image?: string | null;
  };
  readonly onProgress?: (progress: TrainingProgress) => void;
  /**
   * Threads the optimizer may use (default: SLIPWAY_TRAIN_THREADS, else every core). The model is
   * byte-identical with any number.
   */
  readonly threads?: number;
  /** Least work per optimizer iteration worth extra threads (see PARALLEL_MIN_WORK in logreg.ts). */
  readonly parallelMinWork?: number;
}

/** Environment variable that sets the optimizer's threads (a whole number >= 1). */
export const TRAIN_THREADS_ENV = 'SLIPWAY_TRAIN_THREADS';

/** The optimizer's thread count: the option, else SLIPWAY_TRAIN_THREADS, else the machine's cores. */
export function trainingThreads(option?: number, env: NodeJS.ProcessEnv = process.env): number {
  const raw = option ?? env[TRAIN_THREADS_ENV];
  if (raw === undefined || raw === '') return availableParallelism();
  const n = typeof raw === 'number' ? raw : Number(raw.trim());
  if (!(Number.isInteger(n) && n >= 1 && n <= 1024)) {
    const source = option === undefined ? `${TRAIN_THREADS_ENV}=${JSON.stringify(raw)}` : `threads=${raw}`;
    throw new TrainingError(`${source}: expected a whole number of threads from 1 to 1024`);
  }
  return n;
}

export interface TrainResult {
  readonly manifest: ModelManifest;
  readonly metrics: Metrics;
  readonly model: TextModel;
  readonly modelBytes: Uint8Array;
}

/**
 * Trains a TF-IDF + softmax regression model, exports it as one ONNX graph, and evaluates the exported
 * file (not the trainer's memory) on the test split with onnxruntime.
 */
export async function trainModel(
  dataset: Dataset,
  hp: Hyperparameters,
  options: TrainOptions = {},
): Promise<TrainResult> {
  const threads = trainingThreads(options.threads);
  const started = performance.now();
  const elapsedMs = () => Math.round(performance.now() - started);
  const report = options.onProgress ?? (() => {});
  const classes = dataset.classes;
  if (classes.length < 2) {
    throw new TrainingError(
      `dataset ${dataset.name} has ${classes.length} class; a classifier needs at least 2`,
    );
  }

  report({ phase: 'vectorize', elapsedMs: elapsedMs() });
  const { fitted, matrix } = await sectionAsync('vectorize', () =>
    fitTfidf(
      dataset.train.map((r) => r.text),
      {
        analyzer: hp.analyzer,
        ngramRange: [hp.ngramMin, hp.ngramMax],
        minDf: hp.minDf,
        maxDf: hp.maxDf,
        maxFeatures: hp.maxFeatures,
        sublinearTf: hp.sublinearTf,
        threads,
      },
    ),
  );
  if (fitted.vocabulary.length === 0) {
    throw new TrainingError(
      `no n-gram of dataset ${dataset.name} occurs in ${hp.minDf} or more training texts; lower minDf or add data`,
    );
  }
  const classIndex = new Map(classes.map((c, i) => [c, i]));
  const y = Int32Array.from(dataset.train, (r) => classIndex.get(r.label) as number);
  const fit = section('fit', () =>
    fitLogisticRegression(matrix, y, classes.length, {
      C: hp.C,
      maxIter: hp.maxIter,
      tol: hp.tol,
      threads,
      ...(options.parallelMinWork === undefined ? {} : { parallelMinWork: options.parallelMinWork }),
      onIteration: ({ iteration, loss }) => report({ phase: 'fit', iteration, loss, elapsedMs: elapsedMs() }),
    }),
  );

  report({ phase: 'export', elapsedMs: elapsedMs() });
  const model: TextModel = {
    analyzer: hp.analyzer,
    ngramRange: [hp.ngramMin, hp.ngramMax],
    sublinearTf: hp.sublinearTf,
    vocabulary: fitted.vocabulary,
    idf: fitted.idf,
    classes,
    weights: Float32Array.from(fit.weights),
    bias: Float32Array.from(fit.bias),
  };
  const name = options.name ?? dataset.name;
  const modelBytes = section('export', () =>
    buildOnnxModel(
      model,
      modelMetadata(model, { 'slipway.model_name': name, 'slipway.dataset_sha256': dataset.sha256 }),
      trainerVersion,
    ),
  );

  report({ phase: 'evaluate', elapsedMs: elapsedMs() });
  const assessed = await sectionAsync('evaluate', async () => {
    const session = await openExported(modelBytes, classes, hp);
    try {
      return await assessModel(session, dataset.test);
    } finally {
      await session.close();
    }
  });
  const { metrics, selfTest } = assessed;

  const trainingDurationMs = elapsedMs();
  const manifest: ModelManifest = {
    schema: 'slipway.model/v1',
    name,
    version: null,
    files: {},
    classes: [...classes],
    metrics,
    selfTest,
    lineage: {
      gitCommit: options.lineage?.gitCommit ?? null,
      pullRequest: options.lineage?.pullRequest ?? null,
      executionId: options.lineage?.executionId ?? null,
      dataset: { name: dataset.name, sha256: dataset.sha256 },
      hyperparameters: { ...hp },
      hyperparametersPassed: { ...(options.lineage?.hyperparametersPassed ?? hp) },
      split: splitRecord(dataset.split),
      trainer: { type: 'builtin', version: trainerVersion },
      environment: trainingEnvironment(options.lineage?.image ?? null),
      trainerVersion,
      onnxruntimeVersion,
      createdAt: new Date().toISOString(),
      trainingDurationMs,
    },
  };
  report({ phase: 'done', elapsedMs: trainingDurationMs, metrics });
  return { manifest, metrics, model, modelBytes };
}

/**
 * Opens the freshly exported graph in onnxruntime. A refusal is the exporter's defect, the same on
 * every retry, so it becomes a named error that says so instead of onnxruntime's stack.
 */
export async function openExported(
  modelBytes: Uint8Array,
  classes: readonly string[],
  hp: Hyperparameters,
): Promise<OnnxClassifier> {
  return OnnxClassifier.fromBytes(modelBytes, classes).catch((cause: unknown) => {
    throw new ModelExportError(
      `onnxruntime ${onnxruntimeVersion} refuses the model exported for ${describe(hp)}: ` +
        `${ortReason(cause)}. Nothing was written; this is a defect in slipway's ` +
        'exporter, not in your data: train with other n-gram settings meanwhile.',
      { cause },
    );
  });
}

/** The dataset's split as lineage records it (a test file's path is the trainer's, not the model's). */
export function splitRecord(split: Split): SplitRecord {
  return 'testFile' in split
    ? { method: 'test-file' }
    : { method: 'stratified', seed: split.seed, testFraction: split.testFraction };
}

/** This process's runtime, as lineage records it. */
export function trainingEnvironment(image: string | null): TrainingEnvironment {
  return {
    node: process.versions.node,
    onnxruntime: onnxruntimeVersion,
    platform: `${process.platform}-${process.arch}`,
    image,
  };
}

/** The settings that shape the graph, as a user would write them. */
function describe(hp: Hyperparameters): string {
  return `analyzer=${hp.analyzer} ngram_min=${hp.ngramMin} ngram_max=${hp.ngramMax} sublinear_tf=${hp.sublinearTf}`;
}

/**
 * Writes model.onnx, metrics.json and manifest.json into `dir`. Each file goes through a temporary name
 * and a rename; the manifest comes last, so a folder without one is not a model. On failure the files
 * written so far are removed.
 */
export async function writeModelDir(dir: string, result: TrainResult): Promise<ModelManifest> {
  return writeModelFiles(dir, result.manifest, [['model.onnx', result.modelBytes]], result.metrics);
}

/**
 * Writes a model folder's files and, last, its manifest listing them with `kept` (files already in the
 * folder, e.g. what a training program wrote) and metrics.json. Each file goes through a temporary name
 * and a rename; on failure the files written so far are removed.
 */
export async function writeModelFiles(
  dir: string,
  manifest: ModelManifest,
  written: readonly (readonly [string, Uint8Array])[],
  metrics: Metrics,
  kept: Readonly<Record<string, Uint8Array>> = {},
): Promise<ModelManifest> {
  const utf8 = new TextEncoder();
  const files: [string, Uint8Array][] = [
    ...written.map(([name, bytes]): [string, Uint8Array] => [name, bytes]),
    ['metrics.json', utf8.encode(`${JSON.stringify(metrics, null, 2)}\n`)],
  ];
  const listed = [...Object.entries(kept), ...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const complete: ModelManifest = {
    ...manifest,
    files: Object.fromEntries(
      listed.map(([name, bytes]) => [name, { sha256: sha256(bytes), bytes: bytes.length }]),
    ),
  };
  files.push(['manifest.json', utf8.encode(`${JSON.stringify(complete, null, 2)}\n`)]);
  const done: string[] = [];
  try {
    await mkdir(dir, { recursive: true });
    // Without a manifest the folder is not a model: drop an old one before its files are replaced.
    await rm(join(dir, 'manifest.json'), { force: true });
    for (const [name, bytes] of files) {
      const temp = join(dir, `.${name}.${randomUUID()}.tmp`);
      await writeFile(temp, bytes);
      await rename(temp, join(dir, name)).catch(async (error: unknown) => {
        await rm(temp, { force: true });
        throw error;
      });
      done.push(name);
    }
  } catch (cause) {
    await Promise.all(done.map((name) => rm(join(dir, name), { force: true })));
    throw new TrainingError(`cannot write the model to ${dir}: ${(cause as Error).message}`, { cause });
  }
  return complete;
}

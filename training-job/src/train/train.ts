import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Lineage, Metrics, ModelManifest, SplitRecord, TrainingEnvironment } from '@slipway/contracts';
import type { Dataset, Split } from '../data/types.js';
import { computeMetrics } from '../model/metrics.js';
import { OnnxClassifier, ortReason, sha256 } from '../model/onnx-classifier.js';
import { buildOnnxModel, modelMetadata, type TextModel } from '../onnx/graph.js';
import { onnxruntimeVersion, trainerVersion } from '../versions.js';
import { ModelExportError, TrainingError } from './errors.js';
import type { Hyperparameters } from './hyperparameters.js';
import { fitLogisticRegression } from './logreg.js';
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

/** How many test texts the manifest keeps, with their labels and probabilities, for serving self-tests. */
const SELF_TEST_SIZE = 8;

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
  const { fitted, matrix } = await fitTfidf(
    dataset.train.map((r) => r.text),
    {
      analyzer: hp.analyzer,
      ngramRange: [hp.ngramMin, hp.ngramMax],
      minDf: hp.minDf,
      maxDf: hp.maxDf,
      maxFeatures: hp.maxFeatures,
      sublinearTf: hp.sublinearTf,
    },
  );
  if (fitted.vocabulary.length === 0) {
    throw new TrainingError(
      `no n-gram of dataset ${dataset.name} occurs in ${hp.minDf} or more training texts; lower minDf or add data`,
    );
  }
  const classIndex = new Map(classes.map((c, i) => [c, i]));
  const y = Int32Array.from(dataset.train, (r) => classIndex.get(r.label) as number);
  const fit = fitLogisticRegression(matrix, y, classes.length, {
    C: hp.C,
    maxIter: hp.maxIter,
    tol: hp.tol,
    threads,
    ...(options.parallelMinWork === undefined ? {} : { parallelMinWork: options.parallelMinWork }),
    onIteration: ({ iteration, loss }) => report({ phase: 'fit', iteration, loss, elapsedMs: elapsedMs() }),
  });

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
  const modelBytes = buildOnnxModel(
    model,
    modelMetadata(model, { 'slipway.model_name': name, 'slipway.dataset_sha256': dataset.sha256 }),
    trainerVersion,
  );

  report({ phase: 'evaluate', elapsedMs: elapsedMs() });
  const session = await openExported(modelBytes, classes, hp);
  let metrics: Metrics;
  let selfTest: ModelManifest['selfTest'];
  try {
    const texts = dataset.test.map((r) => r.text);
    const raw = await session.predictRaw(texts);
    const k = classes.length;
    const rows = texts.map((_, i) => raw.probabilities.subarray(i * k, (i + 1) * k));
    metrics = computeMetrics(
      classes,
      dataset.test.map((r) => r.label),
      raw.labels,
      rows,
    );
    // Real test texts, plus variants whose result depends on the host's Unicode handling: the same
    // text upper-cased (lowercasing must work at all), and with Greek capital sigma, Turkish dotted I,
    // U+FFFD (what a lone surrogate becomes before onnxruntime, and before any JSON file: jq and Go refuse
    // or alter an escaped lone surrogate) and a NUL (the cases where runtimes and locales have differed).
    const picked = pickSelfTest(texts, raw.labels, classes).map((i) => texts[i] as string);
    const first = picked[0] ?? '';
    const probes = [...picked, first.toUpperCase(), `ΟΔΥΣΣΕΥΣ İSTANBUL ${first} \ufffd ok\u0000 ignored`];
    const probed = await session.predictRaw(probes);
    selfTest = probes.map((text, i) => ({
      text,
      label: probed.labels[i] as string,
      probabilities: Object.fromEntries(
        classes.map((c, ci) => [c, probed.probabilities[i * classes.length + ci] as number]),
      ),
    }));
  } finally {
    await session.close();
  }

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

/** A few short test texts covering every predicted class, so a serving host can check it agrees. */
function pickSelfTest(
  texts: readonly string[],
  labels: readonly string[],
  classes: readonly string[],
): number[] {
  const order = texts
    .map((_, i) => i)
    .sort((a, b) => (texts[a] as string).length - (texts[b] as string).length);
  const picked: number[] = [];
  for (const cls of classes) {
    const i = order.find((j) => labels[j] === cls && (texts[j] as string).length <= 500);
    if (i !== undefined) picked.push(i);
  }
  for (const i of order) {
    if (picked.length >= SELF_TEST_SIZE) break;
    if (!picked.includes(i) && (texts[i] as string).length <= 500) picked.push(i);
  }
  return picked.sort((a, b) => a - b);
}

/**
 * Writes model.onnx, metrics.json and manifest.json into `dir`. Each file goes through a temporary name
 * and a rename; the manifest comes last, so a folder without one is not a model. On failure the files
 * written so far are removed.
 */
export async function writeModelDir(dir: string, result: TrainResult): Promise<ModelManifest> {
  const utf8 = new TextEncoder();
  const files: [string, Uint8Array][] = [
    ['model.onnx', result.modelBytes],
    ['metrics.json', utf8.encode(`${JSON.stringify(result.metrics, null, 2)}\n`)],
  ];
  const manifest: ModelManifest = {
    ...result.manifest,
    files: Object.fromEntries(
      files.map(([name, bytes]) => [name, { sha256: sha256(bytes), bytes: bytes.length }]),
    ),
  };
  files.push(['manifest.json', utf8.encode(`${JSON.stringify(manifest, null, 2)}\n`)]);
  const written: string[] = [];
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
      written.push(name);
    }
  } catch (cause) {
    await Promise.all(written.map((name) => rm(join(dir, name), { force: true })));
    throw new TrainingError(`cannot write the model to ${dir}: ${(cause as Error).message}`, { cause });
  }
  return manifest;
}

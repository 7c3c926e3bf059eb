// Real models and a real folder store for the pipeline steps' tests. Models are trained by the real
// trainer once per test file (about a second for both) and packed as SageMaker would pack them.

import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { layout, type ModelManifest } from '@slipway/contracts';
import { packArchive } from '@slipway/contracts/tar';
import { type ModelStore, openStore } from '@slipway/model-store';
import {
  type Dataset,
  type Hyperparameters,
  loadDataset,
  resolveHyperparameters,
  trainModel,
  writeModelDir,
} from '@slipway/training-job';

/** The better of the two test models: word 1-2 grams, C 10 (accuracy 0.833 on the sentiment split). */
export const STRONG: Partial<Hyperparameters> = { minDf: 2 };
/** A weaker, faster model: unigrams only, C 1 (accuracy 0.805 on the same split). */
export const WEAK: Partial<Hyperparameters> = { minDf: 3, C: 1, ngramMax: 1 };

/** A trained model as the training job leaves it: files of /opt/ml/model and their model.tar.gz. */
export interface TrainedArtifact {
  readonly manifest: ModelManifest;
  /** model.onnx, metrics.json, manifest.json. */
  readonly files: Readonly<Record<string, Uint8Array>>;
  readonly archive: Uint8Array;
}

let sentiment: Promise<Dataset> | undefined;

/** builtin:sentiment with the trainer's default split (2,400 train, 600 test rows). */
export function sentimentDataset(): Promise<Dataset> {
  sentiment ??= loadDataset('builtin:sentiment');
  return sentiment;
}

const trained = new Map<string, Promise<TrainedArtifact>>();

/** Trains (once per test file and settings) a sentiment model and packs it as model.tar.gz. */
export function trainArtifact(hp: Partial<Hyperparameters>, name = 'sentiment'): Promise<TrainedArtifact> {
  const key = JSON.stringify([hp, name]);
  let result = trained.get(key);
  if (result === undefined) {
    result = train(hp, name);
    trained.set(key, result);
  }
  return result;
}

async function train(hp: Partial<Hyperparameters>, name: string): Promise<TrainedArtifact> {
  const result = await trainModel(await sentimentDataset(), resolveHyperparameters(hp), { name });
  const dir = await mkdtemp(join(tmpdir(), 'slipway-steps-model-'));
  try {
    const manifest = await writeModelDir(dir, result);
    const files: Record<string, Uint8Array> = {};
    for (const file of await readdir(dir)) files[file] = new Uint8Array(await readFile(join(dir, file)));
    return { manifest, files, archive: packArchive(files) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A folder store in a temp folder holding the sentiment dataset. */
export interface StepsStore {
  readonly root: string;
  readonly store: ModelStore;
  readonly dataset: { readonly name: string; readonly sha256: string };
  close(): Promise<void>;
}

/** JSONL of rows, one `{"text","label"}` per line. */
export function jsonl(rows: readonly { text: string; label: string }[]): string {
  return rows.map((r) => `${JSON.stringify({ text: r.text, label: r.label })}\n`).join('');
}

/** Opens a fresh folder store and stores the sentiment dataset in it (name `sentiment`). */
export async function createStepsStore(): Promise<StepsStore> {
  const root = await mkdtemp(join(tmpdir(), 'slipway-steps-store-'));
  const store = await openStore(`file://${root}`, { actor: 'test' });
  const data = await sentimentDataset();
  const { sha256 } = await store.putDataset('sentiment', {
    train: jsonl(data.train),
    test: jsonl(data.test),
  });
  return {
    root,
    store,
    dataset: { name: 'sentiment', sha256 },
    async close() {
      await store.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** Puts bytes where a training job named `job` writes its model.tar.gz; returns the artifact's URI. */
export async function putArtifact(store: ModelStore, job: string, archive: Uint8Array): Promise<string> {
  const key = layout.runArtifact(job);
  await store.backend.put(key, archive);
  return `${store.backend.uri.replace(/\/+$/, '')}/${key}`;
}

/** Registers a trained model directly (as a previous pipeline run would have); returns its version. */
export async function registerTrained(
  store: ModelStore,
  artifact: TrainedArtifact,
  name = artifact.manifest.name,
): Promise<number> {
  const { 'manifest.json': _manifest, ...files } = artifact.files;
  const { version } = await store.registerModel({
    name,
    files,
    manifest: { ...artifact.manifest, name },
    executionId: null,
  });
  return version;
}

/** Default gate thresholds of an execution. */
export const THRESHOLDS = { minAccuracy: 0.6, maxRegression: 0.01, minClassF1: 0 } as const;

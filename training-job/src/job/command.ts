import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { type Lineage, MODEL_SCHEMA, type ModelManifest } from '@slipway/contracts';
import { loadDataset } from '../data/index.js';
import type { Dataset } from '../data/types.js';
import { assessModel } from '../model/assess.js';
import { checkModelContract } from '../model/contract.js';
import { ModelContractError } from '../model/errors.js';
import { splitRecord, trainingEnvironment, writeModelFiles } from '../train/train.js';
import { onnxruntimeVersion } from '../versions.js';

/** A team's own training program, run as a command (argv, no shell) in `workdir`. */
export interface CommandTrainer {
  readonly type: 'command';
  readonly command: readonly string[];
  /** Absolute; the command runs here (default: the current directory). */
  readonly workdir?: string;
}

/** What the manifest of a command-trained model records besides what the model says about itself. */
export interface CommandModelRecord {
  /** The model's name in the store. */
  readonly name: string;
  readonly trainer: CommandTrainer;
  /** Dataset name (the store's); its sha256 is computed from the channels. */
  readonly datasetName?: string;
  readonly hyperparameters: Readonly<Record<string, string>>;
  readonly lineage?: Partial<Pick<Lineage, 'gitCommit' | 'pullRequest' | 'executionId'>>;
  readonly trainingDurationMs: number;
  /** Digest of the image the program ran in (`<repository>@sha256:<hex>`); none when run on the host. */
  readonly image?: string | null;
}

/** Files a program wrote under `dir`, by path relative to it (subfolders included, `/`-separated). */
async function filesUnder(dir: string): Promise<Record<string, Uint8Array>> {
  const files: Record<string, Uint8Array> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files[relative(dir, path).split('\\').join('/')] = await readFile(path);
  }
  return files;
}

/** The dataset a training root was laid out with: the `train` and `test` channels. */
export async function channelDataset(root: string, name?: string): Promise<Dataset> {
  return loadDataset(join(root, 'input/data/train'), {
    test: join(root, 'input/data/test'),
    ...(name ? { name } : {}),
  });
}

/**
 * Turns what a training program left in `<root>/model/` into a slipway model: checks `model.onnx`
 * against the model contract in onnxruntime on the test channel's texts, measures it there (metrics,
 * self-test cases from its own outputs) and writes `metrics.json` and, last, `manifest.json` beside the
 * program's files. A file that breaks the contract is refused with {@link ModelContractError}.
 *
 * @example const manifest = await recordCommandModel(root, { name: 'spam', trainer, hyperparameters: {}, trainingDurationMs });
 */
export async function recordCommandModel(root: string, record: CommandModelRecord): Promise<ModelManifest> {
  const dir = join(root, 'model');
  const {
    'manifest.json': _manifest,
    'metrics.json': _metrics,
    ...files
  } = await filesUnder(dir).catch(() => ({}) as Record<string, Uint8Array>);
  const bytes = files['model.onnx'];
  if (!bytes) {
    const found = Object.keys(files);
    throw new ModelContractError(
      `the training program wrote no model.onnx to its model folder (SM_MODEL_DIR)${found.length > 0 ? `; it wrote ${found.slice(0, 10).join(', ')}` : ', which is empty'}; slipway needs the model there as model.onnx`,
    );
  }
  const dataset = await channelDataset(root, record.datasetName);
  const classifier = await checkModelContract(
    bytes,
    dataset.test.map((r) => r.text),
  );
  let assessed: Awaited<ReturnType<typeof assessModel>>;
  try {
    assessed = await assessModel(classifier, dataset.test);
  } finally {
    await classifier.close();
  }
  const manifest: ModelManifest = {
    schema: MODEL_SCHEMA,
    name: record.name,
    version: null,
    files: {},
    classes: [...classifier.classes],
    metrics: assessed.metrics,
    selfTest: assessed.selfTest,
    lineage: {
      gitCommit: record.lineage?.gitCommit ?? null,
      pullRequest: record.lineage?.pullRequest ?? null,
      executionId: record.lineage?.executionId ?? null,
      dataset: { name: dataset.name, sha256: dataset.sha256 },
      hyperparameters: { ...record.hyperparameters },
      hyperparametersPassed: { ...record.hyperparameters },
      split: splitRecord(dataset.split),
      trainer: { type: 'command', command: [...record.trainer.command], image: record.image ?? null },
      // The runtime that checked and measured the model, which serves it: the program's own is its own.
      environment: trainingEnvironment(record.image ?? null),
      // Older readers show this field as "the trainer": they read the command.
      trainerVersion: `command: ${record.trainer.command.join(' ')}`,
      onnxruntimeVersion,
      createdAt: new Date().toISOString(),
      trainingDurationMs: record.trainingDurationMs,
    },
  };
  return writeModelFiles(dir, manifest, [], assessed.metrics, files);
}

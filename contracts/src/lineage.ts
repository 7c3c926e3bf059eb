import type { SplitRecord, TrainerRecord, TrainingEnvironment } from './manifest.js';

type Scalar = string | number | boolean;

/**
 * A manifest's lineage read for a rebuild: every field present, null where the manifest does not say.
 * Older manifests (no `trainer`, `environment`, `split`, `hyperparametersPassed`) read with what they
 * do record: `trainerVersion` becomes a built-in trainer, `onnxruntimeVersion` the environment's
 * onnxruntime.
 */
export interface RebuildLineage {
  readonly gitCommit: string | null;
  readonly dataset: { readonly name: string; readonly sha256: string } | null;
  readonly hyperparameters: Readonly<Record<string, Scalar>> | null;
  readonly hyperparametersPassed: Readonly<Record<string, Scalar>> | null;
  readonly split: SplitRecord | null;
  readonly trainer: TrainerRecord | null;
  readonly environment: {
    readonly [K in keyof TrainingEnvironment]: TrainingEnvironment[K] | null;
  };
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const sha = (v: unknown): string | null => (typeof v === 'string' && /^[0-9a-f]{64}$/.test(v) ? v : null);

function scalars(v: unknown): Record<string, Scalar> | null {
  if (!isObject(v)) return null;
  const out: Record<string, Scalar> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') out[k] = x;
    else return null;
  }
  return out;
}

function trainerOf(l: Json): TrainerRecord | null {
  const t = l.trainer;
  if (isObject(t)) {
    if (t.type === 'builtin' && str(t.version)) return { type: 'builtin', version: t.version as string };
    if (
      t.type === 'command' &&
      Array.isArray(t.command) &&
      t.command.length > 0 &&
      t.command.every((a) => typeof a === 'string') &&
      (t.image === null || t.image === undefined || typeof t.image === 'string')
    ) {
      return { type: 'command', command: [...(t.command as string[])], image: str(t.image) };
    }
    return null;
  }
  const version = str(l.trainerVersion);
  return version === null ? null : { type: 'builtin', version };
}

function splitOf(v: unknown): SplitRecord | null {
  if (!isObject(v)) return null;
  if (v.method === 'test-file') return { method: 'test-file' };
  if (
    v.method === 'stratified' &&
    typeof v.seed === 'number' &&
    Number.isInteger(v.seed) &&
    typeof v.testFraction === 'number'
  ) {
    return { method: 'stratified', seed: v.seed, testFraction: v.testFraction };
  }
  return null;
}

/**
 * Reads whatever lineage a manifest carries (any age, any writer) into {@link RebuildLineage}; never
 * throws. A field that is malformed reads as null, like a missing one.
 *
 * @example rebuildLineage(manifest.lineage).trainer // { type: 'builtin', version: '0.1.0' }
 */
export function rebuildLineage(lineage: unknown): RebuildLineage {
  const l = isObject(lineage) ? lineage : {};
  const dataset = isObject(l.dataset) ? l.dataset : {};
  const env = isObject(l.environment) ? l.environment : {};
  const datasetName = str(dataset.name);
  const datasetSha = sha(dataset.sha256);
  return {
    gitCommit: str(l.gitCommit),
    dataset: datasetName !== null && datasetSha !== null ? { name: datasetName, sha256: datasetSha } : null,
    hyperparameters: scalars(l.hyperparameters),
    hyperparametersPassed: scalars(l.hyperparametersPassed),
    split: splitOf(l.split),
    trainer: trainerOf(l),
    environment: {
      node: str(env.node),
      onnxruntime: str(env.onnxruntime) ?? str(l.onnxruntimeVersion),
      platform: str(env.platform),
      image: str(env.image),
    },
  };
}

/** How a trainer reads in one line: `builtin 0.1.0`, `command python3 train.py (image …)`. */
export function describeTrainer(trainer: TrainerRecord | null): string {
  if (trainer === null) return 'unknown';
  if (trainer.type === 'builtin') return `builtin ${trainer.version}`;
  return `command ${trainer.command.join(' ')}${trainer.image ? ` (image ${trainer.image})` : ''}`;
}

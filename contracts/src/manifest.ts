/** `schema` of a model version's `manifest.json`. */
export const MODEL_SCHEMA = 'slipway.model/v1';
/** `schema` of a dataset's `manifest.json` (a dataset directory's and the store's copy alike). */
export const DATASET_SCHEMA = 'slipway.dataset/v1';

/** sha256 and size of one file of a model or dataset version. */
export interface FileEntry {
  readonly sha256: string;
  readonly bytes: number;
}

/** Per-class precision, recall, F1 and support. */
export interface ClassMetrics {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  readonly support: number;
}

/** Classification metrics computed from an ONNX session's outputs on a held-out split. */
export interface Metrics {
  readonly accuracy: number;
  readonly macroF1: number;
  readonly logLoss: number;
  readonly perClass: Readonly<Record<string, ClassMetrics>>;
  /** confusion[i][j] = rows of true class i predicted as class j, in `classes` order. */
  readonly confusion: readonly (readonly number[])[];
  readonly classes: readonly string[];
  readonly rows: number;
}

/**
 * The program that trained a model: slipway's built-in trainer at a version, or a team's own trainer
 * (any program following SageMaker's training contract), run as `command` in `image` (null: on the host).
 */
export type TrainerRecord =
  | { readonly type: 'builtin'; readonly version: string }
  | { readonly type: 'command'; readonly command: readonly string[]; readonly image: string | null };

/**
 * How the dataset's test rows were chosen. `stratified` is the seeded per-class split of
 * `stratifiedSplit` (mulberry32, Fisher-Yates per class in sorted label order); `test-file` means the
 * rows came split. The stored dataset holds both parts, so its sha256 already pins the rows; this
 * records how they were drawn, so the same split can be drawn again from the source file.
 */
export type SplitRecord =
  | { readonly method: 'stratified'; readonly seed: number; readonly testFraction: number }
  | { readonly method: 'test-file' };

/** The runtime a model was trained in: what must match for a bit-for-bit rebuild. */
export interface TrainingEnvironment {
  /** `process.versions.node` of the training process. */
  readonly node: string;
  readonly onnxruntime: string;
  /** `<os>-<arch>`, e.g. `linux-x64`. */
  readonly platform: string;
  /** Digest of the training image (`<repository>@sha256:<hex>`); null when not trained in an image. */
  readonly image: string | null;
}

/**
 * Where a model came from, and everything a rebuild needs (see `slipway verify`). Fields are null
 * when unknown (e.g. a local run outside git).
 *
 * Reading: manifests written before `slipway verify` existed lack `hyperparametersPassed`, `split`,
 * `trainer` and `environment` (and manifests from other tools may lack more), so those fields are
 * optional here and readers treat a missing one as unknown. `rebuildLineage()` reads any manifest's
 * lineage into one shape with explicit nulls. Writers fill every field.
 */
export interface Lineage {
  readonly gitCommit: string | null;
  readonly pullRequest: number | null;
  readonly executionId: string | null;
  /** The dataset version: `datasets/<name>/<sha256>/` in the store (create-only, never changes). */
  readonly dataset: { readonly name: string; readonly sha256: string };
  /** Hyperparameters as resolved: every value the trainer used, defaults included. */
  readonly hyperparameters: Readonly<Record<string, string | number | boolean>>;
  /** Hyperparameters as passed to the trainer (SageMaker's hyperparameters.json), before defaults. */
  readonly hyperparametersPassed?: Readonly<Record<string, string | number | boolean>>;
  readonly split?: SplitRecord;
  readonly trainer?: TrainerRecord;
  readonly environment?: TrainingEnvironment;
  /** The built-in trainer's version (`trainer.version`); kept for readers of older manifests. */
  readonly trainerVersion: string;
  /** `environment.onnxruntime`; kept for readers of older manifests. */
  readonly onnxruntimeVersion: string;
  readonly createdAt: string;
  readonly trainingDurationMs: number;
}

/** One self-test case: a text and what the exported model said about it at training time. */
export interface SelfTestCase {
  readonly text: string;
  readonly label: string;
  /** The probabilities the exported model gave at training time (float32 values). */
  readonly probabilities?: Readonly<Record<string, number>>;
}

/**
 * `manifest.json`, the record beside `model.onnx`. The training job writes it with `version: null`;
 * the model store fills `version` when it registers the files (and re-checks every `files` hash).
 *
 * @example if (manifest.schema === MODEL_SCHEMA) console.log(manifest.name, manifest.version);
 */
export interface ModelManifest {
  readonly schema: typeof MODEL_SCHEMA;
  readonly name: string;
  readonly version: number | null;
  /** Every file of the version except manifest.json. */
  readonly files: Readonly<Record<string, FileEntry>>;
  readonly classes: readonly string[];
  readonly metrics: Metrics;
  /** Texts with the labels the exported model gave them at training time: a serving host must agree. */
  readonly selfTest: readonly SelfTestCase[];
  readonly lineage: Lineage;
}

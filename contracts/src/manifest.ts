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

/** Where a model came from. Fields are null when unknown (e.g. a local run outside git). */
export interface Lineage {
  readonly gitCommit: string | null;
  readonly pullRequest: number | null;
  readonly executionId: string | null;
  readonly dataset: { readonly name: string; readonly sha256: string };
  readonly hyperparameters: Readonly<Record<string, string | number | boolean>>;
  readonly trainerVersion: string;
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

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

export interface FileEntry {
  readonly sha256: string;
  readonly bytes: number;
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

/**
 * `manifest.json`, the record beside `model.onnx`. The training job writes it with `version: null`;
 * the model store fills `version` when it registers the files (and re-checks every `files` hash).
 */
export interface ModelManifest {
  readonly schema: 'slipway.model/v1';
  readonly name: string;
  readonly version: number | null;
  readonly files: Readonly<Record<string, FileEntry>>;
  readonly classes: readonly string[];
  readonly metrics: Metrics;
  /** Texts with the labels the exported model gave them at training time: a serving host must agree. */
  readonly selfTest: readonly {
    readonly text: string;
    readonly label: string;
    /** The probabilities the exported model gave at training time (float32 values). */
    readonly probabilities?: Readonly<Record<string, number>>;
  }[];
  readonly lineage: Lineage;
}

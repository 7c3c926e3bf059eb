/**
 * Training could not run on the input it was given (bad labels, malformed matrix, bad options).
 * The state machine matches this name in `Catch`; the message says what to fix.
 *
 * @example throw new TrainingError('y has 3 labels but x has 4 rows: pass one label per row.');
 */
export class TrainingError extends Error {
  override readonly name = 'TrainingError';
  /** Stable across releases, for programs (contracts' error table). */
  readonly code = 'SLIPWAY_TRAINING';

  constructor(message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
  }
}

/**
 * The exported model.onnx was refused by onnxruntime. It is deterministic (the same data and
 * hyperparameters give the same file), so it is never worth a retry; the message names the settings.
 *
 * @example throw new ModelExportError('onnxruntime 1.30.0 refuses the exported model (…)');
 */
export class ModelExportError extends Error {
  override readonly name = 'ModelExportError';
  /** Stable across releases, for programs (contracts' error table). */
  readonly code = 'SLIPWAY_MODEL_EXPORT';

  constructor(message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
  }
}

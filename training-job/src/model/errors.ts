/** A model folder that cannot be used: missing, unreadable, corrupt or not a slipway model. */
export class ModelFileError extends Error {
  override readonly name = 'ModelFileError';
  /** Stable across releases, for programs (contracts' error table). */
  readonly code = 'SLIPWAY_MODEL_FILE';
}

/**
 * A model.onnx that breaks slipway's model contract (`text: string[N]` in; `label: string[N]` and
 * `probabilities: float32[N, C]` out; class names in `metadata_props`). The message says what the file
 * has and what slipway needs; the same file fails the same way every time, so it is never retried.
 */
export class ModelContractError extends Error {
  override readonly name = 'ModelContractError';
  /** Stable across releases, for programs (contracts' error table). */
  readonly code = 'SLIPWAY_MODEL_CONTRACT';
}

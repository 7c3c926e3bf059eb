/** A model folder that cannot be used: missing, unreadable, corrupt or not a slipway model. */
export class ModelFileError extends Error {
  override readonly name = 'ModelFileError';
  /** Stable across releases, for programs (contracts' error table). */
  readonly code = 'SLIPWAY_MODEL_FILE';
}

/**
 * The training container is configured wrongly: a Fargate variable missing, malformed or inconsistent.
 * The message names the variable and what it should hold.
 */
export class ContainerConfigError extends Error {
  override readonly name = 'ContainerConfigError';
  /** Stable across releases, for programs (contracts' error table). */
  readonly code = 'SLIPWAY_CONTAINER_CONFIG';

  constructor(message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
  }
}

/** An object could not be read from or written to storage (S3): the message says which and why. */
export class StorageError extends Error {
  override readonly name = 'StorageError';
  /** Stable across releases, for programs (contracts' error table). */
  readonly code = 'SLIPWAY_STORAGE';

  constructor(message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
  }
}

/**
 * The model store's error family. Every class sets `name` to its class name so callers (and the state
 * machine's Catch/Retry rules) can match on it, passes `cause` on, and says how to fix the problem.
 */

import type { ErrorCode } from '@slipway/contracts';

/** Base class of every error the model store throws on purpose. */
export class ModelStoreError extends Error {
  /** Stable across releases, for programs (the CLI's exit codes); subclasses refine it. */
  readonly code: ErrorCode = 'SLIPWAY_STORE';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ModelStoreError';
  }
}

/** A model, version, alias, dataset or file that does not exist. */
export class NotFoundError extends ModelStoreError {
  override readonly code: ErrorCode = 'SLIPWAY_NOT_FOUND';

  constructor(
    message: string,
    readonly what: 'model' | 'version' | 'alias' | 'dataset' | 'file' | 'previous-version',
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'NotFoundError';
  }
}

/**
 * An alias move onto a version people rejected at approval, without `force` and a reason. The message
 * names who rejected it, when and why.
 */
export class RejectedVersionError extends ModelStoreError {
  override readonly code: ErrorCode = 'SLIPWAY_REJECTED_VERSION';

  constructor(
    message: string,
    readonly rejection: unknown,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'RejectedVersionError';
  }
}

/** A compare-and-swap lost: someone else changed the record first. Re-read and retry. */
export class ConflictError extends ModelStoreError {
  override readonly code: ErrorCode = 'SLIPWAY_CONFLICT';

  constructor(
    message: string,
    /** The record's current state when the conflict was detected, when known. */
    readonly current?: unknown,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ConflictError';
  }
}

/** A stored file whose sha256 differs from the one its manifest records. */
export class IntegrityError extends ModelStoreError {
  override readonly code: ErrorCode = 'SLIPWAY_INTEGRITY';

  constructor(
    readonly key: string,
    readonly file: string,
    readonly expected: string,
    readonly actual: string,
    context: string,
  ) {
    super(
      `${context}: file "${file}" failed its integrity check (expected sha256 ${expected}, got ${actual}) at ${key}; ` +
        'the stored file was changed or corrupted: restore it from a backup or register the model again as a new version',
    );
    this.name = 'IntegrityError';
  }
}

/** A model, alias, dataset, file or execution name that cannot be used as a key. */
export class InvalidNameError extends ModelStoreError {
  override readonly code: ErrorCode = 'SLIPWAY_INVALID_NAME';

  constructor(message: string) {
    super(message);
    this.name = 'InvalidNameError';
  }
}

/** A manifest or file set handed to the store that it cannot register. */
export class InvalidManifestError extends ModelStoreError {
  override readonly code: ErrorCode = 'SLIPWAY_INVALID_MANIFEST';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvalidManifestError';
  }
}

/** The store cannot be opened or reached as configured: URI, bucket, credentials, permissions. */
export class StoreConfigError extends ModelStoreError {
  override readonly code: ErrorCode = 'SLIPWAY_STORE_CONFIG';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StoreConfigError';
  }
}

/** A stored JSON record (manifest, alias, claim) that does not parse or lacks what the store relies on. */
export class CorruptManifestError extends ModelStoreError {
  override readonly code: ErrorCode = 'SLIPWAY_CORRUPT_RECORD';

  constructor(
    readonly key: string,
    problem: string,
    options?: ErrorOptions,
  ) {
    super(
      `the record at ${key} cannot be read: ${problem}; ` +
        'stored records are never rewritten, so restore the file from a backup (or remove the incomplete version with `slipway models gc`)',
      options,
    );
    this.name = 'CorruptManifestError';
  }
}

/** A storage call failed for a reason other than the ones above (network, disk, server error). */
export class StorageError extends ModelStoreError {
  override readonly code: ErrorCode = 'SLIPWAY_STORE_IO';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StorageError';
  }
}

import type { ErrorCode } from '@slipway/contracts';

/** Base class of every error the inference service throws; `name` is the concrete class name. */
export abstract class InferenceError extends Error {
  /** Stable across releases, for programs: see contracts' error table. */
  abstract readonly code: ErrorCode;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The model folder could not be read, failed its checksums, or onnxruntime refused the file. */
export class ModelLoadError extends InferenceError {
  readonly code = 'SLIPWAY_MODEL_LOAD';
}

/** The model loaded but gave a different label than training recorded for a self-test text. */
export class SelfTestFailedError extends InferenceError {
  readonly code = 'SLIPWAY_SELF_TEST';

  constructor(
    message: string,
    readonly text: string,
    readonly expected: string,
    readonly actual: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A configuration value (environment variable or option) is missing or malformed. */
export class InferenceConfigError extends InferenceError {
  readonly code = 'SLIPWAY_INFERENCE_CONFIG';
}

/** The model source (a store alias or a folder) could not be resolved or materialized. */
export class ModelSourceError extends InferenceError {
  readonly code = 'SLIPWAY_MODEL_SOURCE';
}

import { InferenceConfigError } from './errors.js';

/** Request limits enforced at the boundary, before any text reaches the model. */
export interface InferenceLimits {
  /** Largest request body accepted, in bytes; larger bodies get 413. */
  readonly maxBodyBytes: number;
  /** Longest text accepted, in UTF-16 code units (JavaScript `string.length`). */
  readonly maxTextChars: number;
  /** Most texts accepted in one `POST /predict`. */
  readonly maxBatchSize: number;
}

/** Safe defaults: a full batch of maximal texts fits in the body limit even when every character is escaped. */
export const defaultLimits: InferenceLimits = Object.freeze({
  maxBodyBytes: 1_048_576,
  maxTextChars: 10_000,
  maxBatchSize: 64,
});

/** Merges overrides into the defaults, rejecting values that are not positive safe integers. */
export function resolveLimits(overrides: Partial<InferenceLimits> = {}): InferenceLimits {
  const limits = { ...defaultLimits, ...dropUndefined(overrides) };
  for (const [key, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new InferenceConfigError(`limit ${key} must be a positive integer, got ${String(value)}`);
    }
  }
  return Object.freeze(limits);
}

function dropUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

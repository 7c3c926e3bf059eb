/** One labelled example. */
export interface Row {
  readonly text: string;
  readonly label: string;
}

/** How the test rows were chosen: a seeded stratified split, or an explicit test file. */
export type Split = { readonly seed: number; readonly testFraction: number } | { readonly testFile: string };

/** A dataset version: train and test rows plus where they came from. `sha256` identifies the content. */
export interface Dataset {
  readonly name: string;
  /** {@link datasetSha256} of `train` and `test`. */
  readonly sha256: string;
  readonly train: readonly Row[];
  readonly test: readonly Row[];
  /** Every label, sorted by UTF-16 code units (locale-independent). */
  readonly classes: readonly string[];
  /** `builtin:<name>` or the absolute path of the training data file. */
  readonly source: string;
  readonly split: Split;
}

/** Options of {@link loadDataset}. */
export interface LoadOptions {
  /** A test file (or a directory holding one); without it the rows are split by `seed`/`testFraction`. */
  readonly test?: string;
  /** Seed of the stratified split, an integer in [0, 2^32). Default 42. */
  readonly seed?: number;
  /** Share of each class that goes to test, in (0, 1). Default 0.2. */
  readonly testFraction?: number;
  /** Dataset name (letters, digits, `.`, `_`, `-`). Default: the builtin's name or the file's base name. */
  readonly name?: string;
}

export const DEFAULT_SEED = 42;
export const DEFAULT_TEST_FRACTION = 0.2;

/** Orders strings by UTF-16 code units: the same on every Node version and locale, unlike localeCompare. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

import { dataError } from './errors.js';
import { compareStrings, type Row } from './types.js';

/**
 * mulberry32: a tiny 32-bit PRNG. Only integer ops (Math.imul, shifts), so a seed gives the same
 * sequence on every Node version and platform, unlike Math.random.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Checks split options, naming the option and its allowed range. */
export function checkSplitOptions(seed: number, testFraction: number): void {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw dataError(undefined, undefined, `seed must be an integer from 0 to 4294967295, got ${seed}`);
  }
  if (!(testFraction > 0 && testFraction < 1)) {
    throw dataError(
      undefined,
      undefined,
      `testFraction must be between 0 and 1 (exclusive), got ${testFraction}`,
    );
  }
}

/**
 * Stratified seeded split. Per class (in sorted label order) the row indices are shuffled with
 * Fisher-Yates from one mulberry32 stream, and the first round(n * testFraction) go to test, clamped
 * to [1, n-1] so every class is in both parts. Both parts keep the input order of the rows.
 */
export function stratifiedSplit<R extends Row & { readonly line?: number }>(
  rows: readonly R[],
  file: string,
  seed: number,
  testFraction: number,
): { train: R[]; test: R[] } {
  checkSplitOptions(seed, testFraction);
  const byClass = new Map<string, number[]>();
  rows.forEach((row, index) => {
    const indices = byClass.get(row.label);
    if (indices === undefined) byClass.set(row.label, [index]);
    else indices.push(index);
  });
  const labels = [...byClass.keys()].sort(compareStrings);
  checkClassCount(labels, file);
  const random = mulberry32(seed);
  const inTest = new Uint8Array(rows.length);
  for (const label of labels) {
    const indices = byClass.get(label) ?? [];
    if (indices.length < 2) {
      const line = rows[indices[0] ?? 0]?.line;
      throw dataError(
        file,
        line,
        `class "${label}" has only 1 row; a split needs at least 2 per class (one for train, one for test): add rows or remove the class`,
      );
    }
    for (let k = indices.length - 1; k > 0; k--) {
      const j = Math.floor(random() * (k + 1));
      const swap = indices[k] as number;
      indices[k] = indices[j] as number;
      indices[j] = swap;
    }
    const n = indices.length;
    const nTest = Math.min(n - 1, Math.max(1, Math.round(n * testFraction)));
    for (let k = 0; k < nTest; k++) inTest[indices[k] as number] = 1;
  }
  const train: R[] = [];
  const test: R[] = [];
  rows.forEach((row, index) => {
    (inTest[index] === 1 ? test : train).push(row);
  });
  return { train, test };
}

/** A classifier needs at least two classes. */
export function checkClassCount(labels: readonly string[], file: string): void {
  if (labels.length < 2) {
    throw dataError(
      file,
      undefined,
      `has a single class ("${labels[0] ?? ''}"); a classifier needs rows of at least 2 different labels`,
    );
  }
}

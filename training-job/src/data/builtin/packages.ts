import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { dataError } from '../errors.js';

const require = createRequire(import.meta.url);

/** Install folder of an npm dependency that ships a builtin dataset's files. */
export function packageDir(name: string): string {
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch (cause) {
    throw dataError(
      name,
      undefined,
      `package is not installed; it ships a builtin dataset: run \`npm ci\` (or \`npm install -w @slipway/training-job\`)`,
      cause,
    );
  }
}

/** A builtin row before the split: `id` is stable across installs and orders the rows. */
export interface BuiltinRow {
  readonly id: string;
  readonly text: string;
  readonly label: string;
}

/** Checks the rows a package gave against the counts it is known to ship. */
export function expectCounts(
  rows: readonly BuiltinRow[],
  expected: Readonly<Record<string, number>>,
  where: string,
): void {
  const got: Record<string, number> = {};
  for (const row of rows) got[row.label] = (got[row.label] ?? 0) + 1;
  const same =
    Object.keys(got).length === Object.keys(expected).length &&
    Object.entries(expected).every(([label, n]) => got[label] === n);
  if (!same) {
    throw dataError(
      where,
      undefined,
      `gave ${JSON.stringify(got)} rows per class, expected ${JSON.stringify(expected)}; reinstall the pinned version with \`npm ci\``,
    );
  }
}

import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { exitNameForError, httpStatusForError } from '../../src/errors.js';
import { importOptional, MissingDependencyError } from '../../src/optional-dependency.js';

// Node's own resolution failures, from a package that is installed nowhere.
const require = createRequire(import.meta.url);
const ABSENT = '@slipway/no-such-package';
const dependency = {
  name: ABSENT,
  peerOf: '@slipway/model-store',
  neededFor: 'opening the S3 store s3://m/p',
};

describe('importOptional', () => {
  it('returns what the import returns when the package is installed', async () => {
    expect(await importOptional(() => import('node:path'), dependency)).toHaveProperty('join');
  });

  it('turns "that package is not installed" into MissingDependencyError, in ESM and CommonJS', async () => {
    for (const load of [() => import(/* @vite-ignore */ `${ABSENT}`), async () => require(ABSENT)]) {
      const error = await importOptional(load, dependency).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MissingDependencyError);
      expect(error).toMatchObject({
        name: 'MissingDependencyError',
        code: 'SLIPWAY_MISSING_DEPENDENCY',
        dependency: ABSENT,
        message:
          'opening the S3 store s3://m/p needs the package @slipway/no-such-package, which is not installed: ' +
          'run `npm install @slipway/no-such-package` in the project that uses @slipway/model-store ' +
          '(an optional peer dependency of @slipway/model-store: only this path needs it)',
      });
      expect(exitNameForError(error)).toBe('failed');
      expect(httpStatusForError(error)).toBe(500);
    }
  });

  it('rethrows any other failure as it is: another missing package, or an error inside the module', async () => {
    const other = await importOptional(async () => require(ABSENT), {
      ...dependency,
      name: '@slipway/x',
    }).catch((e: unknown) => e);
    expect(other).not.toBeInstanceOf(MissingDependencyError);
    expect(other).toMatchObject({ code: 'MODULE_NOT_FOUND' });
    const broken = new TypeError('x is not a function');
    await expect(importOptional(() => Promise.reject(broken), dependency)).rejects.toBe(broken);
  });
});

/**
 * `@aws-sdk/client-s3` is an optional peer dependency: a program that uses only folder stores need not
 * install it, and one that opens an `s3://` store without it gets an error naming what to install.
 */
import { ERROR_CODES, EXIT_CODES } from '@slipway/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installWithoutPeers, type PeerlessInstall } from '../../../test-helpers/install-without-peers.js';

let install: PeerlessInstall;
beforeAll(async () => {
  install = await installWithoutPeers(['contracts', 'model-store']);
});
afterAll(async () => {
  await install?.remove();
});

describe('model-store installed without @aws-sdk/client-s3', () => {
  it('opens, writes and reads a folder store', async () => {
    const run = await install.run(`
      import { openStore } from '@slipway/model-store';
      const store = await openStore('file://./store', { actor: 'test' });
      await store.putDataset('spam', { train: '{"text":"a","label":"x"}\\n', test: '' });
      console.log(JSON.stringify((await store.listDatasetVersions('spam')).length));
    `);
    expect(run).toMatchObject({ code: 0, stdout: '1\n' });
  });

  it('refuses an s3:// store with MissingDependencyError, saying what to install', async () => {
    const run = await install.run(`
      import { exitNameForError } from '@slipway/contracts';
      import { openStore } from '@slipway/model-store';
      const error = await openStore('s3://models/slipway').then(() => undefined, (e) => e);
      console.log(JSON.stringify({ name: error?.name, code: error?.code, dependency: error?.dependency,
        message: error?.message, exit: exitNameForError(error), cause: error?.cause?.code }));
    `);
    expect(run.code, run.stderr).toBe(0);
    const refused = JSON.parse(run.stdout) as Record<string, string>;
    expect(refused).toEqual({
      name: 'MissingDependencyError',
      code: 'SLIPWAY_MISSING_DEPENDENCY',
      dependency: '@aws-sdk/client-s3',
      message:
        'opening the S3 store s3://models/slipway needs the package @aws-sdk/client-s3, which is not installed: ' +
        'run `npm install @aws-sdk/client-s3` in the project that uses @slipway/model-store ' +
        '(an optional peer dependency of @slipway/model-store: only this path needs it)',
      exit: 'failed',
      cause: 'ERR_MODULE_NOT_FOUND',
    });
    expect(EXIT_CODES[refused.exit as 'failed']).toBe(1);
    expect(ERROR_CODES.SLIPWAY_MISSING_DEPENDENCY.status).toBe(500);
  });
});

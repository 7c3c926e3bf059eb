import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { datasetSha256, writeDataset } from '@slipway/training-job';
import { describe, expect, it, vi } from 'vitest';
import { dataErrorOf, scratch } from './files.js';

// The disk filling up halfway is hard to cause for real (tests run as root, so permissions do not
// stop writes); the manifest write fails here instead, after both data files were written.
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...fs,
    writeFile: (async (file: string, ...rest: unknown[]) => {
      if (String(file).endsWith('manifest.json')) {
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      }
      return (fs.writeFile as (...args: unknown[]) => Promise<void>)(file, ...rest);
    }) as typeof fs.writeFile,
  };
});

describe('writeDataset when a write fails', () => {
  it('leaves neither the dataset directory nor its temporary directory behind', async () => {
    const root = await scratch();
    const train = [
      { text: 'good', label: 'pos' },
      { text: 'bad', label: 'neg' },
    ];
    const test = [{ text: 'fine', label: 'pos' }];
    const dir = join(root, 'datasets/tiny/abc');
    const error = await dataErrorOf(
      writeDataset(dir, {
        name: 'tiny',
        sha256: datasetSha256(train, test),
        train,
        test,
        classes: ['neg', 'pos'],
        source: 'test',
        split: { seed: 1, testFraction: 0.5 },
      }),
    );
    expect(error.message).toBe(
      `${dir}: could not write the dataset (ENOSPC: no space left on device, write); nothing was written`,
    );
    expect(error.cause).toMatchObject({ code: 'ENOSPC' });
    expect(await readdir(join(root, 'datasets/tiny'))).toEqual([]);
  });
});

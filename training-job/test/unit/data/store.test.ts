import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type Dataset,
  datasetFiles,
  datasetSha256,
  readDatasetDir,
  writeDataset,
} from '@slipway/training-job';
import { beforeAll, describe, expect, it } from 'vitest';
import { dataErrorOf, put, scratch } from './files.js';

let root: string;
beforeAll(async () => {
  root = await scratch();
});

function dataset(overrides: Partial<Dataset> = {}): Dataset {
  const train = [
    { text: 'good', label: 'pos' },
    { text: 'bad', label: 'neg' },
    { text: 'fine', label: 'pos' },
  ];
  const test = [{ text: 'awful\nreally', label: 'neg' }];
  return {
    name: 'tiny',
    sha256: datasetSha256(train, test),
    train,
    test,
    classes: ['neg', 'pos'],
    source: 'builtin:tiny',
    split: { seed: 42, testFraction: 0.2 },
    ...overrides,
  };
}

describe('writeDataset / readDatasetDir', () => {
  it('writes canonical files and the manifest, and reads the same dataset back', async () => {
    const ds = dataset();
    const dir = join(root, 'datasets/tiny', ds.sha256);
    await writeDataset(dir, ds);
    expect((await readdir(dir)).sort()).toEqual(['manifest.json', 'test.jsonl', 'train.jsonl']);
    expect(JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'))).toEqual({
      schema: 'slipway.dataset/v1',
      name: 'tiny',
      sha256: ds.sha256,
      rows: { train: 3, test: 1 },
      classes: { neg: 2, pos: 2 },
      source: 'builtin:tiny',
      split: { seed: 42, testFraction: 0.2 },
      files: {
        // printf '<file content>' | sha256sum
        'train.jsonl': {
          sha256: '90c85425b8a30033b821440d9fffef518fb01a5b2c2a1cf8ea8942266dc474c2',
          bytes: 89,
        },
        'test.jsonl': {
          sha256: '7034864dbaf26a7565ca431a4457426a9e417edb4ef9c21750b7e97a14bde32f',
          bytes: 39,
        },
      },
    });
    expect(await readDatasetDir(dir)).toEqual(ds);
    expect((await readdir(join(root, 'datasets/tiny'))).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('gives the same bytes through datasetFiles, for stores that write files themselves', async () => {
    const ds = dataset();
    const dir = join(root, 'via-files');
    await writeDataset(dir, ds);
    const files = datasetFiles(ds);
    expect(files.trainJsonl).toBe(await readFile(join(dir, 'train.jsonl'), 'utf8'));
    expect(files.testJsonl).toBe(await readFile(join(dir, 'test.jsonl'), 'utf8'));
    expect(`${JSON.stringify(files.manifest, null, 2)}\n`).toBe(
      await readFile(join(dir, 'manifest.json'), 'utf8'),
    );
    expect(() => datasetFiles({ ...ds, sha256: '0'.repeat(64) })).toThrow(
      /says sha256 0{64} but its rows hash to/,
    );
  });

  it('keeps an explicit test file in the split', async () => {
    const ds = dataset({ split: { testFile: '/data/test.csv' }, name: 'explicit' });
    await writeDataset(join(root, 'explicit'), ds);
    expect((await readDatasetDir(join(root, 'explicit'))).split).toEqual({ testFile: '/data/test.csv' });
  });

  it('accepts writing the same dataset twice and refuses a different one in the same place', async () => {
    const dir = join(root, 'twice');
    await writeDataset(dir, dataset());
    await writeDataset(dir, dataset());
    const other = dataset({
      train: [{ text: 'x', label: 'pos' }],
      sha256: datasetSha256([{ text: 'x', label: 'pos' }], dataset().test),
    });
    const error = await dataErrorOf(writeDataset(dir, other));
    expect(error.message).toMatch(/already exists and does not hold dataset/);
    expect(await readDatasetDir(dir)).toEqual(dataset());
    expect((await readdir(root)).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('refuses a dataset whose sha256 does not match its rows, writing nothing', async () => {
    const dir = join(root, 'lying');
    const error = await dataErrorOf(writeDataset(dir, dataset({ sha256: 'f'.repeat(64) })));
    expect(error.message).toMatch(/says sha256 f{64} but its rows hash to [0-9a-f]{64}/);
    expect((await readdir(root)).filter((n) => n.includes('lying'))).toEqual([]);
  });

  it('fails cleanly when the parent cannot be created (a file is in the way)', async () => {
    const blocker = await put(root, 'blocker', 'a file, not a directory');
    const error = await dataErrorOf(writeDataset(join(blocker, 'ds'), dataset()));
    expect(error.message).toMatch(/could not write the dataset \(.*\); nothing was written/);
    expect(await readFile(blocker, 'utf8')).toBe('a file, not a directory');
  });

  it('detects a changed data file', async () => {
    const dir = join(root, 'tampered');
    await writeDataset(dir, dataset());
    await writeFile(join(dir, 'test.jsonl'), '{"text":"awful\\nreally","label":"pos"}\n');
    const error = await dataErrorOf(readDatasetDir(dir));
    expect(error.message).toMatch(
      new RegExp(
        `content hashes to [0-9a-f]{64} but manifest.json says ${dataset().sha256}: the files were changed`,
      ),
    );
  });

  it('detects edited manifest counts', async () => {
    const dir = join(root, 'edited');
    await writeDataset(dir, dataset());
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    await writeFile(join(dir, 'manifest.json'), JSON.stringify({ ...manifest, classes: { neg: 1, pos: 3 } }));
    expect((await dataErrorOf(readDatasetDir(dir))).message).toBe(
      `${join(dir, 'manifest.json')}: classes {"neg":1,"pos":3} do not match the files' {"neg":2,"pos":2}; write the dataset again`,
    );
  });

  it('reads the model store variant of the manifest: classes as a list, createdAt, no split', async () => {
    const dir = join(root, 'from-store');
    const ds = dataset();
    await writeDataset(dir, ds);
    const { rows, files } = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    const storeManifest = { schema: 'slipway.dataset/v1', name: 'tiny', sha256: ds.sha256, files, rows };
    await writeFile(
      join(dir, 'manifest.json'),
      JSON.stringify({ ...storeManifest, classes: ['pos', 'neg'], createdAt: '2025-01-01T00:00:00.000Z' }),
    );
    expect(await readDatasetDir(dir)).toEqual({
      ...ds,
      source: dir,
      split: { testFile: join(dir, 'test.jsonl') },
    });
    await writeFile(join(dir, 'manifest.json'), JSON.stringify({ ...storeManifest, classes: ['pos'] }));
    expect((await dataErrorOf(readDatasetDir(dir))).message).toMatch(
      /classes \["pos"\] do not match the files' \["neg","pos"\]/,
    );
  });

  it('rejects a directory without a manifest or with a foreign one', async () => {
    await mkdir(join(root, 'bare'));
    const error = await dataErrorOf(readDatasetDir(join(root, 'bare')));
    expect(error).toMatchObject({ file: join(root, 'bare/manifest.json') });
    expect(error.message).toMatch(/is missing; .* is not a complete dataset directory/);
    await put(root, 'foreign/manifest.json', '{"schema":"something/v9"}');
    expect((await dataErrorOf(readDatasetDir(join(root, 'foreign')))).message).toMatch(
      /has schema "something\/v9"; expected a slipway\.dataset\/v1 manifest/,
    );
  });
});

import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { listBuiltinDatasets, loadDataset } from '@slipway/training-job';
import { beforeAll, describe, expect, it } from 'vitest';
import { countLabels, dataErrorOf, put, scratch } from './files.js';

let dir: string;
const jsonl = (rows: [string, string][]) =>
  rows.map(([text, label]) => JSON.stringify({ text, label })).join('\n');
const trainRows: [string, string][] = [
  ['good', 'pos'],
  ['great', 'pos'],
  ['bad', 'neg'],
  ['awful', 'neg'],
];
beforeAll(async () => {
  dir = await scratch();
});

describe('loadDataset from files', () => {
  it('names the dataset after the file and records its absolute path as the source', async () => {
    const file = await put(dir, 'movie reviews.v2.jsonl', jsonl(trainRows));
    const ds = await loadDataset(file);
    expect(ds.name).toBe('movie-reviews.v2');
    expect(ds.source).toBe(file);
    expect((await loadDataset(file, { name: 'reviews' })).name).toBe('reviews');
  });

  it('uses an explicit test file as given, ignoring seed and testFraction', async () => {
    const train = await put(dir, 'explicit/train.jsonl', jsonl(trainRows));
    const test = await put(dir, 'explicit/holdout.csv', 'text,label\nfine,pos\nmeh,neg\nok,pos\n');
    const ds = await loadDataset(train, { test, seed: 3, testFraction: 0.5 });
    expect(ds.train.map((r) => r.text)).toEqual(['good', 'great', 'bad', 'awful']);
    expect(ds.test).toEqual([
      { text: 'fine', label: 'pos' },
      { text: 'meh', label: 'neg' },
      { text: 'ok', label: 'pos' },
    ]);
    expect(ds.split).toEqual({ testFile: test });
    expect(ds.classes).toEqual(['neg', 'pos']);
  });

  it('allows a class with one training row when the test file is explicit', async () => {
    const train = await put(
      dir,
      'one-each.jsonl',
      jsonl([
        ['good', 'pos'],
        ['bad', 'neg'],
      ]),
    );
    const test = await put(dir, 'one-each-test.jsonl', jsonl([['fine', 'pos']]));
    expect((await loadDataset(train, { test })).train).toHaveLength(2);
  });

  it('rejects a test label the training data lacks, naming the test line', async () => {
    const train = await put(dir, 'seen/train.jsonl', jsonl(trainRows));
    const test = await put(
      dir,
      'seen/test.jsonl',
      jsonl([
        ['fine', 'pos'],
        ['what?', 'neutral'],
      ]),
    );
    const error = await dataErrorOf(loadDataset(train, { test }));
    expect(error).toMatchObject({ file: test, line: 2 });
    expect(error.message).toMatch(/label "neutral" does not occur in the training data/);
  });

  it('rejects a single-class training file even with a test file', async () => {
    const train = await put(
      dir,
      'mono/train.jsonl',
      jsonl([
        ['good', 'pos'],
        ['great', 'pos'],
      ]),
    );
    const test = await put(dir, 'mono/test.jsonl', jsonl([['fine', 'pos']]));
    expect(await dataErrorOf(loadDataset(train, { test }))).toMatchObject({ file: train, line: undefined });
  });

  it('rejects a missing file, naming it', async () => {
    const missing = join(dir, 'nope.jsonl');
    const error = await dataErrorOf(loadDataset(missing));
    expect(error).toMatchObject({ file: missing, line: undefined });
    expect(error.message).toMatch(/does not exist; give a \.jsonl/);
    const test = join(dir, 'no-test.jsonl');
    const train = await put(dir, 'has-train.jsonl', jsonl(trainRows));
    expect(await dataErrorOf(loadDataset(train, { test }))).toMatchObject({ file: test });
  });

  it.each([
    ['rows.json', /unsupported extension "\.json"; a \.json file is one document/],
    [
      'rows.tsv',
      /unsupported extension "\.tsv"; use \.jsonl, \.ndjson, \.json-lines \(JSON Lines\) or \.csv/,
    ],
    ['rows', /unsupported extension "\(none\)"/],
  ])('rejects the extension of %s', async (name, message) => {
    const file = await put(dir, `ext/${name}`, jsonl(trainRows));
    const error = await dataErrorOf(loadDataset(file));
    expect(error).toMatchObject({ file, line: undefined });
    expect(error.message).toMatch(message);
  });

  it('rejects a bad dataset name', async () => {
    const file = await put(dir, 'named.jsonl', jsonl(trainRows));
    expect((await dataErrorOf(loadDataset(file, { name: '../escape' }))).message).toMatch(
      /dataset name "\.\.\/escape" is not allowed/,
    );
  });
});

describe('loadDataset from a directory (SageMaker channels)', () => {
  it('reads train.* and test.* from one directory', async () => {
    await put(dir, 'channel-a/train.csv', 'text,label\ngood,pos\nbad,neg\n');
    await put(dir, 'channel-a/test.jsonl', jsonl([['fine', 'pos']]));
    await put(dir, 'channel-a/README.md', 'not data');
    const ds = await loadDataset(join(dir, 'channel-a'));
    expect(ds.source).toBe(join(dir, 'channel-a/train.csv'));
    expect(ds.split).toEqual({ testFile: join(dir, 'channel-a/test.jsonl') });
    expect(ds.name).toBe('channel-a');
  });

  it('reads the single data file of a train channel and of a test channel', async () => {
    await put(dir, 'input/data/train/part-0001.jsonl', jsonl(trainRows));
    await put(dir, 'input/data/test/holdout.csv', 'text,label\nfine,pos\n');
    const ds = await loadDataset(join(dir, 'input/data/train'), { test: join(dir, 'input/data/test') });
    expect(countLabels(ds.train)).toEqual({ neg: 2, pos: 2 });
    expect(ds.test).toEqual([{ text: 'fine', label: 'pos' }]);
    expect(ds.split).toEqual({ testFile: join(dir, 'input/data/test/holdout.csv') });
  });

  it('splits by seed when a directory holds only training data', async () => {
    await put(dir, 'only-train/train.jsonl', jsonl(trainRows));
    const ds = await loadDataset(join(dir, 'only-train'));
    expect(ds.split).toEqual({ seed: 42, testFraction: 0.2 });
    expect(countLabels(ds.test)).toEqual({ neg: 1, pos: 1 });
  });

  it.each([
    [
      'two-files',
      ['a.jsonl', 'b.csv'],
      /holds several data files \(a\.jsonl, b\.csv\); name it train\.jsonl/,
    ],
    [
      'two-trains',
      ['train.jsonl', 'train.csv'],
      /holds train\.csv and train\.jsonl; keep only one train file/,
    ],
    ['no-data', ['notes.txt'], /holds no train data file/],
    ['test-only', ['test.jsonl'], /holds no train data file/],
  ])('rejects a directory with %s', async (name, files, message) => {
    for (const f of files) await put(dir, `${name}/${f}`, jsonl(trainRows));
    const error = await dataErrorOf(loadDataset(join(dir, name)));
    expect(error).toMatchObject({ file: join(dir, name), line: undefined });
    expect(error.message).toMatch(message);
  });

  it('rejects an empty directory', async () => {
    await mkdir(join(dir, 'empty-dir'));
    expect((await dataErrorOf(loadDataset(join(dir, 'empty-dir')))).message).toMatch(
      /holds no train data file/,
    );
  });
});

describe('builtin specs', () => {
  it('lists the builtin datasets', () => {
    expect(listBuiltinDatasets().map(({ name, rows, licence }) => ({ name, rows, licence }))).toEqual([
      { name: 'sentiment', rows: 3000, licence: 'CC BY 4.0' },
      { name: 'spam', rows: 6046, licence: 'PDDL 1.0 / CC0 1.0 (public domain)' },
    ]);
  });

  it('rejects an unknown builtin and a test file with a builtin', async () => {
    expect((await dataErrorOf(loadDataset('builtin:nope'))).message).toBe(
      'unknown builtin dataset "builtin:nope"; choose one of builtin:sentiment, builtin:spam',
    );
    expect((await dataErrorOf(loadDataset('builtin:sentiment', { test: 'x.jsonl' }))).message).toMatch(
      /split by seed and testFraction; a test file only goes with your own data file/,
    );
  });
});

describe('a data file that is not text', () => {
  it('a gzip file named .csv, and a program named .jsonl, are named for what they are, with what to do', async () => {
    const gz = await put(dir, 'reviews.csv', gzipSync('text,label\ngood,pos\nbad,neg\n'));
    expect((await dataErrorOf(loadDataset(gz))).message).toBe(
      `${gz}: is a gzip-compressed file, not text; decompress it first (\`gunzip -k <file>\`) and pass the .jsonl or .csv inside`,
    );
    // The first 4 KB of the node binary running this test: a real ELF header.
    const elf = await put(dir, 'rows.jsonl', (await readFile(process.execPath)).subarray(0, 4096));
    const error = await dataErrorOf(loadDataset(elf));
    expect(error.message).toBe(
      `${elf}: is an ELF executable or library (a program, not data), not text; check the path: --data expects a .jsonl or .csv file of {text, label} rows`,
    );
    expect(error.message).not.toContain('iconv');
  });
});

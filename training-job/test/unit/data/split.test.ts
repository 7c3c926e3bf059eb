import { loadDataset } from '@slipway/training-job';
import { beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../src/data/split.js';
import { countLabels, dataErrorOf, put, scratch } from './files.js';

let dir: string;
let file: string;
/** 40 "a", 13 "b", 2 "c", interleaved; every text unique so rows can be tracked. */
const rows = Array.from({ length: 55 }, (_, i) => ({
  text: `row ${String(i).padStart(2, '0')}`,
  label: i === 5 || i === 30 ? 'c' : i % 4 === 1 ? 'b' : 'a',
}));
beforeAll(async () => {
  dir = await scratch();
  file = await put(dir, 'rows.jsonl', rows.map((r) => JSON.stringify(r)).join('\n'));
});

describe('mulberry32', () => {
  it('matches the reference implementation (seed 42)', () => {
    const random = mulberry32(42);
    const first = Array.from({ length: 4 }, () => Math.floor(random() * 2 ** 32));
    expect(first).toEqual([2581720956, 1925393290, 3661312704, 2876485805]);
  });
});

describe('stratified split', () => {
  it('puts round(n * testFraction) of each class in test, at least one and never all', async () => {
    expect(countLabels(rows)).toEqual({ a: 40, b: 13, c: 2 });
    const ds = await loadDataset(file);
    expect(countLabels(ds.test)).toEqual({ a: 8, b: 3, c: 1 });
    expect(countLabels(ds.train)).toEqual({ a: 32, b: 10, c: 1 });
    expect(ds.split).toEqual({ seed: 42, testFraction: 0.2 });
    const half = await loadDataset(file, { testFraction: 0.5, seed: 9 });
    expect(countLabels(half.test)).toEqual({ a: 20, b: 7, c: 1 });
  });

  it('loses and duplicates no row, and keeps the file order within train and test', async () => {
    const ds = await loadDataset(file, { seed: 123 });
    const texts = [...ds.train, ...ds.test].map((r) => r.text);
    expect(new Set(texts).size).toBe(rows.length);
    expect([...texts].sort()).toEqual(rows.map((r) => r.text));
    for (const part of [ds.train, ds.test]) {
      expect(part.map((r) => r.text)).toEqual([...part.map((r) => r.text)].sort());
    }
    for (const row of [...ds.train, ...ds.test]) expect(rows).toContainEqual(row);
  });

  it('is deterministic for a seed and changes with the seed', async () => {
    const a = await loadDataset(file, { seed: 7 });
    const b = await loadDataset(file, { seed: 7 });
    const c = await loadDataset(file, { seed: 8 });
    expect(b.test).toEqual(a.test);
    expect(b.sha256).toBe(a.sha256);
    expect(c.test).not.toEqual(a.test);
    expect(c.sha256).not.toBe(a.sha256);
  });

  it('gives a pinned test set for seed 42 (same on every Node version)', async () => {
    const ds = await loadDataset(file);
    // Pinned: any change to the PRNG, the shuffle or the rounding moves every dataset version.
    expect(ds.test.map((r) => r.text)).toEqual(
      ['01', '04', '05', '15', '18', '20', '36', '37', '39', '43', '45', '50'].map((n) => `row ${n}`),
    );
  });

  it('rejects a class with a single row, naming its line', async () => {
    const content = [
      '{"text":"a1","label":"a"}',
      '{"text":"a2","label":"a"}',
      '{"text":"b1","label":"b"}',
    ].join('\n');
    const one = await put(dir, 'one-b.jsonl', content);
    const error = await dataErrorOf(loadDataset(one));
    expect(error).toMatchObject({ file: one, line: 3 });
    expect(error.message).toMatch(/class "b" has only 1 row/);
  });

  it('rejects a single class, with no line', async () => {
    const single = await put(dir, 'single.csv', 'text,label\na,x\nb,x\nc, x \n');
    const error = await dataErrorOf(loadDataset(single));
    expect(error).toMatchObject({ file: single, line: undefined });
    expect(error.message).toBe(
      `${single}: has a single class ("x"); a classifier needs rows of at least 2 different labels`,
    );
  });

  it.each([
    [{ seed: -1 }, /seed must be an integer from 0 to 4294967295, got -1/],
    [{ seed: 1.5 }, /seed must be an integer/],
    [{ seed: 2 ** 32 }, /seed must be an integer/],
    [{ testFraction: 0 }, /testFraction must be between 0 and 1 \(exclusive\), got 0/],
    [{ testFraction: 1 }, /testFraction must be between 0 and 1/],
    [{ testFraction: Number.NaN }, /testFraction must be between 0 and 1/],
  ])('rejects split options %o', async (options, message) => {
    expect((await dataErrorOf(loadDataset(file, options))).message).toMatch(message);
  });
});

import { loadDataset } from '@slipway/training-job';
import { describe, expect, test } from 'vitest';
import { countChunk, type NgramCounts } from '../../../src/train/count.js';

// Workers run the compiled counter, so this test drives the built module (npm test builds first).
const built = new URL('../../../dist/train/parallel.js', import.meta.url).href;

function expectIdentical(a: NgramCounts, b: NgramCounts) {
  expect(b.size).toBe(a.size);
  expect(b.tokens).toEqual(a.tokens);
  for (const field of ['length', 'prefix', 'last', 'df', 'termCount', 'occurrences', 'offsets'] as const) {
    expect(
      Buffer.from(b[field].buffer, b[field].byteOffset, b[field].byteLength).equals(
        Buffer.from(a[field].buffer, a[field].byteOffset, a[field].byteLength),
      ),
      field,
    ).toBe(true);
  }
}

describe('counting n-grams in worker threads', () => {
  test.each([
    [1, 2],
    [2, 3],
  ])('gives exactly the single-pass counts (n-grams %i..%i, 3 workers)', async (minN, maxN) => {
    const { countCorpus } = (await import(built)) as typeof import('../../../src/train/parallel.js');
    const texts = (await loadDataset('builtin:sentiment')).train.map((r) => r.text);
    const parallel = await countCorpus(texts, 'word', minN, maxN, { threads: 3, minChars: 0 });
    expectIdentical(countChunk(texts, 'word', minN, maxN), parallel);
  });
});

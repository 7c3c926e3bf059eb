import { createHash } from 'node:crypto';
import {
  canonicalJsonl,
  datasetSha256,
  legacyDatasetContentHash,
  sha256OfFiles,
} from '@slipway/contracts/dataset-hash';
import { describe, expect, test } from 'vitest';

const train = [
  { text: 'good', label: 'pos' },
  { text: 'Ünïcödé "quoted"\n', label: 'neg' },
];
const test_ = [{ text: 'bad', label: 'neg' }];

describe('the dataset version', () => {
  test('from rows and from the canonical files is the same sha256, over "train\\n", train.jsonl, "test\\n", test.jsonl', () => {
    const trainJsonl = canonicalJsonl(train);
    const testJsonl = canonicalJsonl(test_);
    const expected = createHash('sha256').update(`train\n${trainJsonl}test\n${testJsonl}`).digest('hex');
    expect(datasetSha256(train, test_)).toBe(expected);
    expect(sha256OfFiles(new TextEncoder().encode(trainJsonl), new TextEncoder().encode(testJsonl))).toBe(
      expected,
    );
    expect(sha256OfFiles(trainJsonl, testJsonl)).toBe(expected);
  });

  test("the store's former definition hashes something else and stays readable for old datasets", () => {
    const trainJsonl = canonicalJsonl(train);
    const testJsonl = canonicalJsonl(test_);
    const hex = (s: string) => createHash('sha256').update(s).digest('hex');
    expect(legacyDatasetContentHash(trainJsonl, testJsonl)).toBe(
      hex(`slipway.dataset/v1\ntrain.jsonl ${hex(trainJsonl)}\ntest.jsonl ${hex(testJsonl)}\n`),
    );
    expect(legacyDatasetContentHash(trainJsonl, testJsonl)).not.toBe(sha256OfFiles(trainJsonl, testJsonl));
  });
});

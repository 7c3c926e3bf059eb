import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { datasetSha256, loadDataset, writeDataset } from '@slipway/training-job';
import { describe, expect, it } from 'vitest';
import { put, scratch } from './files.js';

const train = [
  { text: 'good film', label: 'pos' },
  { text: 'bad film', label: 'neg' },
];
const test = [{ text: 'Ça "marche"\n', label: 'pos' }];
// printf 'train\n{"text":"good film","label":"pos"}\n{"text":"bad film","label":"neg"}\ntest\n{"text":"\u00c7a \"marche\"\\n","label":"pos"}\n' | sha256sum
const GOLDEN = '9c2c6667eb787c5440c1c5ec99c7e5c24230096b2de67b12261ec5063473bc55';

describe('datasetSha256', () => {
  it('matches a golden hash computed outside the code', () => {
    expect(datasetSha256(train, test)).toBe(GOLDEN);
  });

  it('is the sha256 of "train\\n" + train.jsonl + "test\\n" + test.jsonl as written', async () => {
    const dir = await scratch();
    const target = join(dir, 'out');
    await writeDataset(target, {
      name: 'tiny',
      sha256: GOLDEN,
      train,
      test,
      classes: ['neg', 'pos'],
      source: 'test',
      split: { seed: 1, testFraction: 0.5 },
    });
    const files = await Promise.all(['train.jsonl', 'test.jsonl'].map((f) => readFile(join(target, f))));
    const [trainBytes, testBytes] = files as [Buffer, Buffer];
    expect(trainBytes.toString()).toBe(
      '{"text":"good film","label":"pos"}\n{"text":"bad film","label":"neg"}\n',
    );
    expect(testBytes.toString()).toBe('{"text":"Ça \\"marche\\"\\n","label":"pos"}\n');
    const rehash = createHash('sha256')
      .update('train\n')
      .update(trainBytes)
      .update('test\n')
      .update(testBytes);
    expect(rehash.digest('hex')).toBe(GOLDEN);
  });

  it('depends on order, labels and the train/test boundary, not on anything else', () => {
    const [a, b] = train as [(typeof train)[0], (typeof train)[0]];
    expect(datasetSha256([b, a], test)).not.toBe(GOLDEN);
    expect(datasetSha256([a], [b, ...test])).not.toBe(GOLDEN);
    expect(datasetSha256([a, { ...b, label: 'pos' }], test)).not.toBe(GOLDEN);
    expect(datasetSha256([{ label: a.label, text: a.text }, b], test)).toBe(GOLDEN);
    expect(datasetSha256([], [])).toBe('3b2c777f641c05226b645d80a0a217e199966fffcbfaab48400ce016bf7cfb10');
  });

  it('is the same for the same rows read from JSON Lines or CSV', async () => {
    const dir = await scratch();
    const jsonl = await put(
      dir,
      'same.jsonl',
      train
        .concat(train)
        .map((r) => JSON.stringify(r))
        .join('\n'),
    );
    const csv = await put(
      dir,
      'same.csv',
      'text,label\ngood film,pos\nbad film,neg\ngood film,pos\nbad film,neg\n',
    );
    expect((await loadDataset(csv)).sha256).toBe((await loadDataset(jsonl)).sha256);
  });
});

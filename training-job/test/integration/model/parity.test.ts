import {
  type Dataset,
  loadDataset,
  resolveHyperparameters,
  type TrainResult,
  trainModel,
} from '@slipway/training-job';
import { beforeAll, describe, expect, test } from 'vitest';
import { EDGE_TEXTS } from '../../../../test-helpers/edge-texts.js';
import { compareWithReference as compare, TOLERANCE } from '../../helpers/parity.js';

describe.each(['word', 'char'] as const)(
  'onnxruntime and the TypeScript reference agree (%s n-grams)',
  (analyzer) => {
    let dataset: Dataset;
    let result: TrainResult;

    beforeAll(async () => {
      dataset = await loadDataset('builtin:sentiment');
      result = await trainModel(dataset, resolveHyperparameters({ analyzer }));
    });

    test('on the whole test split', async () => {
      const { worst, mismatches } = await compare(
        result,
        dataset.test.map((r) => r.text),
      );
      expect(mismatches).toEqual([]);
      expect(worst).toBeLessThan(TOLERANCE);
    });

    test.each(Object.entries(EDGE_TEXTS))('on an edge string: %s', async (_, text) => {
      const { worst, mismatches } = await compare(result, [text, `${text} great movie`, `terrible ${text}`]);
      expect(mismatches).toEqual([]);
      expect(worst).toBeLessThan(TOLERANCE);
    });

    test('the model has learned something', () => {
      expect(result.metrics.accuracy).toBeGreaterThan(0.7);
    });
  },
);

describe('a batch in which no text has a single token', () => {
  test('gives every text the prior (softmax of the bias), as the reference does', async () => {
    const result = await trainModel(await loadDataset('builtin:sentiment'), resolveHyperparameters());
    const texts = ['', '   ', '!!! ...', '\u0000hidden'];
    const { worst, mismatches } = await compare(result, texts);
    expect(mismatches).toEqual([]);
    expect(worst).toBeLessThan(TOLERANCE);
  });
});

import { HYPERPARAMETER_SPECS, resolveHyperparameters, trainModel } from '@slipway/training-job';
import { describe, expect, test } from 'vitest';
import { EDGE_TEXTS } from '../../../../test-helpers/edge-texts.js';
import { phraseDataset } from '../../helpers/datasets.js';
import { compareWithReference, TOLERANCE } from '../../helpers/parity.js';

const { min: lowest = 1, max: highest = 8 } = HYPERPARAMETER_SPECS.ngramMax;
const ranges: [number, number][] = [];
for (let min = lowest; min <= highest; min++)
  for (let max = min; max <= highest; max++) ranges.push([min, max]);

/**
 * Every valid combination of the hyperparameters that shape the graph: analyzer × every n-gram range
 * the specs allow × sublinear tf × all n-grams or only the 10 most frequent (which leaves some
 * lengths of the range without any n-gram). Each model must load in onnxruntime and agree with the
 * reference. The data set is tiny and the optimizer short, so the grid stays a few seconds of work.
 */
const grid = (['word', 'char'] as const).flatMap((analyzer) =>
  ranges.flatMap(([ngramMin, ngramMax]) =>
    [true, false].flatMap((sublinearTf) =>
      [0, 10].map((maxFeatures) => ({ analyzer, ngramMin, ngramMax, sublinearTf, maxFeatures })),
    ),
  ),
);

describe('every valid hyperparameter combination gives a model onnxruntime runs like the reference', () => {
  const dataset = phraseDataset();
  const texts = [...dataset.test.map((r) => r.text), ...Object.values(EDGE_TEXTS)];

  test.each(grid)(
    'analyzer=$analyzer ngram_min=$ngramMin ngram_max=$ngramMax sublinear_tf=$sublinearTf max_features=$maxFeatures',
    async (choice) => {
      const hp = resolveHyperparameters({ ...choice, maxIter: 25 });
      const result = await trainModel(dataset, hp);
      const lengths = new Set(
        result.model.vocabulary.map(
          (g) => (choice.analyzer === 'word' ? g.split(' ') : [...g.replaceAll(' ', '')]).length,
        ),
      );
      if (choice.maxFeatures === 0) {
        expect(Math.min(...lengths)).toBe(choice.ngramMin);
        expect(Math.max(...lengths)).toBe(choice.ngramMax);
      } else {
        expect(result.model.vocabulary.length).toBeLessThanOrEqual(choice.maxFeatures);
        for (const n of lengths) expect(n >= choice.ngramMin && n <= choice.ngramMax).toBe(true);
      }
      const { worst, mismatches } = await compareWithReference(result, texts);
      expect(mismatches).toEqual([]);
      expect(worst).toBeLessThan(TOLERANCE);
    },
  );
});

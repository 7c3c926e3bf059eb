import {
  type Dataset,
  loadDataset,
  OnnxClassifier,
  ReferenceClassifier,
  resolveHyperparameters,
  type TrainResult,
  trainModel,
} from '@slipway/training-job';
import { beforeAll, describe, expect, test } from 'vitest';
import { EDGE_TEXTS } from '../../../../test-helpers/edge-texts.js';

/** float32 outputs of onnxruntime against the float64 reference: agreement to 1e-6 (STYLE.md rule 13). */
const TOLERANCE = 1e-6;

async function compare(result: TrainResult, texts: readonly string[]) {
  const session = await OnnxClassifier.fromBytes(result.modelBytes, result.model.classes);
  try {
    const reference = new ReferenceClassifier(result.model);
    const ort = await session.predictRaw(texts);
    const k = result.model.classes.length;
    let worst = 0;
    const mismatches: string[] = [];
    texts.forEach((text, i) => {
      const expected = reference.probabilities(text);
      for (let c = 0; c < k; c++) {
        worst = Math.max(worst, Math.abs((ort.probabilities[i * k + c] as number) - (expected[c] as number)));
      }
      const refLabel = reference.predictRaw([text]).labels[0];
      if (refLabel !== ort.labels[i])
        mismatches.push(`${JSON.stringify(text.slice(0, 60))}: ${ort.labels[i]} vs ${refLabel}`);
    });
    return { worst, mismatches };
  } finally {
    await session.close();
  }
}

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

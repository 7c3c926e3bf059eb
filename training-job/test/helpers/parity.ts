import { OnnxClassifier, ReferenceClassifier, type TrainResult } from '@slipway/training-job';

/** float32 outputs of onnxruntime against the float64 reference: agreement to 1e-6 (STYLE.md rule 13). */
export const TOLERANCE = 1e-6;

/**
 * Runs `texts` through the exported model.onnx in onnxruntime and through the TypeScript reference:
 * the largest probability difference, and every text whose labels differ.
 */
export async function compareWithReference(result: TrainResult, texts: readonly string[]) {
  const session = await OnnxClassifier.fromBytes(result.modelBytes, result.model.classes);
  try {
    const reference = new ReferenceClassifier(result.model);
    const ort = await session.predictRaw(texts);
    const expected = reference.predictRaw(texts);
    const k = result.model.classes.length;
    let worst = 0;
    for (let i = 0; i < texts.length * k; i++) {
      worst = Math.max(
        worst,
        Math.abs((ort.probabilities[i] as number) - (expected.probabilities[i] as number)),
      );
    }
    const mismatches: string[] = [];
    texts.forEach((text, i) => {
      if (expected.labels[i] !== ort.labels[i])
        mismatches.push(`${JSON.stringify(text.slice(0, 60))}: ${ort.labels[i]} vs ${expected.labels[i]}`);
    });
    return { worst, mismatches };
  } finally {
    await session.close();
  }
}

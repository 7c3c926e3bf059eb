import type { Metrics, ModelManifest } from '@slipway/contracts';
import type { Row } from '../data/types.js';
import { computeMetrics } from './metrics.js';
import type { OnnxClassifier } from './onnx-classifier.js';

/** How many test texts the manifest keeps, with their labels and probabilities, for serving self-tests. */
const SELF_TEST_SIZE = 8;

/**
 * What the manifest records about a model file, measured with the model itself in onnxruntime:
 * its metrics on the test rows, and self-test cases (texts with the label and probabilities it gave
 * them) that a serving host must reproduce. Whoever trained the model, these come from the file.
 */
export async function assessModel(
  classifier: OnnxClassifier,
  test: readonly Row[],
): Promise<{ metrics: Metrics; selfTest: ModelManifest['selfTest'] }> {
  const classes = classifier.classes;
  const texts = test.map((r) => r.text);
  const raw = await classifier.predictRaw(texts);
  const k = classes.length;
  const rows = texts.map((_, i) => raw.probabilities.subarray(i * k, (i + 1) * k));
  const metrics = computeMetrics(
    classes,
    test.map((r) => r.label),
    raw.labels,
    rows,
  );
  // Real test texts, plus variants whose result depends on the host's Unicode handling: the same
  // text upper-cased (lowercasing must work at all), and with Greek capital sigma, Turkish dotted I,
  // U+FFFD (what a lone surrogate becomes before onnxruntime, and before any JSON file: jq and Go refuse
  // or alter an escaped lone surrogate) and a NUL (the cases where runtimes and locales have differed).
  const picked = pickSelfTest(texts, raw.labels, classes).map((i) => texts[i] as string);
  const first = picked[0] ?? '';
  const probes = [...picked, first.toUpperCase(), `ΟΔΥΣΣΕΥΣ İSTANBUL ${first} \ufffd ok\u0000 ignored`];
  const probed = await classifier.predictRaw(probes);
  const selfTest = probes.map((text, i) => ({
    text,
    label: probed.labels[i] as string,
    probabilities: Object.fromEntries(
      classes.map((c, ci) => [c, probed.probabilities[i * k + ci] as number]),
    ),
  }));
  return { metrics, selfTest };
}

/** A few short test texts covering every predicted class, so a serving host can check it agrees. */
function pickSelfTest(
  texts: readonly string[],
  labels: readonly string[],
  classes: readonly string[],
): number[] {
  const order = texts
    .map((_, i) => i)
    .sort((a, b) => (texts[a] as string).length - (texts[b] as string).length);
  const picked: number[] = [];
  for (const cls of classes) {
    const i = order.find((j) => labels[j] === cls && (texts[j] as string).length <= 500);
    if (i !== undefined) picked.push(i);
  }
  for (const i of order) {
    if (picked.length >= SELF_TEST_SIZE) break;
    if (!picked.includes(i) && (texts[i] as string).length <= 500) picked.push(i);
  }
  return picked.sort((a, b) => a - b);
}

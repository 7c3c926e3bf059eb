import type { ClassMetrics, Metrics } from '@slipway/contracts';

/**
 * Accuracy, macro-F1, per-class precision/recall/F1, confusion matrix and log loss, from true labels
 * and the predicted probability rows (`probabilities[i][c]` in `classes` order). Classes with no
 * predictions get precision 0, as scikit-learn reports with zero_division=0.
 */
export function computeMetrics(
  classes: readonly string[],
  truth: readonly string[],
  predicted: readonly string[],
  probabilities: readonly ArrayLike<number>[],
): Metrics {
  const index = new Map(classes.map((c, i) => [c, i]));
  const k = classes.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let correct = 0;
  let logLoss = 0;
  const eps = 1e-15;
  truth.forEach((label, i) => {
    const t = index.get(label);
    const p = index.get(predicted[i] as string);
    if (t === undefined || p === undefined) {
      throw new RangeError(
        `label "${t === undefined ? label : predicted[i]}" is not one of the model's classes`,
      );
    }
    (confusion[t] as number[])[p] = ((confusion[t] as number[])[p] as number) + 1;
    if (t === p) correct++;
    const prob = Math.min(1 - eps, Math.max(eps, (probabilities[i] as ArrayLike<number>)[t] as number));
    logLoss -= Math.log(prob);
  });
  // Keyed by class name: a null prototype keeps "__proto__" or "constructor" an ordinary key.
  const perClass: Record<string, ClassMetrics> = Object.create(null);
  let f1Sum = 0;
  classes.forEach((name, c) => {
    const tp = (confusion[c] as number[])[c] as number;
    const support = (confusion[c] as number[]).reduce((a, b) => a + b, 0);
    const predictedCount = confusion.reduce((a, row) => a + (row[c] as number), 0);
    const precision = predictedCount === 0 ? 0 : tp / predictedCount;
    const recall = support === 0 ? 0 : tp / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    perClass[name] = { precision, recall, f1, support };
    f1Sum += f1;
  });
  const rows = truth.length;
  return {
    accuracy: rows === 0 ? 0 : correct / rows,
    macroF1: k === 0 ? 0 : f1Sum / k,
    logLoss: rows === 0 ? 0 : logLoss / rows,
    perClass,
    confusion,
    classes: [...classes],
    rows,
  };
}

/**
 * The same fit with L-BFGS's correction pairs in f64 and in f32 (what fits above 1 GiB of pairs use),
 * on the generated 50-class set: iterations, loss and test accuracy of each.
 * `node --import tsx training-job/bench/history-precision.ts [training texts, default 3000]`
 */

import { ReferenceClassifier } from '../src/model/reference.js';
import { fitLogisticRegression } from '../src/train/logreg.js';
import { fitTfidf } from '../src/train/tfidf.js';
import { manyClassDataset } from './many-class.js';

const n = Number(process.argv[2] ?? 3000);
const d = manyClassDataset({ classes: 50, train: n, test: Math.round(n / 4) });
const options = {
  analyzer: 'word' as const,
  ngramRange: [1, 2] as [number, number],
  minDf: 2,
  maxDf: 1,
  maxFeatures: 0,
  sublinearTf: true,
};
const { fitted, matrix } = await fitTfidf(
  d.train.map((r) => r.text),
  options,
);
const ci = new Map(d.classes.map((c, i) => [c, i]));
const y = Int32Array.from(d.train, (r) => ci.get(r.label) as number);
for (const precision of ['f64', 'f32'] as const) {
  const t0 = performance.now();
  const m = fitLogisticRegression(matrix, y, d.classes.length, {
    C: 10,
    maxIter: 1000,
    tol: 1e-4,
    historyPrecision: precision,
  });
  const ref = new ReferenceClassifier({
    analyzer: 'word',
    ngramRange: [1, 2],
    sublinearTf: true,
    vocabulary: fitted.vocabulary,
    idf: fitted.idf,
    classes: d.classes,
    weights: Float32Array.from(m.weights),
    bias: Float32Array.from(m.bias),
  });
  let ok = 0;
  for (const r of d.test) {
    const pr = ref.probabilities(r.text);
    let best = 0;
    for (let c = 1; c < pr.length; c++) if ((pr[c] as number) > (pr[best] as number)) best = c;
    if (best === ci.get(r.label)) ok++;
  }
  const accuracy = ok / d.test.length;
  console.log(precision, {
    features: matrix.cols,
    iterations: m.iterations,
    loss: m.loss,
    converged: m.converged,
    accuracy,
    ms: Math.round(performance.now() - t0),
  });
}

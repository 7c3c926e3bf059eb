import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fitLogisticRegression } from '../../../src/train/logreg.js';
import { randomSparseProblem } from '../../helpers/sparse-problems.js';

// The reference peer: Debian's python3-sklearn (1.2) with its scipy L-BFGS-B.
const PYTHON = '/usr/bin/python3';
const probe = spawnSync(PYTHON, ['-c', 'import sklearn'], { encoding: 'utf8' });
const sklearnMissing =
  probe.status === 0
    ? null
    : `${PYTHON} cannot import sklearn (${(probe.stderr ?? String(probe.error)).trim()})`;
if (sklearnMissing) {
  console.warn(
    `Skipping the scikit-learn comparison: ${sklearnMissing}. Install it: apt-get install -y python3-sklearn`,
  );
}

// One Python process fits every problem: importing sklearn costs seconds.
const FIT = `
import json, sys, numpy as np, scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
out = []
for path in sys.argv[1:]:
    p = json.load(open(path))
    X = sp.csr_matrix((p['data'], p['indices'], p['indptr']), shape=(p['rows'], p['cols']))
    m = LogisticRegression(C=1.0, solver='lbfgs', tol=1e-8, max_iter=10000).fit(X, np.array(p['y']))
    out.append({'coef': m.coef_.tolist(), 'intercept': m.intercept_.tolist(), 'iterations': int(m.n_iter_[0]),
                'predictions': m.predict(X).tolist()})
print(json.dumps(out))
`;

interface SklearnFit {
  coef: number[][];
  intercept: number[];
  iterations: number;
  predictions: number[];
}

const cases = [
  { classes: 2, seed: 1 },
  { classes: 2, seed: 3 },
  { classes: 4, seed: 2 },
  { classes: 7, seed: 5 },
].map((c, index) => ({
  ...c,
  index,
  ...randomSparseProblem({ rows: 400, cols: 3000, nnzPerRow: 40, classes: c.classes, seed: c.seed }),
}));

describe.skipIf(sklearnMissing !== null)(
  'fitLogisticRegression against scikit-learn 1.2 (lbfgs, C=1, tol=1e-8)',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'logreg-sklearn-'));
    let fits: SklearnFit[] = [];
    beforeAll(() => {
      const files = cases.map(({ x, y, index }) => {
        const file = join(dir, `problem-${index}.json`);
        const { rows, cols, indptr, indices, data } = x;
        writeFileSync(
          file,
          JSON.stringify({
            rows,
            cols,
            indptr: [...indptr],
            indices: [...indices],
            data: [...data],
            y: [...y],
          }),
        );
        return file;
      });
      const run = spawnSync(PYTHON, ['-c', FIT, ...files], { encoding: 'utf8' });
      expect(run.stderr).toBe('');
      fits = JSON.parse(run.stdout) as SklearnFit[];
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it.each(cases)(
      '$classes classes (seed $seed): same iterations, coefficients and predictions',
      ({ classes, x, y, index }) => {
        const sk = fits[index] as SklearnFit;
        const model = fitLogisticRegression(x, y, classes, { tol: 1e-8, maxIter: 10000 });

        // sklearn's binary model is one row w; ours is the softmax pair (-w/2, w/2).
        const w = sk.coef[0] ?? [];
        const b = sk.intercept[0] ?? 0;
        const skW = classes === 2 ? [w.map((v) => -v / 2), w.map((v) => v / 2)] : sk.coef;
        const skB = classes === 2 ? [-b / 2, b / 2] : sk.intercept;
        const largest = Math.max(...skW.flat().map(Math.abs));
        let worst = 0;
        skW.forEach((row, c) => {
          row.forEach((v, j) => {
            worst = Math.max(worst, Math.abs(v - (model.weights[c * x.cols + j] as number)));
          });
          worst = Math.max(worst, Math.abs((skB[c] as number) - (model.bias[c] as number)));
        });
        // ~1e-4 would show the same optimum; the solvers take the same steps, so far tighter holds.
        expect(worst / largest).toBeLessThan(1e-8);
        expect(model.iterations).toBe(sk.iterations);

        const predictions = Array.from({ length: x.rows }, (_, i) => {
          const scores = Array.from(model.bias);
          for (let p = x.indptr[i] as number; p < (x.indptr[i + 1] as number); p++) {
            const j = x.indices[p] as number;
            for (let c = 0; c < classes; c++) {
              scores[c] =
                (scores[c] as number) + (x.data[p] as number) * (model.weights[c * x.cols + j] as number);
            }
          }
          return scores.indexOf(Math.max(...scores));
        });
        expect(predictions).toEqual(sk.predictions);
      },
    );
  },
);

/**
 * Times fitLogisticRegression on synthetic TF-IDF-shaped problems and, with --sklearn, scikit-learn's
 * LogisticRegression(solver='lbfgs') on the very same matrix (Debian python3-sklearn at /usr/bin/python3).
 *
 *   node --conditions=source --import tsx training-job/bench/logreg-synthetic.ts --classes 2,20 --sklearn
 *
 * Reports wall and CPU milliseconds (the machine is shared: CPU time is the steadier number).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fitLogisticRegression } from '../src/train/logreg.js';
import { randomSparseProblem } from '../test/helpers/sparse-problems.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '5000' },
    cols: { type: 'string', default: '100000' },
    nnz: { type: 'string', default: '150' },
    classes: { type: 'string', default: '2,20' },
    seed: { type: 'string', default: '7' },
    tol: { type: 'string', default: '1e-4' },
    sklearn: { type: 'boolean', default: false },
  },
});

const SKLEARN = `
import sys, time, resource, json, numpy as np, scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
d, rows, cols, k, tol = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
indptr = np.fromfile(d + '/indptr', dtype=np.int32); indices = np.fromfile(d + '/indices', dtype=np.int32)
data = np.fromfile(d + '/data', dtype=np.float64); y = np.fromfile(d + '/y', dtype=np.int32)
X = sp.csr_matrix((data, indices, indptr), shape=(rows, cols))
ru = lambda: (lambda r: r.ru_utime + r.ru_stime)(resource.getrusage(resource.RUSAGE_SELF))
t, c = time.perf_counter(), ru()
m = LogisticRegression(C=1.0, solver='lbfgs', max_iter=1000, tol=tol).fit(X, y)
wall, cpu = (time.perf_counter() - t) * 1000, (ru() - c) * 1000
W = np.vstack([-m.coef_ / 2, m.coef_ / 2]) if k == 2 else m.coef_
ours = np.fromfile(d + '/weights', dtype=np.float64).reshape(k, cols)
agree = float((np.asarray(X @ W.T).argmax(1) == np.asarray(X @ ours.T).argmax(1)).mean())
print(json.dumps({'iterations': int(m.n_iter_[0]), 'wallMs': wall, 'cpuMs': cpu,
  'maxAbsCoefDiff': float(np.abs(W - ours).max()), 'maxAbsCoef': float(np.abs(W).max()), 'predictionAgreement': agree}))
`;

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const rows = Number(values.rows);
const cols = Number(values.cols);
const nnzPerRow = Number(values.nnz);
const tol = Number(values.tol);
for (const classes of values.classes.split(',').map(Number)) {
  const { x, y } = randomSparseProblem({ rows, cols, nnzPerRow, classes, seed: Number(values.seed) });
  const wall0 = performance.now();
  const cpu0 = cpuMs();
  const model = fitLogisticRegression(x, y, classes, { tol });
  const wall = performance.now() - wall0;
  const cpu = cpuMs() - cpu0;
  const line = [
    `rows=${rows} cols=${cols} nnz=${x.indptr[rows]} classes=${classes}`,
    `ours: ${model.iterations} iterations, ${wall.toFixed(0)} ms wall, ${cpu.toFixed(0)} ms cpu, converged=${model.converged}`,
  ];
  if (values.sklearn) {
    const dir = mkdtempSync(join(tmpdir(), 'logreg-bench-'));
    try {
      for (const [name, array] of Object.entries({ indptr: x.indptr, indices: x.indices, data: x.data, y })) {
        writeFileSync(join(dir, name), array);
      }
      writeFileSync(join(dir, 'weights'), model.weights);
      const args = ['-c', SKLEARN, dir, String(rows), String(cols), String(classes), String(tol)];
      const sk = JSON.parse(execFileSync('/usr/bin/python3', args, { encoding: 'utf8' })) as Record<
        string,
        number
      >;
      line.push(
        `sklearn: ${sk.iterations} iterations, ${sk.wallMs?.toFixed(0)} ms wall, ${sk.cpuMs?.toFixed(0)} ms cpu`,
        `max|Δcoef|=${sk.maxAbsCoefDiff?.toExponential(2)} (max|coef|=${sk.maxAbsCoef?.toFixed(3)}), ` +
          `predictions agree on ${((sk.predictionAgreement ?? 0) * 100).toFixed(2)}% of rows`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  console.log(line.join('\n  '));
}

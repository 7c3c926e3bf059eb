import { describe, expect, it } from 'vitest';
import { TrainingError } from '../../../src/train/errors.js';
import { Workspace } from '../../../src/train/kernels.js';
import type { DirectionalObjective } from '../../../src/train/lbfgs.js';
import { fitLogisticRegression, planFit, type SoftmaxModel } from '../../../src/train/logreg.js';
import {
  BinomialObjective,
  MultinomialObjective,
  matrixShape,
  objectiveWorkspaceNeeds,
} from '../../../src/train/logreg-objective.js';
import type { Csr } from '../../../src/train/sparse.js';
import {
  csrFromDense,
  denseFromCsr,
  randomSparseProblem,
  seededRandom,
} from '../../helpers/sparse-problems.js';

// Reference computations below are written the plain dense way, independent of the trainer's code.

/** sklearn's objective Σ_i CE_i + ||W||²/(2C) and its gradient for a softmax head, dense and direct. */
function softmaxObjective(
  rows: number[][],
  y: Int32Array,
  W: number[][],
  b: number[],
  C: number,
): { value: number; gW: number[][]; gb: number[] } {
  const k = W.length;
  const gW = W.map((w) => w.map((v) => v / C));
  const gb = new Array<number>(k).fill(0);
  let value = W.flat().reduce((s, v) => s + (v * v) / (2 * C), 0);
  rows.forEach((x, i) => {
    const z = W.map((w, c) => x.reduce((s, v, j) => s + v * (w[j] as number), b[c] as number));
    const max = Math.max(...z);
    const sum = z.reduce((s, v) => s + Math.exp(v - max), 0);
    value += max + Math.log(sum) - (z[y[i] as number] as number);
    z.forEach((zc, c) => {
      const r = Math.exp(zc - max) / sum - (c === y[i] ? 1 : 0);
      gb[c] = (gb[c] as number) + r;
      x.forEach((v, j) => {
        (gW[c] as number[])[j] = ((gW[c] as number[])[j] as number) + v * r;
      });
    });
  });
  return { value, gW, gb };
}

/** Binomial objective Σ log(1 + exp(-y±·(w·x + b))) + ||w||²/(2C) and its gradient, dense and direct. */
function binomialObjective(rows: number[][], y: Int32Array, w: number[], b: number, C: number) {
  let value = w.reduce((s, v) => s + (v * v) / (2 * C), 0);
  const gw = w.map((v) => v / C);
  let gb = 0;
  rows.forEach((x, i) => {
    const z = x.reduce((s, v, j) => s + v * (w[j] as number), b);
    const sign = y[i] === 1 ? 1 : -1;
    value += Math.log1p(Math.exp(-sign * z));
    const r = 1 / (1 + Math.exp(-z)) - (y[i] as number);
    gb += r;
    x.forEach((v, j) => {
      gw[j] = (gw[j] as number) + v * r;
    });
  });
  return { value, gw, gb };
}

/** The model's rows as plain arrays. */
function unpack(model: SoftmaxModel): { W: number[][]; b: number[] } {
  const W = Array.from({ length: model.classes }, (_, c) =>
    Array.from(model.weights.subarray(c * model.features, (c + 1) * model.features)),
  );
  return { W, b: Array.from(model.bias) };
}

function maxAbs(values: readonly number[]): number {
  return values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}

/** Central finite differences of the objective's value against its analytic gradient. */
function gradientCheck(
  objective: DirectionalObjective,
  vector: (values?: ArrayLike<number>) => Float64Array,
  point: ArrayLike<number>,
): { analytic: number[]; numeric: number[] } {
  const g = vector();
  objective.valueAndGradient(vector(point), g);
  const [plus, minus, scratch] = [vector(), vector(), vector()];
  const h = 1e-6;
  const numeric = Array.from(point, (v, i) => {
    plus.set(point);
    minus.set(point);
    plus[i] = v + h;
    minus[i] = v - h;
    return (objective.valueAndGradient(plus, scratch) - objective.valueAndGradient(minus, scratch)) / (2 * h);
  });
  return { analytic: Array.from(g), numeric };
}

// Six rows over four features, three labels; not separable (rows 0 and 5 share a pattern).
const tinyRows = [
  [0.6, 0, 0.8, 0],
  [0, 1, 0, 0],
  [0.5, 0.5, 0.5, 0.5],
  [0, 0, 0.6, 0.8],
  [0.8, 0.6, 0, 0],
  [0.6, 0, 0.8, 0],
];
const tiny = csrFromDense(tinyRows, 4);

/** An objective on `tiny`, and a maker of parameter-sized vectors in its workspace (kernels need them there). */
function setUp(y: Int32Array, C: number, k: number) {
  const columns = k === 2 ? 1 : k;
  const size = 4 * columns + columns;
  const needs = objectiveWorkspaceNeeds(matrixShape(tiny), columns);
  const ws = new Workspace(
    Workspace.bytesFor({ ...needs, f64: needs.f64 + 16 * size, arrays: needs.arrays + 16 }),
  );
  const objective =
    k === 2 ? new BinomialObjective(tiny, y, C, ws) : new MultinomialObjective(tiny, y, k, C, ws);
  const vector = (values?: ArrayLike<number>): Float64Array => {
    const v = ws.f64(size);
    if (values) v.set(values);
    return v;
  };
  return { objective, vector };
}

describe('logistic objectives', () => {
  it('binomial gradient matches central finite differences', () => {
    const y = Int32Array.from([1, 0, 1, 0, 0, 0]);
    const rand = seededRandom(3);
    const point = Float64Array.from({ length: 5 }, () => rand() * 2 - 1);
    const { objective, vector } = setUp(y, 0.7, 2);
    const { analytic, numeric } = gradientCheck(objective, vector, point);
    analytic.forEach((g, i) => {
      expect(Math.abs(g - (numeric[i] as number))).toBeLessThan(1e-8);
    });
  });

  it('multinomial gradient matches central finite differences', () => {
    const y = Int32Array.from([0, 1, 2, 2, 1, 1]);
    const rand = seededRandom(4);
    const point = Float64Array.from({ length: 4 * 3 + 3 }, () => rand() * 2 - 1);
    const { objective, vector } = setUp(y, 2.5, 3);
    const { analytic, numeric } = gradientCheck(objective, vector, point);
    analytic.forEach((g, i) => {
      expect(Math.abs(g - (numeric[i] as number))).toBeLessThan(1e-8);
    });
  });

  it("multinomial value is sklearn's scaled objective (feature-major parameters)", () => {
    const y = Int32Array.from([0, 1, 2, 2, 1, 1]);
    const W = [
      [0.3, -0.2, 0.1, 0.5],
      [-0.4, 0.6, 0.2, -0.1],
      [0.05, 0.1, -0.7, 0.2],
    ];
    const b = [0.1, -0.3, 0.2];
    const { objective, vector } = setUp(y, 2.5, 3);
    const params = vector();
    W.forEach((w, c) => {
      w.forEach((v, j) => {
        params[j * 3 + c] = v;
      });
    });
    params.set(b, 12);
    const g = vector();
    const value = objective.valueAndGradient(params, g);
    const expected = softmaxObjective(tinyRows, y, W, b, 2.5);
    expect(value).toBeCloseTo(expected.value, 13);
    expect(g[1 * 3 + 2]).toBeCloseTo(expected.gW[2]?.[1] as number, 13);
    expect(g[12]).toBeCloseTo(expected.gb[0] as number, 13);
  });

  it('a probe along a direction equals a full evaluation at that point, and commit lands there', () => {
    const y = Int32Array.from([0, 1, 2, 2, 1, 1]);
    const rand = seededRandom(5);
    const { objective, vector } = setUp(y, 1, 3);
    const reference = setUp(y, 1, 3);
    const x0 = vector(Array.from({ length: 15 }, () => rand() - 0.5));
    const d = vector(Array.from({ length: 15 }, () => rand() - 0.5));
    const g = vector();
    objective.valueAndGradient(x0, g);
    objective.setDirection(x0, d);
    const t = 0.37;
    const xt = vector(x0.map((v, i) => v + t * (d[i] as number)));
    const gRef = reference.vector();
    const fRef = reference.objective.valueAndGradient(reference.vector(xt), gRef);
    const { value, slope } = objective.probe(t);
    expect(value).toBeCloseTo(fRef, 13);
    expect(slope).toBeCloseTo(
      gRef.reduce((s, v, i) => s + v * (d[i] as number), 0),
      13,
    );
    const committed = objective.commit(t, xt, g);
    expect(committed).toBeCloseTo(fRef, 13);
    g.forEach((v, i) => {
      expect(v).toBeCloseTo(gRef[i] as number, 13);
    });
  });
});

describe('fitLogisticRegression', () => {
  it('binary: matches an independent Newton solve of the 1-feature problem', () => {
    // x, y pairs with overlap, so the optimum is finite even without the penalty.
    const xs = [0.5, 1, 2, -1, -0.3, 1.5, -2, 0.2];
    const ys = Int32Array.from([0, 1, 1, 0, 1, 0, 0, 1]);
    const C = 0.8;
    let w = 0;
    let b = 0;
    for (let step = 0; step < 50; step++) {
      let gw = w / C;
      let gb = 0;
      let hww = 1 / C;
      let hwb = 0;
      let hbb = 0;
      xs.forEach((x, i) => {
        const p = 1 / (1 + Math.exp(-(w * x + b)));
        const r = p - (ys[i] as number);
        const s = p * (1 - p);
        gw += r * x;
        gb += r;
        hww += s * x * x;
        hwb += s * x;
        hbb += s;
      });
      const det = hww * hbb - hwb * hwb;
      w -= (hbb * gw - hwb * gb) / det;
      b -= (hww * gb - hwb * gw) / det;
    }
    const model = fitLogisticRegression(
      csrFromDense(
        xs.map((x) => [x]),
        1,
      ),
      ys,
      2,
      { C, tol: 1e-10 },
    );
    expect(model.converged).toBe(true);
    // sklearn's solver also stops once a step lowers f by < 2.2e-9 relative, which here leaves ~1e-7.
    expect(2 * (model.weights[1] as number)).toBeCloseTo(w, 6);
    expect(2 * (model.bias[1] as number)).toBeCloseTo(b, 6);
    expect(model.weights[0]).toBe(-(model.weights[1] as number));
    expect(model.bias[0]).toBe(-(model.bias[1] as number));
  });

  it('binary: the softmax of the two returned rows is exactly the sigmoid of the binomial score', () => {
    const { x, y } = randomSparseProblem({ rows: 200, cols: 300, nnzPerRow: 12, classes: 2, seed: 11 });
    const model = fitLogisticRegression(x, y, 2);
    const { W, b } = unpack(model);
    const w = (W[1] as number[]).map((v, j) => v - ((W[0] as number[])[j] as number));
    denseFromCsr(x).forEach((row) => {
      const s0 = row.reduce((s, v, j) => s + v * ((W[0] as number[])[j] as number), 0) + (b[0] as number);
      const s1 = row.reduce((s, v, j) => s + v * ((W[1] as number[])[j] as number), 0) + (b[1] as number);
      const max = Math.max(s0, s1);
      const e0 = Math.exp(s0 - max);
      const e1 = Math.exp(s1 - max);
      const softmax = e1 / (e0 + e1);
      const z = row.reduce((s, v, j) => s + v * (w[j] as number), 0) + ((b[1] as number) - (b[0] as number));
      const sigmoid = z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
      expect(softmax).toBe(sigmoid);
    });
  });

  it.each([
    { name: 'binary, not separable', classes: 2, y: [1, 0, 1, 0, 0, 0] },
    { name: 'binary, separable', classes: 2, y: [1, 0, 1, 1, 0, 1] },
    { name: '3 classes, not separable', classes: 3, y: [0, 1, 2, 2, 1, 1] },
    { name: '3 classes, separable', classes: 3, y: [0, 1, 2, 2, 1, 0] },
  ])('$name: the independent gradient at the solution is within tol', ({ classes, y }) => {
    const labels = Int32Array.from(y);
    // sklearn's default. (A much smaller tol is not always reached: like scipy, the solver also stops
    // when a step lowers f by < 2.2e-9 relative, which can leave max|g| around 1e-5 here.)
    const tol = 1e-4;
    const model = fitLogisticRegression(tiny, labels, classes, { C: 3, tol });
    expect(model.converged).toBe(true);
    const { W, b } = unpack(model);
    if (classes === 2) {
      const w = (W[1] as number[]).map((v) => 2 * v);
      const { gw, gb, value } = binomialObjective(tinyRows, labels, w, 2 * (b[1] as number), 3);
      expect(maxAbs([...gw, gb])).toBeLessThanOrEqual(tol);
      expect(model.loss).toBeCloseTo(value, 12);
    } else {
      const { gW, gb, value } = softmaxObjective(tinyRows, labels, W, b, 3);
      expect(maxAbs([...gW.flat(), ...gb])).toBeLessThanOrEqual(tol);
      expect(model.loss).toBeCloseTo(value, 12);
    }
  });

  it('reports each iteration once, with a strictly decreasing loss', () => {
    const { x, y } = randomSparseProblem({ rows: 150, cols: 400, nnzPerRow: 15, classes: 4, seed: 2 });
    const seen: { iteration: number; loss: number; gradNorm: number }[] = [];
    const model = fitLogisticRegression(x, y, 4, { onIteration: (info) => seen.push(info) });
    expect(seen.map((s) => s.iteration)).toEqual(Array.from({ length: model.iterations }, (_, i) => i + 1));
    seen.slice(1).forEach((s, i) => {
      expect(s.loss).toBeLessThan((seen[i] as { loss: number }).loss);
    });
    expect(seen.at(-1)?.loss).toBe(model.loss);
  });

  it('stops at maxIter and says it did not converge', () => {
    const { x, y } = randomSparseProblem({ rows: 150, cols: 400, nnzPerRow: 15, classes: 3, seed: 2 });
    const model = fitLogisticRegression(x, y, 3, { maxIter: 3, tol: 1e-12 });
    expect(model.iterations).toBe(3);
    expect(model.converged).toBe(false);
  });

  it.each([2, 5])('is deterministic: %i classes give bit-identical weights twice', (classes) => {
    const { x, y } = randomSparseProblem({ rows: 300, cols: 800, nnzPerRow: 20, classes, seed: 9 });
    const a = fitLogisticRegression(x, y, classes);
    const b = fitLogisticRegression(x, y, classes);
    expect(Buffer.from(a.weights.buffer).equals(Buffer.from(b.weights.buffer))).toBe(true);
    expect(Buffer.from(a.bias.buffer).equals(Buffer.from(b.bias.buffer))).toBe(true);
    expect(a.iterations).toBe(b.iterations);
  });

  it('returns zero weights at once when the starting point is already optimal', () => {
    // Balanced labels on identical rows: the gradient at zero vanishes.
    const x = csrFromDense(
      [
        [1, 0],
        [1, 0],
      ],
      2,
    );
    const model = fitLogisticRegression(x, Int32Array.from([0, 1]), 2);
    expect(model.iterations).toBe(0);
    expect(model.converged).toBe(true);
    expect(model.weights.every((v) => v === 0)).toBe(true);
    expect(model.loss).toBe(2 * Math.log(2));
  });
});

describe('fitLogisticRegression input checks', () => {
  const y6 = Int32Array.from([0, 1, 2, 2, 1, 1]);
  const cases: { name: string; run: () => unknown; message: RegExp }[] = [
    {
      name: 'label count',
      run: () => fitLogisticRegression(tiny, y6.subarray(1), 3),
      message: /5 labels .* 6 rows/,
    },
    {
      name: 'label out of range',
      run: () => fitLogisticRegression(tiny, y6, 2),
      message: /Row 2 has label 2, outside 0\.\.1/,
    },
    {
      name: 'negative label',
      run: () => fitLogisticRegression(tiny, Int32Array.from([0, 1, -1, 0, 1, 1]), 2),
      message: /label -1/,
    },
    {
      name: 'one class',
      run: () => fitLogisticRegression(tiny, new Int32Array(6), 2),
      message: /at least two classes/,
    },
    {
      name: 'absent class',
      run: () => fitLogisticRegression(tiny, y6, 4),
      message: /Class 3 has no training rows/,
    },
    {
      name: 'classes < 2',
      run: () => fitLogisticRegression(tiny, new Int32Array(6), 1),
      message: /classes must be an integer >= 2/,
    },
    {
      name: 'C = 0',
      run: () => fitLogisticRegression(tiny, y6, 3, { C: 0 }),
      message: /C must be a finite number > 0/,
    },
    {
      name: 'maxIter 0',
      run: () => fitLogisticRegression(tiny, y6, 3, { maxIter: 0 }),
      message: /maxIter must be an integer >= 1/,
    },
    {
      name: 'tol NaN',
      run: () => fitLogisticRegression(tiny, y6, 3, { tol: Number.NaN }),
      message: /tol must be/,
    },
    {
      name: 'NaN feature',
      run: () =>
        fitLogisticRegression({ ...tiny, data: tiny.data.map((v, i) => (i === 4 ? Number.NaN : v)) }, y6, 3),
      message: /non-finite value \(NaN\) at position 4/,
    },
    {
      name: 'column out of range',
      run: () => fitLogisticRegression({ ...tiny, cols: 3 }, y6, 3),
      message: /column index 3 .* outside 0\.\.2/,
    },
    {
      name: 'short indptr',
      run: () => fitLogisticRegression({ ...tiny, indptr: tiny.indptr.subarray(1) } satisfies Csr, y6, 3),
      message: /indptr has 6 entries/,
    },
    {
      name: 'a problem beyond the 4 GiB working memory',
      run: () => fitLogisticRegression({ ...tiny, cols: 50_000_000 }, y6, 3),
      message:
        /150000003 parameters .* needs 4\.[0-9] GiB for the matrix, the scores and the optimizer's current vectors, more than the 4 GiB .* set max_features/,
    },
    {
      name: 'decreasing indptr',
      run: () => fitLogisticRegression({ ...tiny, indptr: Int32Array.from([0, 2, 1, 5, 7, 9, 11]) }, y6, 3),
      message: /indptr decreases at row 1/,
    },
  ];
  it.each(cases)('rejects $name with a TrainingError that says what to fix', ({ run, message }) => {
    let caught: unknown;
    try {
      run();
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TrainingError);
    expect((caught as TrainingError).name).toBe('TrainingError');
    expect((caught as TrainingError).message).toMatch(message);
  });
});

describe('planFit', () => {
  it('fits 100,000 texts in 50 classes (the generated set: 414,429 n-grams, 6.4 M non-zeros) in one memory of ~2.6 GB', () => {
    const plan = planFit({ rows: 100_000, cols: 414_429, nonZeros: 6_428_807 }, 50);
    expect(plan.parameters).toBe(20_721_500);
    expect(plan.fits).toBe(true);
    expect(plan.history.precision).toBe('f32');
    // x, g, gOld, d in f64 (663 MB) + the matrix and scores (~0.3 GB) + 20 f32 pairs (1.66 GB), all in
    // the main workspace: no work vector, nothing copied between memories.
    expect(plan.history.inside).toBe(true);
    expect(plan.history.bytes).toBe(0);
    expect(plan.mainBytes).toBeGreaterThan(2.6e9);
    expect(plan.mainBytes).toBeLessThan(2.7e9);
    expect(plan.bytes).toBe(plan.mainBytes);
  });

  it('keeps the pairs in workspaces of their own when the main one cannot hold them', () => {
    // 1.2 M n-grams × 50 classes: 4.8 GB of f32 pairs.
    const plan = planFit({ rows: 400_000, cols: 1_200_000, nonZeros: 26_000_000 }, 50);
    expect(plan.fits).toBe(true);
    expect(plan.history.inside).toBe(false);
    expect(plan.history.shards.length).toBeGreaterThan(1);
    expect(plan.mainBytes).toBeLessThan(2 ** 32);
    expect(plan.bytes).toBe(plan.mainBytes + plan.history.bytes);
  });

  it('keeps small fits on f64 pairs, as scipy does, and mid-sized ones on f32', () => {
    // 5,000 and 10,000 generated texts × 50 classes: 1.5 M and 2.7 M parameters.
    expect(planFit({ rows: 5_000, cols: 30_367, nonZeros: 320_000 }, 50).history.precision).toBe('f64');
    expect(planFit({ rows: 10_000, cols: 54_373, nonZeros: 640_000 }, 50).history.precision).toBe('f32');
  });
});

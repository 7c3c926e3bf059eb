import { describe, expect, it } from 'vitest';
import { Workspace } from '../../../src/train/kernels.js';
import { randomSparseProblem, seededRandom } from '../../helpers/sparse-problems.js';

const rand = seededRandom(21);
const randomValues = (n: number): number[] => Array.from({ length: n }, () => rand() * 2 - 1);

/** Arrays of the given values in a fresh workspace with plenty of room. */
function inWorkspace(...arrays: number[][]): { ws: Workspace; views: Float64Array[] } {
  const total = arrays.reduce((s, a) => s + a.length, 0);
  const ws = new Workspace(Workspace.bytesFor({ f64: total + 64, arrays: arrays.length + 4 }));
  return {
    ws,
    views: arrays.map((a) => {
      const v = ws.f64(a.length);
      v.set(a);
      return v;
    }),
  };
}

// Lengths around the 4-wide main loops, so the scalar tails run too.
const lengths = [0, 1, 2, 3, 4, 5, 7, 8, 9, 1001];

describe('dense kernels', () => {
  it.each(lengths)('dot, axpy, axpyDot, scaleDot, pair and maxAbs agree with plain loops (n = %i)', (n) => {
    const [a, b, c] = [randomValues(n), randomValues(n), randomValues(n)];
    const { ws, views } = inWorkspace(a, b, c, new Array<number>(n).fill(0), new Array<number>(n).fill(0));
    const [va, vb, vc, vs, vy] = views as [
      Float64Array,
      Float64Array,
      Float64Array,
      Float64Array,
      Float64Array,
    ];
    const plainDot = (x: readonly number[], y: readonly number[]) =>
      x.reduce((s, v, i) => s + v * (y[i] as number), 0);
    // The kernels add in lanes, a plain loop left to right: ~1e-12 apart for 1001 terms of size ~1.
    const close = (actual: number, expected: number) =>
      expect(Math.abs(actual - expected)).toBeLessThan(1e-10);

    close(ws.dot(va, vb), plainDot(a, b));
    expect(ws.maxAbs(va)).toBe(Math.max(0, ...a.map(Math.abs)));

    // Elementwise results are exact: only the dot products' summation order differs.
    const pairOut = ws.pair(0.5, va, vb, vc, vs, vy);
    expect(Array.from(vs)).toEqual(a.map((v) => 0.5 * v));
    expect(Array.from(vy)).toEqual(b.map((v, i) => v - (c[i] as number)));
    close(pairOut[0], plainDot(Array.from(vs), Array.from(vy)));
    close(pairOut[1], plainDot(Array.from(vy), Array.from(vy)));

    const axpy = b.map((v, i) => v + 0.25 * (a[i] as number));
    close(ws.axpyDot(0.25, va, vb, vc), plainDot(axpy, c));
    expect(Array.from(vb)).toEqual(axpy);
    ws.axpy(-0.25, va, vb);
    expect(Array.from(vb)).toEqual(axpy.map((v, i) => v + -0.25 * (a[i] as number)));

    const scaled = c.map((v) => -3 * v);
    close(ws.scaleDot(-3, vc, vs, va), plainDot(scaled, a));
    expect(Array.from(vs)).toEqual(scaled);
  });

  it.each(lengths)('the single-precision history variants agree with plain loops (n = %i)', (n) => {
    const [a, b, c] = [randomValues(n), randomValues(n), randomValues(n)];
    const ws = new Workspace(Workspace.bytesFor({ f64: 4 * n + 64, f32: 2 * n, arrays: 8 }));
    const [vd, vg, vOld, w] = [ws.f64(n), ws.f64(n), ws.f64(n), ws.f64(n)];
    const [x32, z32] = [ws.f32(n), ws.f32(n)];
    vd.set(a);
    vg.set(b);
    vOld.set(c);
    const f = Math.fround;
    const plainDot = (x: ArrayLike<number>, y: ArrayLike<number>) =>
      Array.from(x).reduce((sum, v, i) => sum + v * (y[i] as number), 0);
    const close = (actual: number, expected: number) =>
      expect(Math.abs(actual - expected)).toBeLessThan(1e-10);

    // pair rounds s and y to f32 (kept as f64) before summing, in place when asked.
    const s = a.map((v) => f(0.5 * v));
    const y = b.map((v, i) => f(v - (c[i] as number)));
    const [sy, yy] = ws.pair(0.5, vd, vg, vOld, vd, vOld, true);
    expect(Array.from(vd)).toEqual(s);
    expect(Array.from(vOld)).toEqual(y);
    close(sy, plainDot(s, y));
    close(yy, plainDot(y, y));

    x32.set(vd);
    z32.set(vOld);
    w.set(b);
    const axpy = b.map((v, i) => v + 0.25 * (s[i] as number));
    close(ws.axpyDotSingle(0.25, x32, w, z32, 2), 2 + plainDot(axpy, y));
    expect(Array.from(w)).toEqual(axpy);
    ws.axpySingle(-0.25, x32, w);
    expect(Array.from(w)).toEqual(axpy.map((v, i) => v + -0.25 * (s[i] as number)));
    const scaled = Array.from(w).map((v) => -3 * v);
    close(ws.scaleDotSingle(-3, w, w, x32), plainDot(scaled, s));
    expect(Array.from(w)).toEqual(scaled);
  });

  it('maxAbs reports NaN rather than skipping it', () => {
    const { ws, views } = inWorkspace([1, Number.NaN, 3, -7, 2]);
    expect(ws.maxAbs(views[0] as Float64Array)).toBeNaN();
  });

  it.each(lengths)('demote rounds to f32 as Math.fround does (n = %i)', (n) => {
    const values = randomValues(n).map((v) => v * 1e3);
    const ws = new Workspace(Workspace.bytesFor({ f64: n, f32: n, arrays: 2 }));
    const src = ws.f64(n);
    src.set(values);
    const dst = ws.f32(n);
    ws.demote(src, dst);
    expect(Array.from(dst)).toEqual(values.map(Math.fround));
  });

  it('rejects arrays from outside the workspace', () => {
    const { ws, views } = inWorkspace([1, 2]);
    expect(() => ws.dot(views[0] as Float64Array, new Float64Array(2))).toThrow(
      /does not live in this workspace/,
    );
  });

  it('refuses to hand out more than it reserved', () => {
    const ws = new Workspace(Workspace.bytesFor({ f64: 10, arrays: 1 }));
    expect(() => ws.f64(1_000_000)).toThrow(/workspace exhausted/);
  });
});

describe('sparse kernels', () => {
  it.each([1, 2, 3, 4, 7])(
    'CSC scores and gradient, bias included, equal a row-by-row CSR pass bit for bit (k = %i)',
    (k) => {
      const { x } = randomSparseProblem({ rows: 60, cols: 90, nnzPerRow: 9, classes: 2, seed: k });
      const nnz = x.indptr[x.rows] as number;
      const ws = new Workspace(
        Workspace.bytesFor({
          f64: 2 * nnz + 4 * x.cols * k + 3 * x.rows * k,
          i32: 2 * (x.cols + x.rows + nnz) + 4,
          arrays: 16,
        }),
      );
      const csc = ws.csc(x.rows, x.cols, x.indptr, x.indices, x.data);
      const params = ws.f64(x.cols * k + k);
      params.set(randomValues(x.cols * k + k));
      const r = ws.f64(x.rows * k);
      r.set(randomValues(x.rows * k));

      // Scalar reference, row by row over the CSR matrix (ascending columns within a row).
      const scoresRef = new Float64Array(x.rows * k);
      const gradRef = new Float64Array(x.cols * k + k).map((_, i) => 0.5 * (params[i] as number));
      for (let i = 0; i < x.rows; i++) {
        for (let p = x.indptr[i] as number; p < (x.indptr[i + 1] as number); p++) {
          const j = x.indices[p] as number;
          const v = x.data[p] as number;
          for (let c = 0; c < k; c++) {
            scoresRef[i * k + c] = (scoresRef[i * k + c] as number) + v * (params[j * k + c] as number);
            gradRef[j * k + c] = (gradRef[j * k + c] as number) + v * (r[i * k + c] as number);
          }
        }
      }
      const withBias = scoresRef.map((v, i) => v + (params[x.cols * k + (i % k)] as number));
      // The bias gradient: each class's residuals summed over the rows in order.
      for (let c = 0; c < k; c++) {
        let sum = 0;
        for (let i = 0; i < x.rows; i++) sum += r[i * k + c] as number;
        gradRef[x.cols * k + c] = sum;
      }

      // Leftovers in the output must not leak into the scores.
      const scores = ws.f64(x.rows * k).fill(7);
      ws.scores(csc, params, scores, k);
      expect(Array.from(scores)).toEqual(Array.from(scoresRef));
      ws.scores(csc, params, scores, k, params.subarray(x.cols * k));
      expect(Array.from(scores)).toEqual(Array.from(withBias));
      const grad = ws.f64(x.cols * k + k);
      ws.gradient(csc, params, r, grad, k, 0.5);
      expect(Array.from(grad)).toEqual(Array.from(gradRef));
    },
  );

  it('transposes CSR to CSC with rows ascending in every column', () => {
    const { x } = randomSparseProblem({ rows: 40, cols: 25, nnzPerRow: 6, classes: 2, seed: 8 });
    const nnz = x.indptr[x.rows] as number;
    const ws = new Workspace(
      Workspace.bytesFor({ f64: 2 * nnz, i32: 2 * (x.cols + x.rows + nnz) + 4, arrays: 8 }),
    );
    const csc = ws.csc(x.rows, x.cols, x.indptr, x.indices, x.data);
    const expected: { row: number; value: number }[][] = Array.from({ length: x.cols }, () => []);
    for (let i = 0; i < x.rows; i++) {
      for (let p = x.indptr[i] as number; p < (x.indptr[i + 1] as number); p++) {
        expected[x.indices[p] as number]?.push({ row: i, value: x.data[p] as number });
      }
    }
    const actual = expected.map((_, j) => {
      const column: { row: number; value: number }[] = [];
      for (let p = csc.colptr[j] as number; p < (csc.colptr[j + 1] as number); p++) {
        column.push({ row: csc.rowIndex[p] as number, value: csc.values[p] as number });
      }
      return column;
    });
    expect(actual).toEqual(expected);
    expect(csc.colptr[x.cols]).toBe(nnz);
  });
});

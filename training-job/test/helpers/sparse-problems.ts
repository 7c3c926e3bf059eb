import type { Csr } from '../../src/train/sparse.js';

/** A CSR matrix from dense rows (zeros dropped). */
export function csrFromDense(rows: readonly (readonly number[])[], cols: number): Csr {
  const indptr = new Int32Array(rows.length + 1);
  const indices: number[] = [];
  const data: number[] = [];
  rows.forEach((row, i) => {
    row.forEach((v, j) => {
      if (v !== 0) {
        indices.push(j);
        data.push(v);
      }
    });
    indptr[i + 1] = indices.length;
  });
  return {
    rows: rows.length,
    cols,
    indptr,
    indices: Int32Array.from(indices),
    data: Float64Array.from(data),
  };
}

/** Dense copy of a CSR matrix, for straightforward reference computations in tests. */
export function denseFromCsr(x: Csr): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < x.rows; i++) {
    const row = new Array<number>(x.cols).fill(0);
    for (let p = x.indptr[i] as number; p < (x.indptr[i + 1] as number); p++) {
      row[x.indices[p] as number] = x.data[p] as number;
    }
    out.push(row);
  }
  return out;
}

/** mulberry32: a tiny seeded generator, so every problem is the same on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SparseProblemSpec {
  readonly rows: number;
  readonly cols: number;
  readonly nnzPerRow: number;
  readonly classes: number;
  readonly seed: number;
  /** Standard deviation of the planted weights; larger = more separable. Default 3. */
  readonly signal?: number;
}

/**
 * A text-like classification problem: rows are L2-normalized positive values on columns drawn with a
 * heavy head (like word frequencies), labels come from a planted linear model plus Gumbel noise.
 * Every class gets at least one row.
 */
export function randomSparseProblem(spec: SparseProblemSpec): { x: Csr; y: Int32Array } {
  const { rows, cols, nnzPerRow, classes, seed } = spec;
  const signal = spec.signal ?? 3;
  const rand = seededRandom(seed);
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const planted = new Float64Array(classes * cols);
  for (let i = 0; i < planted.length; i++) planted[i] = signal * normal();

  const perRow = Math.min(nnzPerRow, cols);
  const indptr = new Int32Array(rows + 1);
  const indices = new Int32Array(rows * perRow);
  const data = new Float64Array(rows * perRow);
  const y = new Int32Array(rows);
  const chosen = new Set<number>();
  const scores = new Float64Array(classes);
  for (let i = 0; i < rows; i++) {
    chosen.clear();
    while (chosen.size < perRow) chosen.add(Math.min(cols - 1, Math.floor(cols * rand() ** 3)));
    const cols_ = [...chosen].sort((a, b) => a - b);
    const start = i * perRow;
    let norm = 0;
    cols_.forEach((j, n) => {
      const v = 1 + rand() * 4;
      indices[start + n] = j;
      data[start + n] = v;
      norm += v * v;
    });
    norm = Math.sqrt(norm);
    for (let p = start; p < start + perRow; p++) data[p] = (data[p] as number) / norm;
    indptr[i + 1] = start + perRow;

    scores.fill(0);
    for (let p = start; p < start + perRow; p++) {
      const j = indices[p] as number;
      for (let c = 0; c < classes; c++)
        scores[c] = (scores[c] as number) + (data[p] as number) * (planted[c * cols + j] as number);
    }
    let best = 0;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < classes; c++) {
      const u = 1e-9 + rand() * (1 - 2e-9);
      const s = (scores[c] as number) - Math.log(-Math.log(u));
      if (s > bestScore) {
        bestScore = s;
        best = c;
      }
    }
    y[i] = i < classes ? i : best;
  }
  return { x: { rows, cols, indptr, indices, data }, y };
}

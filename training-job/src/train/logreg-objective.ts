/**
 * scikit-learn 1.2's logistic-regression objectives on a CSR matrix, in its scaling:
 * f = Σ_i loss_i + ||W||² / (2C), intercepts unpenalized. (The textbook C·Σ loss + ||W||²/2 has the
 * same minimizer; this scaling is what sklearn hands L-BFGS-B, so `tol` means the same thing here.)
 *
 * Scores are linear in the parameters, so the objective keeps Z = X·W + b for the current point and
 * Zd = X·dW + db for the search direction: a line-search probe at x + t·d costs O(rows·classes) and
 * never touches the matrix. Each iteration makes one pass over the non-zeros to get Zd and one for
 * the gradient (WebAssembly kernels, see kernels.ts).
 *
 * Both passes walk the matrix by column (a CSC copy made once): the parameter and gradient vectors
 * (features × classes, up to tens of MB) are then streamed in order and only the small per-row arrays
 * are accessed at random. Walking a CSR matrix row by row instead jumps around the big vectors and
 * is several times slower, bound by cache misses. Rows visit their columns in ascending order either
 * way, so the sums are the same as a row-wise pass with sorted indices.
 */
import { partitionNeeds, type Workspace, type WorkspaceCsc } from './kernels.js';
import type { DirectionalObjective } from './lbfgs.js';
import type { Csr } from './sparse.js';

/** A sparse matrix's size: enough to plan the memory a fit on it takes. */
export interface MatrixShape {
  readonly rows: number;
  readonly cols: number;
  readonly nonZeros: number;
}

/** The shape of a CSR matrix. */
export function matrixShape(x: Csr): MatrixShape {
  return { rows: x.rows, cols: x.cols, nonZeros: x.indptr[x.rows] as number };
}

/** Workspace room (array lengths) an objective needs for a matrix `x` with `k` score columns (1 for binomial). */
export function objectiveWorkspaceNeeds(
  x: MatrixShape,
  k: number,
): { f64: number; i32: number; arrays: number } {
  const nnz = x.nonZeros;
  const split = partitionNeeds(x.rows, x.cols);
  // The CSC copy, its CSR staging copy (see Workspace.csc), its row and column split, the labels and z, zd, r.
  return {
    f64: 2 * nnz + 3 * x.rows * k,
    i32: 2 * (x.cols + 1) + x.rows + 1 + 2 * nnz + split.i32 + x.rows,
    arrays: 11 + split.arrays,
  };
}

/**
 * Binomial loss Σ log(1 + exp(-y±·(w·x_i + b))) with parameters [w_0 … w_{F-1}, b] and labels 0/1.
 *
 * @example const f = new BinomialObjective(x, y01, 1, workspace).valueAndGradient(params, grad);
 */
export class BinomialObjective implements DirectionalObjective {
  readonly size: number;
  private readonly features: number;
  private readonly invC: number;
  private readonly z: Float64Array;
  private readonly zd: Float64Array;
  private readonly r: Float64Array;
  private readonly x: WorkspaceCsc;
  private readonly y: Int32Array;
  private ww = 0;
  private wd = 0;
  private dd = 0;
  private probedT = Number.NaN;
  private probedLoss = 0;

  constructor(
    x: Csr,
    y: Int32Array,
    c: number,
    private readonly ws: Workspace,
  ) {
    this.x = ws.csc(x.rows, x.cols, x.indptr, x.indices, x.data);
    // Worker threads read the labels too, so they live in the workspace's shared memory.
    this.y = ws.i32(x.rows);
    this.y.set(y.subarray(0, x.rows));
    this.features = x.cols;
    this.size = x.cols + 1;
    this.invC = 1 / c;
    this.z = ws.f64(x.rows);
    this.zd = ws.f64(x.rows);
    this.r = ws.f64(x.rows);
  }

  valueAndGradient(params: Float64Array, g: Float64Array): number {
    this.scores(params, this.z);
    this.zd.fill(0);
    this.ww = this.ws.dot(params, params, this.features);
    this.wd = 0;
    this.dd = 0;
    const { value } = this.probe(0);
    this.gradient(params, g);
    return value;
  }

  setDirection(params: Float64Array, d: Float64Array): void {
    this.scores(d, this.zd);
    this.wd = this.ws.dot(params, d, this.features);
    this.dd = this.ws.dot(d, d, this.features);
    this.probedT = Number.NaN;
  }

  probe(t: number): { value: number; slope: number } {
    // Row blocks, possibly on several threads, each summed in row order; the blocks added in order.
    const { loss, slope } = this.ws.probe(this.x, this.z, this.zd, this.r, this.y, 1, t);
    this.probedT = t;
    this.probedLoss = loss;
    const { ww, wd, dd, invC } = this;
    return { value: loss + 0.5 * invC * (ww + t * (2 * wd + t * dd)), slope: slope + invC * (wd + t * dd) };
  }

  commit(t: number, params: Float64Array, g: Float64Array): number {
    if (t !== this.probedT) this.probe(t);
    // z + t·zd, the same expression as in probe, so the residuals in r belong to exactly these scores.
    this.ws.axpy(t, this.zd, this.z);
    this.ww = this.ws.dot(params, params, this.features);
    this.gradient(params, g);
    return this.probedLoss + 0.5 * this.invC * this.ww;
  }

  /** out = X·w + b */
  private scores(params: Float64Array, out: Float64Array): void {
    this.ws.scores(this.x, params, out, 1, params.subarray(this.features));
  }

  /** g = Xᵀ·r + w/C, g_b = Σ r, from the residuals of the last probe. */
  private gradient(params: Float64Array, g: Float64Array): void {
    this.ws.gradient(this.x, params, this.r, g, 1, this.invC);
  }
}

/**
 * Multinomial cross-entropy with a full K-class softmax. Parameters are feature-major so one
 * non-zero touches K adjacent numbers: params[j·K + k] = W[k][j] for j < F, params[F·K + k] = b[k].
 *
 * @example const f = new MultinomialObjective(x, y, 5, 1, workspace).valueAndGradient(params, grad);
 */
export class MultinomialObjective implements DirectionalObjective {
  readonly size: number;
  private readonly weightCount: number;
  private readonly invC: number;
  private readonly z: Float64Array;
  private readonly zd: Float64Array;
  private readonly r: Float64Array;
  private readonly x: WorkspaceCsc;
  private readonly y: Int32Array;
  private ww = 0;
  private wd = 0;
  private dd = 0;
  private probedT = Number.NaN;
  private probedLoss = 0;

  constructor(
    x: Csr,
    y: Int32Array,
    private readonly k: number,
    c: number,
    private readonly ws: Workspace,
  ) {
    this.x = ws.csc(x.rows, x.cols, x.indptr, x.indices, x.data);
    this.y = ws.i32(x.rows);
    this.y.set(y.subarray(0, x.rows));
    this.weightCount = x.cols * k;
    this.size = this.weightCount + k;
    this.invC = 1 / c;
    this.z = ws.f64(x.rows * k);
    this.zd = ws.f64(x.rows * k);
    this.r = ws.f64(x.rows * k);
  }

  valueAndGradient(params: Float64Array, g: Float64Array): number {
    this.scores(params, this.z);
    this.zd.fill(0);
    this.ww = this.ws.dot(params, params, this.weightCount);
    this.wd = 0;
    this.dd = 0;
    const { value } = this.probe(0);
    this.gradient(params, g);
    return value;
  }

  setDirection(params: Float64Array, d: Float64Array): void {
    this.scores(d, this.zd);
    this.wd = this.ws.dot(params, d, this.weightCount);
    this.dd = this.ws.dot(d, d, this.weightCount);
    this.probedT = Number.NaN;
  }

  probe(t: number): { value: number; slope: number } {
    const { loss, slope } = this.ws.probe(this.x, this.z, this.zd, this.r, this.y, this.k, t);
    this.probedT = t;
    this.probedLoss = loss;
    const { ww, wd, dd, invC } = this;
    return { value: loss + 0.5 * invC * (ww + t * (2 * wd + t * dd)), slope: slope + invC * (wd + t * dd) };
  }

  commit(t: number, params: Float64Array, g: Float64Array): number {
    if (t !== this.probedT) this.probe(t);
    // z + t·zd, the same expression as in probe, so the residuals in r belong to exactly these scores.
    this.ws.axpy(t, this.zd, this.z);
    this.ww = this.ws.dot(params, params, this.weightCount);
    this.gradient(params, g);
    return this.probedLoss + 0.5 * this.invC * this.ww;
  }

  /** out[i·K + k] = x_i·W[k] + b[k] */
  private scores(params: Float64Array, out: Float64Array): void {
    this.ws.scores(this.x, params, out, this.k, params.subarray(this.weightCount));
  }

  /** g[j·K + k] = Σ_i x_ij·r_ik + W/C, g_b = Σ_i r_i, from the residuals of the last probe. */
  private gradient(params: Float64Array, g: Float64Array): void {
    this.ws.gradient(this.x, params, this.r, g, this.k, this.invC);
  }
}

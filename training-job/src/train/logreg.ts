/**
 * L2-regularized logistic regression that reaches scikit-learn 1.2's
 * `LogisticRegression(C, solver='lbfgs', max_iter, tol)` solution: binomial for two classes,
 * multinomial softmax for more, intercepts unpenalized, started at zero, deterministic.
 */
import { TrainingError } from './errors.js';
import { MAX_WORKSPACE_BYTES, Workspace } from './kernels.js';
import type { HistoryPlan, HistoryPrecision, IterationInfo } from './lbfgs.js';
import {
  CorrectionHistory,
  historyInsideNeeds,
  lbfgsWorkspaceNeeds,
  minimizeLbfgs,
  planHistory,
  planHistoryInside,
} from './lbfgs.js';
import {
  BinomialObjective,
  type MatrixShape,
  MultinomialObjective,
  matrixShape,
  objectiveWorkspaceNeeds,
} from './logreg-objective.js';
import { section } from './profile.js';
import type { Csr } from './sparse.js';

/** Fit settings; defaults are scikit-learn's. */
export interface LogRegOptions {
  /** Inverse regularization strength (> 0). Default 1. */
  readonly C?: number;
  /** Iteration limit (>= 1). Default 1000. */
  readonly maxIter?: number;
  /** Stop when max |gradient component| <= tol (sklearn's `tol`). Default 1e-4. */
  readonly tol?: number;
  /** Called once per iteration; `loss` is sklearn's scaled objective, `gradNorm` the max |gradient component|. */
  readonly onIteration?: (info: IterationInfo) => void;
  /**
   * Threads to fit on (default 1). Fits smaller than PARALLEL_MIN_WORK use one thread whatever this
   * says. The model is the same bits with any number of threads.
   */
  readonly threads?: number;
  /** Least work per iteration worth extra threads (default PARALLEL_MIN_WORK; 0 for tests of small fits). */
  readonly parallelMinWork?: number;
  /**
   * Precision of L-BFGS's stored correction pairs. Default: f64 up to HISTORY_F64_MAX_BYTES of them
   * (scipy's iterates, to the bits), f32 above (half the memory of a large fit).
   */
  readonly historyPrecision?: HistoryPrecision;
}

/** L-BFGS correction pairs kept, as scikit-learn's lbfgs (scipy's maxcor) keeps them. */
const MEMORY = 10;

/** The memory a fit takes, planned before anything is allocated. */
export interface FitPlan {
  readonly parameters: number;
  /**
   * The workspace holding the matrix, the scores and L-BFGS's x, g, gOld, d (at most 4 GiB), and
   * the correction pairs too when there is room for them (`history.inside`).
   */
  readonly mainBytes: number;
  /** L-BFGS's correction pairs: inside the main workspace, or in workspaces of their own. */
  readonly history: HistoryPlan;
  /** mainBytes + history.bytes. */
  readonly bytes: number;
  /** Whether the main workspace fits in the 4 GiB a WebAssembly memory addresses. */
  readonly fits: boolean;
}

/**
 * The memory fitting `classes` classes on a matrix of `shape` takes, without allocating it.
 *
 * @example planFit({ rows: 100_000, cols: 414_429, nonZeros: 6_428_807 }, 50).fits // → true
 */
export function planFit(shape: MatrixShape, classes: number, historyPrecision?: HistoryPrecision): FitPlan {
  const scoreColumns = classes === 2 ? 1 : classes;
  const parameters = shape.cols * scoreColumns + scoreColumns;
  const objective = objectiveWorkspaceNeeds(shape, scoreColumns);
  const lbfgs = lbfgsWorkspaceNeeds(parameters);
  const pairs = historyInsideNeeds(parameters, MEMORY, historyPrecision);
  const withPairs = Workspace.bytesFor({
    f64: objective.f64 + lbfgs.f64 + pairs.f64,
    f32: pairs.f32,
    i32: objective.i32,
    arrays: objective.arrays + lbfgs.arrays + pairs.arrays,
  });
  // One memory when it can hold everything: the recursion then works in place, with no copies.
  const inside = withPairs <= MAX_WORKSPACE_BYTES;
  const mainBytes = inside
    ? withPairs
    : Workspace.bytesFor({
        f64: objective.f64 + lbfgs.f64,
        i32: objective.i32,
        arrays: objective.arrays + lbfgs.arrays,
      });
  const history = inside
    ? planHistoryInside(parameters, MEMORY, historyPrecision)
    : planHistory(parameters, MEMORY, historyPrecision);
  return {
    parameters,
    mainBytes,
    history,
    bytes: mainBytes + history.bytes,
    fits: mainBytes <= MAX_WORKSPACE_BYTES,
  };
}

/**
 * Below this much work per iteration (matrix entries × score columns + parameters) worker threads
 * cost more than they save: each operation's hand-off takes tens of microseconds.
 */
const PARALLEL_MIN_WORK = 2_000_000;

/**
 * A softmax head: probabilities = softmax(weights·x + bias). A binary fit comes back as two rows
 * (-w/2, w/2), whose softmax is exactly sigmoid(w·x + b), so callers handle one shape.
 */
export interface SoftmaxModel {
  readonly classes: number;
  readonly features: number;
  /** classes × features, row-major by class. */
  readonly weights: Float64Array;
  readonly bias: Float64Array;
  readonly iterations: number;
  /** sklearn's objective at the solution: Σ log-loss + ||w||²/(2C). */
  readonly loss: number;
  /** False when the iteration limit was reached (sklearn would warn) or the line search broke down. */
  readonly converged: boolean;
}

/**
 * Fits logistic regression to the rows of `x` with labels `y` (class indices 0..classes-1).
 *
 * @example
 *   const model = fitLogisticRegression(tfidf, labels, 2, { C: 1, onIteration: (i) => log(i.loss) });
 *   // model.weights: 2 × tfidf.cols, model.bias: 2
 */
export function fitLogisticRegression(
  x: Csr,
  y: Int32Array,
  classes: number,
  options: LogRegOptions = {},
): SoftmaxModel {
  const C = options.C ?? 1;
  const maxIter = options.maxIter ?? 1000;
  const tol = options.tol ?? 1e-4;
  validateOptions(C, maxIter, tol);
  if (options.threads !== undefined && !(Number.isInteger(options.threads) && options.threads >= 1)) {
    throw new TrainingError(`threads must be a whole number >= 1 (got ${options.threads}).`);
  }
  section('check input', () => {
    validateMatrix(x);
    validateLabels(x, y, classes);
  });

  const shape = matrixShape(x);
  const plan = planFit(shape, classes, options.historyPrecision);
  if (!plan.fits) {
    const scoreColumns = classes === 2 ? 1 : classes;
    const gib = (bytes: number) => (bytes / 2 ** 30).toFixed(1);
    throw new TrainingError(
      `Fitting ${plan.parameters} parameters (${x.cols} features × ${scoreColumns} score columns) over ` +
        `${shape.nonZeros} non-zeros needs ${gib(plan.mainBytes)} GiB for the matrix, the scores and the ` +
        `optimizer's current vectors, more than the 4 GiB one WebAssembly memory addresses ` +
        `(${gib(plan.bytes)} GiB in all): raise min_df, set max_features, or merge rare classes.`,
    );
  }
  const workspace = new Workspace(plan.mainBytes);
  // Before the threads start, so they work on every memory.
  const history = new CorrectionHistory(workspace, plan.history, MEMORY);
  const lbfgs = {
    maxIter,
    gtol: tol,
    memory: MEMORY,
    history,
    ...(options.onIteration ? { onIteration: options.onIteration } : {}),
  };
  const threads = options.threads ?? 1;
  const scoreColumns = classes === 2 ? 1 : classes;
  const work = shape.nonZeros * scoreColumns + plan.parameters;
  try {
    if (threads > 1 && work >= (options.parallelMinWork ?? PARALLEL_MIN_WORK)) workspace.useThreads(threads);
    return fit(x, y, classes, C, workspace, lbfgs);
  } finally {
    workspace.close();
  }
}

function fit(
  x: Csr,
  y: Int32Array,
  classes: number,
  C: number,
  workspace: Workspace,
  lbfgs: Parameters<typeof minimizeLbfgs>[3],
): SoftmaxModel {
  const features = x.cols;
  const weights = new Float64Array(classes * features);
  const bias = new Float64Array(classes);
  if (classes === 2) {
    const objective = section('matrix to workspace', () => new BinomialObjective(x, y, C, workspace));
    const r = section('lbfgs', () =>
      minimizeLbfgs(objective, new Float64Array(objective.size), workspace, lbfgs),
    );
    // Halving is exact in binary floating point, so softmax(-z/2, z/2) reproduces sigmoid(z) bit for bit.
    for (let j = 0; j < features; j++) {
      const half = 0.5 * (r.x[j] as number);
      weights[j] = -half;
      weights[features + j] = half;
    }
    const halfBias = 0.5 * (r.x[features] as number);
    bias[0] = -halfBias;
    bias[1] = halfBias;
    return {
      classes,
      features,
      weights,
      bias,
      iterations: r.iterations,
      loss: r.value,
      converged: r.converged,
    };
  }

  const objective = section(
    'matrix to workspace',
    () => new MultinomialObjective(x, y, classes, C, workspace),
  );
  const r = section('lbfgs', () =>
    minimizeLbfgs(objective, new Float64Array(objective.size), workspace, lbfgs),
  );
  for (let j = 0; j < features; j++) {
    for (let c = 0; c < classes; c++) weights[c * features + j] = r.x[j * classes + c] as number;
  }
  for (let c = 0; c < classes; c++) bias[c] = r.x[features * classes + c] as number;
  return {
    classes,
    features,
    weights,
    bias,
    iterations: r.iterations,
    loss: r.value,
    converged: r.converged,
  };
}

function validateOptions(C: number, maxIter: number, tol: number): void {
  if (!(Number.isFinite(C) && C > 0)) {
    throw new TrainingError(`C must be a finite number > 0 (got ${C}); sklearn's default is 1.`);
  }
  if (!(Number.isInteger(maxIter) && maxIter >= 1)) {
    throw new TrainingError(`maxIter must be an integer >= 1 (got ${maxIter}); the default is 1000.`);
  }
  if (!(Number.isFinite(tol) && tol >= 0)) {
    throw new TrainingError(`tol must be a finite number >= 0 (got ${tol}); the default is 1e-4.`);
  }
}

function validateMatrix(x: Csr): void {
  const { rows, cols, indptr, indices, data } = x;
  if (!(Number.isInteger(rows) && rows >= 1 && Number.isInteger(cols) && cols >= 0)) {
    throw new TrainingError(
      `The feature matrix is ${rows}×${cols}: training needs at least one row and a whole number of columns.`,
    );
  }
  if (indptr.length !== rows + 1 || indptr[0] !== 0) {
    throw new TrainingError(
      `The feature matrix's indptr has ${indptr.length} entries starting at ${indptr[0]}; a CSR matrix with ` +
        `${rows} rows needs ${rows + 1} starting at 0. Rebuild the matrix from the vectorizer.`,
    );
  }
  const nnz = indptr[rows] as number;
  if (indices.length < nnz || data.length < nnz) {
    throw new TrainingError(
      `The feature matrix's indptr ends at ${nnz} but it holds ${indices.length} indices and ${data.length} ` +
        'values. Rebuild the matrix from the vectorizer.',
    );
  }
  for (let i = 0; i < rows; i++) {
    if ((indptr[i + 1] as number) < (indptr[i] as number)) {
      throw new TrainingError(
        `The feature matrix's indptr decreases at row ${i}; CSR row offsets must not decrease. ` +
          'Rebuild the matrix from the vectorizer.',
      );
    }
  }
  for (let p = 0; p < nnz; p++) {
    const j = indices[p] as number;
    if (j < 0 || j >= cols) {
      throw new TrainingError(
        `The feature matrix has column index ${j} at position ${p}, outside 0..${cols - 1}. ` +
          'Rebuild the matrix from the vectorizer.',
      );
    }
    if (!Number.isFinite(data[p])) {
      throw new TrainingError(
        `The feature matrix has a non-finite value (${data[p]}) at position ${p}; features must be finite numbers.`,
      );
    }
  }
}

function validateLabels(x: Csr, y: Int32Array, classes: number): void {
  if (!(Number.isInteger(classes) && classes >= 2)) {
    throw new TrainingError(
      `classes must be an integer >= 2 (got ${classes}): a classifier needs two labels to tell apart.`,
    );
  }
  if (y.length !== x.rows) {
    throw new TrainingError(
      `y has ${y.length} labels but the feature matrix has ${x.rows} rows: pass one label per row.`,
    );
  }
  const counts = new Int32Array(classes);
  for (let i = 0; i < y.length; i++) {
    const label = y[i] as number;
    if (label < 0 || label >= classes) {
      throw new TrainingError(
        `Row ${i} has label ${label}, outside 0..${classes - 1}: labels must be class indices below \`classes\`.`,
      );
    }
    counts[label] = (counts[label] as number) + 1;
  }
  const present = counts.reduce((n, c) => n + (c > 0 ? 1 : 0), 0);
  if (present < 2) {
    throw new TrainingError(
      `Every row has label ${y[0]}: training needs examples of at least two classes. Check the dataset's labels.`,
    );
  }
  const missing = counts.indexOf(0);
  if (missing >= 0) {
    // An absent class's unpenalized intercept would run off to -infinity: the fit has no solution.
    throw new TrainingError(
      `Class ${missing} has no training rows (of ${classes} classes): drop it from the class list or add examples of it.`,
    );
  }
}

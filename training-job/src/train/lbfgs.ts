/**
 * Unconstrained L-BFGS that follows scipy's L-BFGS-B (v3.0) step for step where it matters to the
 * result: the first step is 1/||g||, later steps start at 1; the Moré–Thuente search uses
 * ftol=1e-3, gtol=0.9, xtol=0.1 and at most 20 probes; a failed search drops the memory and retries
 * along -g; a pair is skipped unless s·y > eps·(-g·d)·step; and it stops on max|g| <= gtol, on a
 * relative objective decrease <= ftol, or on the iteration limit.
 */
import type { Workspace } from './kernels.js';
import { MoreThuenteSearch } from './line-search.js';

/**
 * A smooth objective that can be probed cheaply along a search direction. Logistic losses are
 * linear in the scores, so a probe costs O(rows·classes) once the direction's scores are known.
 */
export interface DirectionalObjective {
  /** Number of parameters. */
  readonly size: number;
  /** Value at `x`; writes the gradient into `g`. Resets any direction state. */
  valueAndGradient(x: Float64Array, g: Float64Array): number;
  /** Fixes the point `x` (the current iterate) and direction `d` that `probe` moves along. */
  setDirection(x: Float64Array, d: Float64Array): void;
  /** Value at `x + t·d` and its slope `∇f(x + t·d)·d`. */
  probe(t: number): { readonly value: number; readonly slope: number };
  /**
   * Moves to `x + t·d`: the caller has already written the new point into `x`. Writes the gradient
   * there into `g` and returns the value.
   */
  commit(t: number, x: Float64Array, g: Float64Array): number;
}

/** What one iteration reports: objective value and max |gradient component|. */
export interface IterationInfo {
  readonly iteration: number;
  readonly loss: number;
  readonly gradNorm: number;
}

/** L-BFGS settings; defaults are scipy's as scikit-learn calls it. */
export interface LbfgsOptions {
  /** Correction pairs kept (scipy `maxcor`). Default 10. */
  readonly memory?: number;
  /** Iteration limit (scipy `maxiter`). Default 15000. */
  readonly maxIter?: number;
  /** Stop when max |g_i| <= gtol (scipy `pgtol`/`gtol`). Default 1e-5. */
  readonly gtol?: number;
  /** Stop when (f_old - f) / max(|f_old|, |f|, 1) <= ftol (scipy `ftol` = factr·eps). Default 2.22e-9. */
  readonly ftol?: number;
  /** Limit on objective evaluations (scipy `maxfun`). Default 15000. */
  readonly maxEvaluations?: number;
  readonly onIteration?: (info: IterationInfo) => void;
}

/** Why the minimizer stopped. */
export type LbfgsStatus =
  | 'gradient-tolerance'
  | 'relative-reduction'
  | 'max-iterations'
  | 'max-evaluations'
  | 'line-search-failed';

/** The minimizer's outcome. `converged` is true for the two tolerance tests. */
export interface LbfgsResult {
  /** The solution; an array in the workspace. */
  readonly x: Float64Array;
  readonly value: number;
  readonly gradNorm: number;
  readonly iterations: number;
  readonly evaluations: number;
  readonly status: LbfgsStatus;
  readonly converged: boolean;
}

const EPSMCH = 2.220446049250313e-16;
const STPMAX = 1e10;
const MAX_PROBES = 20;

/** Workspace room (array lengths) `minimizeLbfgs` takes for `n` parameters and `memory` pairs (default 10). */
export function lbfgsWorkspaceNeeds(n: number, memory = 10): { f64: number; arrays: number } {
  // x, g, gOld, d, and memory + 1 (s, y) pairs (one spare).
  const arrays = 4 + 2 * (memory + 1);
  return { f64: arrays * n, arrays };
}

/**
 * Minimizes `objective` from `x0` (not modified). Vectors are taken from `workspace`, which must have
 * room for `lbfgsWorkspaceNeeds(objective.size, memory)`.
 *
 * @example const r = minimizeLbfgs(objective, new Float64Array(objective.size), workspace, { gtol: 1e-4 });
 */
export function minimizeLbfgs(
  objective: DirectionalObjective,
  x0: Float64Array,
  workspace: Workspace,
  options: LbfgsOptions = {},
): LbfgsResult {
  const m = options.memory ?? 10;
  const maxIter = options.maxIter ?? 15000;
  const gtol = options.gtol ?? 1e-5;
  const ftol = options.ftol ?? 2.220446049250313e-9;
  const maxEvaluations = options.maxEvaluations ?? 15000;
  const n = objective.size;
  const ws = workspace;

  const x = ws.f64(n);
  x.set(x0);
  const g = ws.f64(n);
  const gOld = ws.f64(n);
  const d = ws.f64(n);
  const memory = new CorrectionMemory(ws, n, m);

  let f = objective.valueAndGradient(x, g);
  let evaluations = 1;
  let gradNorm = ws.maxAbs(g);
  let iterations = 0;
  const result = (status: LbfgsStatus): LbfgsResult => ({
    x,
    value: f,
    gradNorm,
    iterations,
    evaluations,
    status,
    converged: status === 'gradient-tolerance' || status === 'relative-reduction',
  });

  if (!Number.isFinite(f) || !Number.isFinite(gradNorm)) return result('line-search-failed');
  if (gradNorm <= gtol) return result('gradient-tolerance');

  for (;;) {
    memory.direction(g, d);
    const gd = ws.dot(g, d);
    const { step, probes } =
      gd < 0
        ? searchStep(objective, x, d, f, gd, iterations === 0 ? 1 / Math.sqrt(ws.dot(d, d)) : 1)
        : FAILED;
    evaluations += probes;
    if (!(step > 0)) {
      // Not a descent direction or no acceptable step: forget the curvature pairs and retry along -g.
      if (memory.count === 0) return result('line-search-failed');
      memory.reset();
      continue;
    }

    const fOld = f;
    gOld.set(g);
    ws.axpy(step, d, x);
    f = objective.commit(step, x, g);
    iterations++;
    gradNorm = ws.maxAbs(g);
    options.onIteration?.({ iteration: iterations, loss: f, gradNorm });

    if (gradNorm <= gtol) return result('gradient-tolerance');
    if (fOld - f <= ftol * Math.max(Math.abs(fOld), Math.abs(f), 1)) return result('relative-reduction');
    if (iterations >= maxIter) return result('max-iterations');
    if (evaluations >= maxEvaluations) return result('max-evaluations');

    memory.push(step, d, g, gOld, gd);
  }
}

const FAILED = { step: 0, probes: 0 };

/** Runs one Moré–Thuente search along `d`: the accepted step (0 when the search fails) and the probes it took. */
function searchStep(
  objective: DirectionalObjective,
  x: Float64Array,
  d: Float64Array,
  f0: number,
  slope0: number,
  initialStep: number,
): { step: number; probes: number } {
  objective.setDirection(x, d);
  const search = new MoreThuenteSearch(1e-3, 0.9, 0.1, 0, STPMAX);
  let task = search.start(Math.min(initialStep, STPMAX), f0, slope0);
  let probes = 0;
  while (task === 'probe') {
    if (probes >= MAX_PROBES) return { step: 0, probes };
    const { value, slope } = objective.probe(search.step);
    probes++;
    if (!Number.isFinite(value) || !Number.isFinite(slope)) return { step: 0, probes };
    task = search.next(value, slope);
  }
  return { step: task === 'error' ? 0 : search.step, probes };
}

/**
 * The last `m` correction pairs (s, y) and the two-loop recursion over them. Each axpy of the
 * recursion is fused with the dot product the next step needs, halving the passes over the
 * direction vector (this is memory-bound for millions of parameters); the sums are the same.
 */
class CorrectionMemory {
  count = 0;
  private head = 0;
  private readonly s: Float64Array[] = [];
  private readonly y: Float64Array[] = [];
  private readonly rho: Float64Array;
  private readonly alpha: Float64Array;
  private gamma = 1;

  constructor(
    private readonly ws: Workspace,
    n: number,
    private readonly m: number,
  ) {
    this.rho = new Float64Array(m);
    this.alpha = new Float64Array(m);
    // One spare pair to write into, so a rejected pair never overwrites a kept one. Untouched
    // workspace pages cost no memory, so a fit that converges in 5 steps never pays for all 2m.
    for (let k = 0; k <= m; k++) {
      this.s.push(ws.f64(n));
      this.y.push(ws.f64(n));
    }
  }

  reset(): void {
    this.count = 0;
    this.head = 0;
    this.gamma = 1;
  }

  /** Stores s = step·d, y = g - gOld, unless the curvature s·y is not safely positive. */
  push(step: number, d: Float64Array, g: Float64Array, gOld: Float64Array, gdOld: number): void {
    const { m } = this;
    const s = this.s[m] as Float64Array;
    const y = this.y[m] as Float64Array;
    const [sy, yy] = this.ws.pair(step, d, g, gOld, s, y);
    if (!(sy > EPSMCH * -gdOld * step)) return;
    // Swap the spare into the ring; the slot it replaces (free, or the oldest pair) becomes the spare.
    const slot = this.head;
    this.s[m] = this.s[slot] as Float64Array;
    this.y[m] = this.y[slot] as Float64Array;
    this.s[slot] = s;
    this.y[slot] = y;
    this.rho[slot] = 1 / sy;
    this.gamma = sy / yy;
    this.head = (slot + 1) % m;
    this.count = Math.min(this.count + 1, m);
  }

  /** d = -H·g with H the L-BFGS inverse-Hessian approximation (H0 = γI, γ = s·y/y·y of the newest pair). */
  direction(g: Float64Array, d: Float64Array): void {
    const { ws, m, s, y, rho, alpha, count } = this;
    if (count === 0) {
      ws.scaleDot(-1, g, d, d);
      return;
    }
    let slot = (this.head - 1 + m) % m;
    let sd = ws.scaleDot(-1, g, d, s[slot] as Float64Array);
    for (let k = 0; k < count; k++) {
      const a = (rho[slot] as number) * sd;
      alpha[slot] = a;
      const older = (slot - 1 + m) % m;
      if (k + 1 < count) sd = ws.axpyDot(-a, y[slot] as Float64Array, d, s[older] as Float64Array);
      else ws.axpy(-a, y[slot] as Float64Array, d);
      slot = older;
    }
    // slot is now the one before the oldest pair.
    slot = (slot + 1) % m;
    let yd = ws.scaleDot(this.gamma, d, d, y[slot] as Float64Array);
    for (let k = 0; k < count; k++) {
      const b = (rho[slot] as number) * yd;
      const newer = (slot + 1) % m;
      const coefficient = (alpha[slot] as number) - b;
      if (k + 1 < count) yd = ws.axpyDot(coefficient, s[slot] as Float64Array, d, y[newer] as Float64Array);
      else ws.axpy(coefficient, s[slot] as Float64Array, d);
      slot = newer;
    }
  }
}

/**
 * Adapts a plain value-and-gradient function to `DirectionalObjective` (every probe is a full
 * evaluation). For objectives without a cheaper line restriction, and for testing the minimizer.
 */
export function fullObjective(
  size: number,
  fg: (x: Float64Array, g: Float64Array) => number,
): DirectionalObjective {
  const base = new Float64Array(size);
  const dir = new Float64Array(size);
  const trial = new Float64Array(size);
  const grad = new Float64Array(size);
  return {
    size,
    valueAndGradient: fg,
    setDirection(x, d) {
      base.set(x);
      dir.set(d);
    },
    probe(t) {
      for (let i = 0; i < size; i++) trial[i] = (base[i] as number) + t * (dir[i] as number);
      const value = fg(trial, grad);
      let slope = 0;
      for (let i = 0; i < size; i++) slope += (grad[i] as number) * (dir[i] as number);
      return { value, slope };
    },
    commit(_t, x, g) {
      return fg(x, g);
    },
  };
}

/**
 * Unconstrained L-BFGS that follows scipy's L-BFGS-B (v3.0) step for step where it matters to the
 * result: the first step is 1/||g||, later steps start at 1; the Moré–Thuente search uses
 * ftol=1e-3, gtol=0.9, xtol=0.1 and at most 20 probes; a failed search drops the memory and retries
 * along -g; a pair is skipped unless s·y > eps·(-g·d)·step; and it stops on max|g| <= gtol, on a
 * relative objective decrease <= ftol, or on the iteration limit.
 */
import { DENSE_CHUNK, MAX_WORKSPACE_BYTES, Workspace } from './kernels.js';
import { MoreThuenteSearch } from './line-search.js';
import { section } from './profile.js';

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
  /**
   * Where the correction pairs are kept (`createHistory`); by default a history planned by
   * `planHistory(size, memory)` beside `workspace`.
   */
  readonly history?: CorrectionHistory;
}

/** Why the minimizer stopped. */
type LbfgsStatus =
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

/**
 * Workspace room (array lengths) `minimizeLbfgs` takes for `n` parameters in the objective's
 * workspace: x, g, gOld and d. The correction pairs come on top (`historyInsideNeeds`), or live in
 * workspaces of their own (`planHistory`).
 */
export function lbfgsWorkspaceNeeds(n: number): { f64: number; arrays: number } {
  return { f64: 4 * n, arrays: 4 };
}

/** Precision of the stored correction pairs. */
export type HistoryPrecision = 'f64' | 'f32';

/**
 * Above this many bytes of f64 correction pairs (1.68 M parameters) they are kept in f32 (half the
 * memory; every sum is still taken in f64). Below it, the pairs are what scipy keeps, so small fits
 * follow scipy's iterates to the last bits. At 256 MiB the pairs would be most of a mid-sized fit's
 * memory: 10,000 texts × 50 classes (2.7 M parameters) reaches the same loss (to 1.5e-8) and accuracy
 * with f32 pairs, in 0.7x the peak memory.
 */
export const HISTORY_F64_MAX_BYTES = 2 ** 28;

/** How the correction pairs of an `n`-parameter fit are stored: precision, and the workspaces holding them. */
export interface HistoryPlan {
  readonly precision: HistoryPrecision;
  /**
   * True when the pairs sit in the minimizer's own workspace (room: `historyInsideNeeds`): the
   * recursion then works on d itself and a new pair is kept without copying it. False when they
   * live in workspaces of their own, one per shard.
   */
  readonly inside: boolean;
  /** Coordinate ranges [start, start + length) of the vectors, one workspace of `bytes` each. */
  readonly shards: readonly { readonly start: number; readonly length: number; readonly bytes: number }[];
  /** Sum of the shards' bytes (0 inside). */
  readonly bytes: number;
}

/** f64 pairs up to HISTORY_F64_MAX_BYTES of them, f32 above, unless `precision` says. */
function choosePrecision(n: number, memory: number, precision?: HistoryPrecision): HistoryPrecision {
  return precision ?? (2 * memory * n * 8 > HISTORY_F64_MAX_BYTES ? 'f32' : 'f64');
}

/** Workspace room (array lengths) `memory` pairs of `n` parameters take inside the minimizer's workspace. */
export function historyInsideNeeds(
  n: number,
  memory = 10,
  precision?: HistoryPrecision,
): { f64: number; f32: number; arrays: number } {
  const single = choosePrecision(n, memory, precision) === 'f32';
  return { f64: single ? 0 : 2 * memory * n, f32: single ? 2 * memory * n : 0, arrays: 2 * memory };
}

/**
 * Plans the correction pairs inside the minimizer's workspace, which must have room for
 * `historyInsideNeeds(n, memory, precision)` beyond `lbfgsWorkspaceNeeds(n)`.
 *
 * @example planHistoryInside(544_000) // → { precision: 'f64', inside: true, shards: [{ start: 0, length: 544000, bytes: 0 }], bytes: 0 }
 */
export function planHistoryInside(n: number, memory = 10, precision?: HistoryPrecision): HistoryPlan {
  return {
    precision: choosePrecision(n, memory, precision),
    inside: true,
    shards: [{ start: 0, length: n, bytes: 0 }],
    bytes: 0,
  };
}

/**
 * Plans the correction pairs' storage: `memory` pairs (s, y) and one f64 work vector per coordinate,
 * in f64 up to HISTORY_F64_MAX_BYTES and in f32 above (unless `precision` says), split at dense-chunk
 * boundaries into workspaces of at most 4 GiB. Splitting at chunk boundaries keeps every sum the same
 * bits as on one vector, and never limits the number of parameters.
 *
 * @example planHistory(20_721_500) // → { precision: 'f32', shards: [one of 1.8 GB], … }
 */
export function planHistory(
  n: number,
  memory = 10,
  precision?: HistoryPrecision,
  maxWorkspaceBytes = MAX_WORKSPACE_BYTES,
): HistoryPlan {
  const chosen = choosePrecision(n, memory, precision);
  const width = chosen === 'f64' ? 8 : 4;
  const arrays = 1 + 2 * memory;
  const bytesFor = (length: number) =>
    width === 8
      ? Workspace.bytesFor({ f64: length * (1 + 2 * memory), arrays })
      : Workspace.bytesFor({ f64: length, f32: 2 * memory * length, arrays });
  const perChunk = DENSE_CHUNK * (8 + 2 * memory * width);
  const chunks = Math.max(1, Math.ceil(n / DENSE_CHUNK));
  const chunksPerWorkspace = Math.max(1, Math.floor((maxWorkspaceBytes - bytesFor(0)) / perChunk));
  const count = Math.ceil(chunks / chunksPerWorkspace);
  const per = Math.ceil(chunks / count);
  const shards: { start: number; length: number; bytes: number }[] = [];
  for (let start = 0; start < n || shards.length === 0; start += per * DENSE_CHUNK) {
    const length = Math.min(per * DENSE_CHUNK, n - start);
    shards.push({ start, length, bytes: bytesFor(length) });
  }
  return {
    precision: chosen,
    inside: false,
    shards,
    bytes: shards.reduce((sum, shard) => sum + shard.bytes, 0),
  };
}

/**
 * Correction pairs as planned by `planHistory` (in workspaces worked on by `main`'s threads) or by
 * `planHistoryInside` (in `main` itself, which must be the minimizer's workspace).
 */
export class CorrectionHistory {
  readonly shards: readonly HistoryShard[];
  readonly precision: HistoryPrecision;
  readonly inside: boolean;
  /** The workspace the pairs were planned beside. */
  readonly main: Workspace;

  /** Create it before `main.useThreads`, so the threads start with every memory. */
  constructor(
    main: Workspace,
    plan: HistoryPlan,
    readonly memory = 10,
  ) {
    this.precision = plan.precision;
    this.inside = plan.inside;
    this.main = main;
    this.shards = plan.shards.map(({ start, length, bytes }) => {
      const ws = plan.inside ? main : new Workspace(bytes, main);
      // Inside, the recursion works on d itself.
      const w = plan.inside ? undefined : ws.f64(length);
      const make = () => (plan.precision === 'f64' ? ws.f64(length) : ws.f32(length));
      const s: (Float64Array | Float32Array)[] = [];
      const y: (Float64Array | Float32Array)[] = [];
      for (let k = 0; k < memory; k++) {
        s.push(make());
        y.push(make());
      }
      return { ws, start, length, w, s, y };
    });
  }
}

interface HistoryShard {
  readonly ws: Workspace;
  readonly start: number;
  readonly length: number;
  /** The two-loop recursion's work vector (this shard's part of d); none inside, where it is d. */
  readonly w: Float64Array | undefined;
  /** Slots of the pairs; inside, kept f64 pairs change places with d and gOld instead of being copied. */
  readonly s: (Float64Array | Float32Array)[];
  readonly y: (Float64Array | Float32Array)[];
}

/**
 * Minimizes `objective` from `x0` (not modified). Vectors are taken from `workspace`, which must have
 * room for `lbfgsWorkspaceNeeds(objective.size)`; the correction pairs go to `options.history`.
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
  // g, gOld and d name vectors that change places: no vector is copied into another per iteration.
  let g = ws.f64(n);
  let gOld = ws.f64(n);
  let d = ws.f64(n);
  const history = options.history ?? new CorrectionHistory(ws, planHistory(n, m), m);
  if (history.memory !== m || history.shards.reduce((sum, shard) => sum + shard.length, 0) !== n) {
    throw new RangeError(`the correction history holds ${history.memory} pairs of another size`);
  }
  if (history.inside && history.main !== ws) {
    throw new RangeError('a correction history planned inside a workspace works only in that workspace');
  }
  const memory = new CorrectionMemory(ws, history);

  let f = section('first gradient', () => objective.valueAndGradient(x, g));
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
    const gd = section('two-loop recursion', () => {
      memory.direction(g, d);
      return ws.dot(g, d);
    });
    const { step, probes } =
      gd < 0
        ? section('line search', () =>
            searchStep(objective, x, d, f, gd, iterations === 0 ? 1 / Math.sqrt(ws.dot(d, d)) : 1),
          )
        : FAILED;
    evaluations += probes;
    if (!(step > 0)) {
      // Not a descent direction or no acceptable step: forget the curvature pairs and retry along -g.
      if (memory.count === 0) return result('line-search-failed');
      memory.reset();
      continue;
    }

    const fOld = f;
    // The gradient becomes the old one; commit writes the new one into the other vector.
    [g, gOld] = [gOld, g];
    f = section('step and gradient', () => {
      ws.axpy(step, d, x);
      const value = objective.commit(step, x, g);
      gradNorm = ws.maxAbs(g);
      return value;
    });
    iterations++;
    options.onIteration?.({ iteration: iterations, loss: f, gradNorm });

    if (gradNorm <= gtol) return result('gradient-tolerance');
    if (fOld - f <= ftol * Math.max(Math.abs(fOld), Math.abs(f), 1)) return result('relative-reduction');
    if (iterations >= maxIter) return result('max-iterations');
    if (evaluations >= maxEvaluations) return result('max-evaluations');

    [d, gOld] = section('new pair', () => memory.push(step, d, g, gOld, gd));
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
 *
 * A new pair is computed in place in d and gOld (both free by then) and stored only when kept, so
 * no spare pair is needed. With the pairs inside the minimizer's workspace the recursion runs on d
 * itself, and a kept f64 pair takes the place of the oldest one by exchanging vectors (f32 pairs are
 * rounded into their slot by the threads). With the pairs in workspaces of their own, split by
 * coordinate range, the recursion runs there on a copy of g and the result is copied back into d.
 */
class CorrectionMemory {
  count = 0;
  private head = 0;
  private readonly m: number;
  private readonly single: boolean;
  private readonly rho: Float64Array;
  private readonly alpha: Float64Array;
  private gamma = 1;
  /** d while a direction is being computed inside the workspace. */
  private target: Float64Array | undefined;

  constructor(
    private readonly ws: Workspace,
    private readonly history: CorrectionHistory,
  ) {
    this.m = history.memory;
    this.single = history.precision === 'f32';
    this.rho = new Float64Array(this.m);
    this.alpha = new Float64Array(this.m);
  }

  reset(): void {
    this.count = 0;
    this.head = 0;
    this.gamma = 1;
  }

  /**
   * s = step·d, y = g - gOld, kept unless the curvature s·y is not safely positive. Returns the
   * vectors to use as d and gOld from now on (their contents are spent).
   */
  push(
    step: number,
    d: Float64Array,
    g: Float64Array,
    gOld: Float64Array,
    gdOld: number,
  ): [Float64Array, Float64Array] {
    const [sy, yy] = this.ws.pair(step, d, g, gOld, d, gOld, this.single);
    if (!(sy > EPSMCH * -gdOld * step)) return [d, gOld];
    const slot = this.head;
    let spent: [Float64Array, Float64Array] = [d, gOld];
    if (this.history.inside) {
      const shard = this.history.shards[0] as HistoryShard;
      const s = shard.s[slot] as Float64Array | Float32Array;
      const y = shard.y[slot] as Float64Array | Float32Array;
      if (s instanceof Float32Array && y instanceof Float32Array) {
        // Exact: pairSingle has already rounded the values to f32.
        this.ws.demote(d, s);
        this.ws.demote(gOld, y);
      } else {
        shard.s[slot] = d;
        shard.y[slot] = gOld;
        spent = [s as Float64Array, y as Float64Array];
      }
    } else {
      for (const shard of this.history.shards) {
        const end = shard.start + shard.length;
        // In f32 the values are already rounded to f32 (pairSingle), so this conversion is exact.
        (shard.s[slot] as Float64Array | Float32Array).set(d.subarray(shard.start, end));
        (shard.y[slot] as Float64Array | Float32Array).set(gOld.subarray(shard.start, end));
      }
    }
    this.rho[slot] = 1 / sy;
    this.gamma = sy / yy;
    this.head = (slot + 1) % this.m;
    this.count = Math.min(this.count + 1, this.m);
    return spent;
  }

  /** d = -H·g with H the L-BFGS inverse-Hessian approximation (H0 = γI, γ = s·y/y·y of the newest pair). */
  direction(g: Float64Array, d: Float64Array): void {
    const { m, rho, alpha, count } = this;
    if (count === 0) {
      this.ws.scaleDot(-1, g, d, d);
      return;
    }
    const { shards, inside } = this.history;
    if (inside) this.target = d;
    else for (const shard of shards) shard.w?.set(g.subarray(shard.start, shard.start + shard.length));
    let slot = (this.head - 1 + m) % m;
    // Inside, the first step reads g and writes d: the same numbers as copying g first.
    let sd = this.scaleDot(-1, inside ? g : undefined, 's', slot);
    for (let k = 0; k < count; k++) {
      const a = (rho[slot] as number) * sd;
      alpha[slot] = a;
      const older = (slot - 1 + m) % m;
      if (k + 1 < count) sd = this.axpyDot(-a, 'y', slot, 's', older);
      else this.axpy(-a, 'y', slot);
      slot = older;
    }
    // slot is now the one before the oldest pair.
    slot = (slot + 1) % m;
    let yd = this.scaleDot(this.gamma, undefined, 'y', slot);
    for (let k = 0; k < count; k++) {
      const b = (rho[slot] as number) * yd;
      const newer = (slot + 1) % m;
      const coefficient = (alpha[slot] as number) - b;
      if (k + 1 < count) yd = this.axpyDot(coefficient, 's', slot, 'y', newer);
      else this.axpy(coefficient, 's', slot);
      slot = newer;
    }
    if (inside) this.target = undefined;
    else for (const shard of shards) if (shard.w) d.set(shard.w, shard.start);
  }

  // The recursion's three operations on the work vector w, shard after shard; sums carry over from
  // one shard to the next in coordinate order.

  /** The shard's work vector: its own, or d inside. */
  private work(shard: HistoryShard): Float64Array {
    const w = shard.w ?? this.target;
    if (w === undefined) throw new Error('no direction is being computed');
    return w;
  }

  /** w = alpha·src (src: w itself when undefined); returns z[slot]·w. */
  private scaleDot(alpha: number, src: Float64Array | undefined, z: 's' | 'y', slot: number): number {
    let sum = 0;
    for (const shard of this.history.shards) {
      const w = this.work(shard);
      const from = src ?? w;
      const zv = shard[z][slot] as Float64Array | Float32Array;
      sum =
        zv instanceof Float32Array
          ? shard.ws.scaleDotSingle(alpha, from, w, zv, sum)
          : shard.ws.scaleDot(alpha, from, w, zv, w.length, sum);
    }
    return sum;
  }

  /** w += alpha·x[slotX]; returns z[slotZ]·w. */
  private axpyDot(alpha: number, x: 's' | 'y', slotX: number, z: 's' | 'y', slotZ: number): number {
    let sum = 0;
    for (const shard of this.history.shards) {
      const w = this.work(shard);
      const xv = shard[x][slotX] as Float64Array | Float32Array;
      const zv = shard[z][slotZ] as Float64Array | Float32Array;
      sum =
        xv instanceof Float32Array && zv instanceof Float32Array
          ? shard.ws.axpyDotSingle(alpha, xv, w, zv, sum)
          : shard.ws.axpyDot(alpha, xv as Float64Array, w, zv as Float64Array, w.length, sum);
    }
    return sum;
  }

  /** w += alpha·x[slot] */
  private axpy(alpha: number, x: 's' | 'y', slot: number): void {
    for (const shard of this.history.shards) {
      const w = this.work(shard);
      const xv = shard[x][slot] as Float64Array | Float32Array;
      if (xv instanceof Float32Array) shard.ws.axpySingle(alpha, xv, w);
      else shard.ws.axpy(alpha, xv, w);
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

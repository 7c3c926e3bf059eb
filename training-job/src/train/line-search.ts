/**
 * The Moré–Thuente line search (MINPACK-2 `dcsrch`/`dcstep`), the one L-BFGS-B uses, ported
 * statement by statement so the trainer takes the steps scipy would take.
 *
 * Reference: J. J. Moré and D. J. Thuente, "Line search algorithms with guaranteed sufficient
 * decrease", ACM TOMS 20(3), 1994; MINPACK-2 (Averick, Carter, Moré, 1993).
 */

/** What the search wants next: another probe, or it has finished (converged, or stuck with a warning). */
export type SearchTask = 'probe' | 'converged' | 'warning' | 'error';

const P5 = 0.5;
const P66 = 0.66;
const XTRAPL = 1.1;
const XTRAPU = 4.0;

/**
 * Finds a step satisfying the strong Wolfe conditions
 * `f(stp) <= f(0) + ftol·stp·f'(0)` and `|f'(stp)| <= gtol·|f'(0)|`.
 *
 * @example
 *   const search = new MoreThuenteSearch(1e-3, 0.9, 0.1, 0, 1e10);
 *   let task = search.start(1, f0, slope0);
 *   while (task === 'probe') task = search.next(f(search.step), slope(search.step));
 */
export class MoreThuenteSearch {
  /** The step to probe next (or, once finished, the step to take: always the last one probed). */
  step = 0;
  /** Why the search stopped, for diagnostics. */
  message = '';

  private brackt = false;
  private stage = 1;
  private finit = 0;
  private ginit = 0;
  private gtest = 0;
  private width = 0;
  private width1 = 0;
  private stx = 0;
  private fx = 0;
  private gx = 0;
  private sty = 0;
  private fy = 0;
  private gy = 0;
  private stmin = 0;
  private stmax = 0;

  constructor(
    private readonly ftol: number,
    private readonly gtol: number,
    private readonly xtol: number,
    private readonly stpmin: number,
    private readonly stpmax: number,
  ) {}

  /** Starts a search at `stp` from a point with value `f` and (negative) slope `g`. */
  start(stp: number, f: number, g: number): SearchTask {
    this.step = stp;
    if (stp < this.stpmin) return this.fail('stp < stpmin');
    if (stp > this.stpmax) return this.fail('stp > stpmax');
    if (!(g < 0)) return this.fail('initial slope >= 0');
    if (this.ftol < 0 || this.gtol < 0 || this.xtol < 0 || this.stpmin < 0)
      return this.fail('negative tolerance');
    if (this.stpmax < this.stpmin) return this.fail('stpmax < stpmin');
    this.brackt = false;
    this.stage = 1;
    this.finit = f;
    this.ginit = g;
    this.gtest = this.ftol * g;
    this.width = this.stpmax - this.stpmin;
    this.width1 = this.width / P5;
    this.stx = 0;
    this.fx = f;
    this.gx = g;
    this.sty = 0;
    this.fy = f;
    this.gy = g;
    this.stmin = 0;
    this.stmax = stp + XTRAPU * stp;
    return 'probe';
  }

  /** Feeds the value `f` and slope `g` at `this.step`; returns what to do next. */
  next(f: number, g: number): SearchTask {
    let stp = this.step;
    const ftest = this.finit + stp * this.gtest;
    if (this.stage === 1 && f <= ftest && g >= 0) this.stage = 2;

    let done: SearchTask | undefined;
    if (this.brackt && (stp <= this.stmin || stp >= this.stmax)) {
      done = this.finish('warning', 'rounding errors prevent progress');
    }
    if (this.brackt && this.stmax - this.stmin <= this.xtol * this.stmax) {
      done = this.finish('warning', 'xtol test satisfied');
    }
    if (stp === this.stpmax && f <= ftest && g <= this.gtest) done = this.finish('warning', 'stp = stpmax');
    if (stp === this.stpmin && (f > ftest || g >= this.gtest)) done = this.finish('warning', 'stp = stpmin');
    if (f <= ftest && Math.abs(g) <= this.gtol * -this.ginit) done = this.finish('converged', 'strong Wolfe');
    if (done !== undefined) return done;

    if (this.stage === 1 && f <= this.fx && f > ftest) {
      // A lower value without sufficient decrease: step on the modified function psi.
      const c = dcstep(
        this.stx,
        this.fx - this.stx * this.gtest,
        this.gx - this.gtest,
        this.sty,
        this.fy - this.sty * this.gtest,
        this.gy - this.gtest,
        stp,
        f - stp * this.gtest,
        g - this.gtest,
        this.brackt,
        this.stmin,
        this.stmax,
      );
      this.stx = c.stx;
      this.sty = c.sty;
      this.fx = c.fx + c.stx * this.gtest;
      this.fy = c.fy + c.sty * this.gtest;
      this.gx = c.dx + this.gtest;
      this.gy = c.dy + this.gtest;
      this.brackt = c.brackt;
      stp = c.stp;
    } else {
      const c = dcstep(
        this.stx,
        this.fx,
        this.gx,
        this.sty,
        this.fy,
        this.gy,
        stp,
        f,
        g,
        this.brackt,
        this.stmin,
        this.stmax,
      );
      this.stx = c.stx;
      this.fx = c.fx;
      this.gx = c.dx;
      this.sty = c.sty;
      this.fy = c.fy;
      this.gy = c.dy;
      this.brackt = c.brackt;
      stp = c.stp;
    }

    if (this.brackt) {
      // Bisect when the interval did not shrink enough over the last two steps.
      if (Math.abs(this.sty - this.stx) >= P66 * this.width1) stp = this.stx + P5 * (this.sty - this.stx);
      this.width1 = this.width;
      this.width = Math.abs(this.sty - this.stx);
      this.stmin = Math.min(this.stx, this.sty);
      this.stmax = Math.max(this.stx, this.sty);
    } else {
      this.stmin = stp + XTRAPL * (stp - this.stx);
      this.stmax = stp + XTRAPU * (stp - this.stx);
    }
    stp = Math.max(stp, this.stpmin);
    stp = Math.min(stp, this.stpmax);
    if (
      (this.brackt && (stp <= this.stmin || stp >= this.stmax)) ||
      (this.brackt && this.stmax - this.stmin <= this.xtol * this.stmax)
    ) {
      stp = this.stx;
    }
    this.step = stp;
    return 'probe';
  }

  private finish(task: SearchTask, message: string): SearchTask {
    this.message = message;
    return task;
  }

  private fail(message: string): SearchTask {
    this.message = message;
    return 'error';
  }
}

interface StepUpdate {
  stx: number;
  fx: number;
  dx: number;
  sty: number;
  fy: number;
  dy: number;
  stp: number;
  brackt: boolean;
}

/** One safeguarded cubic/quadratic/secant step of `dcstep`, updating the bracketing interval. */
function dcstep(
  stx: number,
  fx: number,
  dx: number,
  sty: number,
  fy: number,
  dy: number,
  stp: number,
  fp: number,
  dp: number,
  brackt: boolean,
  stpmin: number,
  stpmax: number,
): StepUpdate {
  const sgnd = dp * (dx / Math.abs(dx));
  let stpf: number;
  let bracketed = brackt;

  if (fp > fx) {
    // Higher value: the minimum is bracketed; take the cubic step if closer to stx, else average.
    const theta = (3 * (fx - fp)) / (stp - stx) + dx + dp;
    const s = Math.max(Math.abs(theta), Math.abs(dx), Math.abs(dp));
    let gamma = s * Math.sqrt((theta / s) * (theta / s) - (dx / s) * (dp / s));
    if (stp < stx) gamma = -gamma;
    const p = gamma - dx + theta;
    const q = gamma - dx + gamma + dp;
    const r = p / q;
    const stpc = stx + r * (stp - stx);
    const stpq = stx + (dx / ((fx - fp) / (stp - stx) + dx) / 2) * (stp - stx);
    stpf = Math.abs(stpc - stx) <= Math.abs(stpq - stx) ? stpc : stpc + (stpq - stpc) / 2;
    bracketed = true;
  } else if (sgnd < 0) {
    // Lower value, slopes of opposite sign: bracketed; cubic if farther from stp than secant.
    const theta = (3 * (fx - fp)) / (stp - stx) + dx + dp;
    const s = Math.max(Math.abs(theta), Math.abs(dx), Math.abs(dp));
    let gamma = s * Math.sqrt((theta / s) * (theta / s) - (dx / s) * (dp / s));
    if (stp > stx) gamma = -gamma;
    const p = gamma - dp + theta;
    const q = gamma - dp + gamma + dx;
    const r = p / q;
    const stpc = stp + r * (stx - stp);
    const stpq = stp + (dp / (dp - dx)) * (stx - stp);
    stpf = Math.abs(stpc - stp) > Math.abs(stpq - stp) ? stpc : stpq;
    bracketed = true;
  } else if (Math.abs(dp) < Math.abs(dx)) {
    // Lower value, same-sign slopes, slope magnitude decreasing.
    const theta = (3 * (fx - fp)) / (stp - stx) + dx + dp;
    const s = Math.max(Math.abs(theta), Math.abs(dx), Math.abs(dp));
    // gamma = 0 only when the cubic does not tend to infinity in the direction of the step.
    let gamma = s * Math.sqrt(Math.max(0, (theta / s) * (theta / s) - (dx / s) * (dp / s)));
    if (stp > stx) gamma = -gamma;
    const p = gamma - dp + theta;
    const q = gamma + (dx - dp) + gamma;
    const r = p / q;
    let stpc: number;
    if (r < 0 && gamma !== 0) stpc = stp + r * (stx - stp);
    else if (stp > stx) stpc = stpmax;
    else stpc = stpmin;
    const stpq = stp + (dp / (dp - dx)) * (stx - stp);
    if (brackt) {
      stpf = Math.abs(stpc - stp) < Math.abs(stpq - stp) ? stpc : stpq;
      if (stp > stx) stpf = Math.min(stp + P66 * (sty - stp), stpf);
      else stpf = Math.max(stp + P66 * (sty - stp), stpf);
    } else {
      stpf = Math.abs(stpc - stp) > Math.abs(stpq - stp) ? stpc : stpq;
      stpf = Math.min(stpmax, stpf);
      stpf = Math.max(stpmin, stpf);
    }
  } else if (brackt) {
    // Lower value, same-sign slopes, slope not decreasing, bracketed: cubic step toward sty.
    const theta = (3 * (fp - fy)) / (sty - stp) + dy + dp;
    const s = Math.max(Math.abs(theta), Math.abs(dy), Math.abs(dp));
    let gamma = s * Math.sqrt((theta / s) * (theta / s) - (dy / s) * (dp / s));
    if (stp > sty) gamma = -gamma;
    const p = gamma - dp + theta;
    const q = gamma - dp + gamma + dy;
    const r = p / q;
    stpf = stp + r * (sty - stp);
  } else {
    stpf = stp > stx ? stpmax : stpmin;
  }

  if (fp > fx) {
    return { stx, fx, dx, sty: stp, fy: fp, dy: dp, stp: stpf, brackt: bracketed };
  }
  if (sgnd < 0) {
    return { stx: stp, fx: fp, dx: dp, sty: stx, fy: fx, dy: dx, stp: stpf, brackt: bracketed };
  }
  return { stx: stp, fx: fp, dx: dp, sty, fy, dy, stp: stpf, brackt: bracketed };
}

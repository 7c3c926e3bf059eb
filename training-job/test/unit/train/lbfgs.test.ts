import { describe, expect, it } from 'vitest';
import { DENSE_CHUNK, MAX_WORKSPACE_BYTES, Workspace } from '../../../src/train/kernels.js';
import {
  CorrectionHistory,
  fullObjective,
  HISTORY_F64_MAX_BYTES,
  historyInsideNeeds,
  lbfgsWorkspaceNeeds,
  minimizeLbfgs,
  planHistory,
  planHistoryInside,
} from '../../../src/train/lbfgs.js';
import { MoreThuenteSearch } from '../../../src/train/line-search.js';

/** Rosenbrock's banana in n dimensions: minimum 0 at (1, …, 1), badly conditioned. */
function rosenbrock(x: Float64Array, g: Float64Array): number {
  let f = 0;
  g.fill(0);
  for (let i = 0; i + 1 < x.length; i++) {
    const a = x[i] as number;
    const b = x[i + 1] as number;
    const t = b - a * a;
    f += 100 * t * t + (1 - a) * (1 - a);
    g[i] = (g[i] as number) - 400 * a * t - 2 * (1 - a);
    g[i + 1] = (g[i + 1] as number) + 200 * t;
  }
  return f;
}

function workspaceFor(n: number): Workspace {
  return new Workspace(Workspace.bytesFor(lbfgsWorkspaceNeeds(n)));
}

/** A separable, ill-conditioned, non-quadratic objective: L-BFGS needs its pairs for many iterations. */
function wideProblem(n: number) {
  const target = Float64Array.from({ length: n }, (_, i) => Math.sin(i));
  const scale = Float64Array.from({ length: n }, (_, i) => 1 + (i % 13) * 5);
  return (x: Float64Array, g: Float64Array): number => {
    let f = 0;
    for (let i = 0; i < n; i++) {
      const v = (x[i] as number) - (target[i] as number);
      const w = v + 0.1 * v * v * v;
      const sw = (scale[i] as number) * w;
      f += 0.5 * sw * w;
      g[i] = sw * (1 + 0.3 * v * v);
    }
    return f;
  };
}

describe('the correction history', () => {
  const n = Math.round(2.5 * DENSE_CHUNK);
  const solve = (history: (ws: Workspace) => CorrectionHistory | undefined, maxIter = 1000) => {
    const ws = workspaceFor(n);
    const h = history(ws);
    return minimizeLbfgs(fullObjective(n, wideProblem(n)), new Float64Array(n), ws, {
      gtol: 1e-4,
      ftol: 0,
      maxIter,
      ...(h ? { history: h } : {}),
    });
  };

  it('gives the same bits split over several workspaces as in one', () => {
    const split = planHistory(n, 10, 'f64', Workspace.bytesFor({ f64: 21 * DENSE_CHUNK, arrays: 21 }));
    expect(split.shards.map((s) => s.length)).toEqual([DENSE_CHUNK, DENSE_CHUNK, n - 2 * DENSE_CHUNK]);
    const one = solve(() => undefined, 20);
    const three = solve((ws) => new CorrectionHistory(ws, split), 20);
    expect(one.iterations).toBe(20);
    expect(three.iterations).toBe(one.iterations);
    expect(Buffer.from(three.x.buffer, three.x.byteOffset, three.x.byteLength)).toEqual(
      Buffer.from(one.x.buffer, one.x.byteOffset, one.x.byteLength),
    );
  }, 120_000);

  it.each(['f64', 'f32'] as const)(
    'gives the same bits with the %s pairs inside the workspace as in one of their own, on 1 and 2 threads',
    (precision) => {
      const run = (inside: boolean, threads: number) => {
        const pairs = historyInsideNeeds(n, 10, precision);
        const lbfgs = lbfgsWorkspaceNeeds(n);
        const ws = new Workspace(
          Workspace.bytesFor({
            f64: lbfgs.f64 + pairs.f64,
            f32: pairs.f32,
            arrays: lbfgs.arrays + pairs.arrays,
          }),
        );
        const plan = inside ? planHistoryInside(n, 10, precision) : planHistory(n, 10, precision);
        const history = new CorrectionHistory(ws, plan);
        ws.useThreads(threads);
        try {
          const r = minimizeLbfgs(fullObjective(n, wideProblem(n)), new Float64Array(n), ws, {
            gtol: 1e-4,
            ftol: 0,
            maxIter: 15,
            history,
          });
          return { iterations: r.iterations, x: Buffer.from(r.x.slice().buffer) };
        } finally {
          ws.close();
        }
      };
      const apart = run(false, 1);
      // Past the memory's 10 pairs, so kept pairs have replaced old ones.
      expect(apart.iterations).toBe(15);
      expect(run(true, 1)).toEqual(apart);
      expect(run(true, 2)).toEqual(apart);
      expect(run(false, 2)).toEqual(apart);
    },
    120_000,
  );

  it('refuses a history planned inside another workspace', () => {
    const other = new Workspace(Workspace.bytesFor(historyInsideNeeds(4, 10, 'f64')));
    const history = new CorrectionHistory(other, planHistoryInside(4, 10, 'f64'));
    expect(() =>
      minimizeLbfgs(fullObjective(4, rosenbrock), new Float64Array(4), workspaceFor(4), { history }),
    ).toThrow(/planned inside a workspace works only in that workspace/);
  });

  it('reaches the same minimum with the pairs kept in f32', () => {
    const exact = solve(() => undefined);
    const single = solve((ws) => new CorrectionHistory(ws, planHistory(n, 10, 'f32')));
    expect(exact.status).toBe('gradient-tolerance');
    expect(single.status).toBe('gradient-tolerance');
    for (let i = 0; i < n; i += 997) expect(single.x[i]).toBeCloseTo(exact.x[i] as number, 5);
  }, 120_000);

  it('keeps f64 pairs up to HISTORY_F64_MAX_BYTES and f32 above', () => {
    const below = Math.floor(HISTORY_F64_MAX_BYTES / (2 * 10 * 8));
    expect(planHistory(below).precision).toBe('f64');
    expect(planHistory(below + 1).precision).toBe('f32');
  });

  it('splits a history beyond 4 GiB into workspaces of at most 4 GiB at chunk boundaries', () => {
    // 80 M parameters: 6.4 GB of f32 pairs.
    const plan = planHistory(80_000_000);
    expect(plan.precision).toBe('f32');
    expect(plan.shards).toHaveLength(2);
    let start = 0;
    for (const shard of plan.shards) {
      expect(shard.start).toBe(start);
      expect(shard.start % DENSE_CHUNK).toBe(0);
      expect(shard.bytes).toBeLessThanOrEqual(MAX_WORKSPACE_BYTES);
      start += shard.length;
    }
    expect(start).toBe(80_000_000);
  });
});

describe('minimizeLbfgs', () => {
  it('finds the Rosenbrock minimum from the classic start (-1.2, 1, -1.2, 1)', () => {
    const x0 = Float64Array.from([-1.2, 1, -1.2, 1]);
    const seen: number[] = [];
    const r = minimizeLbfgs(fullObjective(4, rosenbrock), x0, workspaceFor(4), {
      gtol: 1e-8,
      onIteration: (i) => seen.push(i.loss),
    });
    expect(r.converged).toBe(true);
    r.x.forEach((v) => {
      expect(v).toBeCloseTo(1, 5);
    });
    expect(r.value).toBeLessThan(1e-10);
    expect(seen).toHaveLength(r.iterations);
    expect(Array.from(x0)).toEqual([-1.2, 1, -1.2, 1]);
  });

  it('solves a diagonal quadratic with the gradient test when asked for 1e-10', () => {
    const scales = [1, 10, 100, 1000];
    const quadratic = (x: Float64Array, g: Float64Array): number => {
      let f = 0;
      scales.forEach((s, i) => {
        const v = (x[i] as number) - i;
        f += 0.5 * s * v * v;
        g[i] = s * v;
      });
      return f;
    };
    const r = minimizeLbfgs(fullObjective(4, quadratic), new Float64Array(4), workspaceFor(4), {
      gtol: 1e-10,
      ftol: 0,
    });
    expect(r.status).toBe('gradient-tolerance');
    expect(r.gradNorm).toBeLessThanOrEqual(1e-10);
    r.x.forEach((v, i) => {
      expect(v).toBeCloseTo(i, 10);
    });
  });

  it('stops at the iteration limit and reports it', () => {
    const x0 = Float64Array.from([-1.2, 1, -1.2, 1]);
    const r = minimizeLbfgs(fullObjective(4, rosenbrock), x0, workspaceFor(4), { maxIter: 2 });
    expect(r).toMatchObject({ iterations: 2, status: 'max-iterations', converged: false });
  });

  it('gives up cleanly when the objective is not finite along -g', () => {
    const cliff = (x: Float64Array, g: Float64Array): number => {
      g[0] = -1;
      return (x[0] as number) > 0 ? Number.NaN : -(x[0] as number);
    };
    const r = minimizeLbfgs(fullObjective(1, cliff), new Float64Array(1), workspaceFor(1));
    expect(r).toMatchObject({ status: 'line-search-failed', converged: false, iterations: 0 });
    expect(r.x[0]).toBe(0);
  });
});

describe('MoreThuenteSearch', () => {
  it('returns a step meeting the strong Wolfe conditions on a quartic', () => {
    // phi(t) = (t - 3)^4 - 2t: phi'(0) = -110.
    const phi = (t: number) => (t - 3) ** 4 - 2 * t;
    const dphi = (t: number) => 4 * (t - 3) ** 3 - 2;
    const search = new MoreThuenteSearch(1e-3, 0.9, 0.1, 0, 1e10);
    let task = search.start(1, phi(0), dphi(0));
    let probes = 0;
    while (task === 'probe') {
      probes++;
      task = search.next(phi(search.step), dphi(search.step));
    }
    const t = search.step;
    expect(task).toBe('converged');
    expect(phi(t)).toBeLessThanOrEqual(phi(0) + 1e-3 * t * dphi(0));
    expect(Math.abs(dphi(t))).toBeLessThanOrEqual(0.9 * Math.abs(dphi(0)));
    expect(probes).toBeLessThan(10);
  });

  it('refuses to start uphill', () => {
    const search = new MoreThuenteSearch(1e-3, 0.9, 0.1, 0, 1e10);
    expect(search.start(1, 0, 0.5)).toBe('error');
  });
});

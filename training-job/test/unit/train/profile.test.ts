import { describe, expect, it } from 'vitest';
import { fitLogisticRegression } from '../../../src/train/logreg.js';
import { recordSections, SectionProfile } from '../../../src/train/profile.js';
import { randomSparseProblem } from '../../helpers/sparse-problems.js';

describe('the fit profile (training-job/bench/train-profile.ts)', () => {
  // 1,800 features × 40 classes span two dense chunks and 2,000 rows two row blocks: operations split.
  const problem = randomSparseProblem({ rows: 2000, cols: 1800, nnzPerRow: 12, classes: 40, seed: 5 });
  const fit = () =>
    fitLogisticRegression(problem.x, problem.y, 40, { C: 10, maxIter: 5, threads: 2, parallelMinWork: 0 });

  it('times each section and tells split operations from whole ones, only while a recorder is installed', () => {
    const profile = new SectionProfile();
    recordSections(profile);
    let model: ReturnType<typeof fit>;
    try {
      model = fit();
    } finally {
      recordSections(undefined);
    }
    const totals = profile.totals();
    expect(totals.get('lbfgs')?.calls).toBe(1);
    expect(totals.get('two-loop recursion')?.calls).toBe(model.iterations);
    // The recursion's fused axpy-dot runs over the 72,040 parameters in two chunks.
    expect(totals.get('two-loop recursion > split axpyDot')?.calls).toBeGreaterThan(0);
    expect(totals.get('step and gradient > split gradient')?.calls).toBe(model.iterations);
    for (const [name, t] of totals) {
      expect(t.wallMs, name).toBeGreaterThanOrEqual(0);
      expect(t.calls, name).toBeGreaterThan(0);
    }
    expect([...totals.keys()].some((name) => name.includes(' > whole '))).toBe(false);

    // A fit of 3,000 parameters has one chunk per operation: nothing for a second thread.
    const small = randomSparseProblem({ rows: 300, cols: 1000, nnzPerRow: 8, classes: 3, seed: 2 });
    recordSections(profile);
    try {
      fitLogisticRegression(small.x, small.y, 3, { maxIter: 3, threads: 2, parallelMinWork: 0 });
    } finally {
      recordSections(undefined);
    }
    expect(totals.get('two-loop recursion > whole axpyDot')?.calls).toBeGreaterThan(0);

    const recorded = totals.size;
    fit();
    expect(profile.totals().size).toBe(recorded);
    expect(profile.totals().get('lbfgs')?.calls).toBe(2);
  }, 120_000);
});

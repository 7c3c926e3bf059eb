import { describe, expect, it } from 'vitest';
import { DENSE_CHUNK, rowBlocks } from '../../../src/train/kernels.js';
import { fitLogisticRegression, type SoftmaxModel } from '../../../src/train/logreg.js';
import { trainingWorkersAlive } from '../../../src/train/team.js';
import { randomSparseProblem } from '../../helpers/sparse-problems.js';

const bytes = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

function expectSameBits(a: SoftmaxModel, b: SoftmaxModel) {
  expect(b.iterations).toBe(a.iterations);
  expect(Object.is(b.loss, a.loss)).toBe(true);
  expect(bytes(b.weights).equals(bytes(a.weights))).toBe(true);
  expect(bytes(b.bias).equals(bytes(a.bias))).toBe(true);
}

/** Waits (without a deadline of its own: the test's timeout is the limit) until no worker is left. */
async function workersGone(): Promise<void> {
  while (trainingWorkersAlive() > 0) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('fitting on several threads', () => {
  // 1,800 features × 40 classes: the dense vectors span two chunks, the rows two blocks, so every
  // operation really is split and reduced.
  const many = randomSparseProblem({ rows: 2000, cols: 1800, nnzPerRow: 12, classes: 40, seed: 5 });
  const binary = randomSparseProblem({ rows: 3000, cols: 70000, nnzPerRow: 20, classes: 2, seed: 8 });

  it('splits the work for real on these problems', () => {
    expect(1800 * 40 + 40).toBeGreaterThan(DENSE_CHUNK);
    expect(70001).toBeGreaterThan(DENSE_CHUNK);
    expect(rowBlocks(2000)).toBeGreaterThan(1);
  });

  it.each([
    ['40 classes', many, 40],
    ['2 classes', binary, 2],
  ] as const)(
    'gives the same bits with 1, 2 and 3 threads (%s)',
    async (_, problem, classes) => {
      const fit = (threads: number) =>
        fitLogisticRegression(problem.x, problem.y, classes, {
          C: 10,
          maxIter: 60,
          threads,
          parallelMinWork: 0,
        });
      const one = fit(1);
      expectSameBits(one, fit(2));
      expectSameBits(one, fit(3));
      await workersGone();
    },
    120_000,
  );

  it('gives the same bits with 1, 2 and 3 threads with the correction pairs in f32', async () => {
    const fit = (threads: number) =>
      fitLogisticRegression(many.x, many.y, 40, {
        C: 10,
        maxIter: 60,
        threads,
        parallelMinWork: 0,
        historyPrecision: 'f32',
      });
    const one = fit(1);
    expectSameBits(one, fit(2));
    expectSameBits(one, fit(3));
    await workersGone();
  }, 120_000);

  it('stops its workers when the fit fails half-way', async () => {
    let calls = 0;
    let alive = 0;
    expect(() =>
      fitLogisticRegression(many.x, many.y, 40, {
        threads: 3,
        parallelMinWork: 0,
        onIteration: () => {
          calls++;
          alive = trainingWorkersAlive();
          if (calls === 3) throw new Error('stop here');
        },
      }),
    ).toThrow('stop here');
    expect(calls).toBe(3);
    expect(alive).toBe(2);
    await workersGone();
  }, 120_000);

  it('refuses a thread count that is not a whole number >= 1', () => {
    expect(() => fitLogisticRegression(many.x, many.y, 40, { threads: 0 })).toThrow(
      /threads must be a whole number/,
    );
    expect(() => fitLogisticRegression(many.x, many.y, 40, { threads: 1.5 })).toThrow(
      /threads must be a whole number/,
    );
  });
});

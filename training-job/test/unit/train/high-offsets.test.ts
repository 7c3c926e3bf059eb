import { describe, expect, it } from 'vitest';
import { Workspace } from '../../../src/train/kernels.js';
import {
  BinomialObjective,
  MultinomialObjective,
  matrixShape,
  objectiveWorkspaceNeeds,
} from '../../../src/train/logreg-objective.js';
import { randomSparseProblem } from '../../helpers/sparse-problems.js';

// A 100k-text fit holds more than 2 GiB in one workspace, so its arrays sit at byte offsets of 2^31 and
// above, where a signed shift (offset >> 3) turns into a negative index. Here the same small problem
// runs once at the bottom of a workspace and once above 2 GiB (the space below is reserved, never
// touched, so this costs no memory) and must give the same bits.
const HIGH = 2 ** 31 + 4096;

function evaluate(classes: number, offset: number): { loss: number; gradient: number[] } {
  const { x, y } = randomSparseProblem({ rows: 300, cols: 80, nnzPerRow: 6, classes, seed: 5 });
  const size = classes === 2 ? x.cols + 1 : classes * (x.cols + 1);
  const needs = objectiveWorkspaceNeeds(matrixShape(x), classes === 2 ? 1 : classes);
  const ws = new Workspace(
    offset + Workspace.bytesFor({ ...needs, f64: needs.f64 + 4 * size, arrays: needs.arrays + 8 }),
  );
  try {
    if (offset > 0) ws.f64(offset / 8);
    const objective =
      classes === 2 ? new BinomialObjective(x, y, 1, ws) : new MultinomialObjective(x, y, classes, 1, ws);
    const params = ws.f64(size);
    for (let i = 0; i < size; i++) params[i] = Math.sin(i + 1) / 4;
    const gradient = ws.f64(size);
    const loss = objective.valueAndGradient(params, gradient);
    return { loss, gradient: Array.from(gradient) };
  } finally {
    ws.close();
  }
}

describe('arrays above 2 GiB in a workspace', () => {
  it.each([2, 7])('%i classes: loss and gradient equal those computed low in the memory', (classes) => {
    const low = evaluate(classes, 0);
    expect(Number.isFinite(low.loss)).toBe(true);
    const high = evaluate(classes, HIGH);
    expect(high.loss).toBe(low.loss);
    expect(high.gradient).toEqual(low.gradient);
  });
});

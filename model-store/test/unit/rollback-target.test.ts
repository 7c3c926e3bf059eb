import { type AliasMove, rollbackTarget } from '@slipway/model-store';
import { describe, expect, it } from 'vitest';

const move = (action: AliasMove['action'], version: number, previous: number | null): AliasMove => ({
  action,
  version,
  previous,
  updatedAt: '',
  updatedBy: '',
  reason: '',
});

describe('rollback target', () => {
  it('is the version set before the current one', () => {
    expect(rollbackTarget([move('set', 1, null), move('set', 2, 1), move('set', 3, 2)])).toBe(2);
  });

  it('walks further back after a rollback', () => {
    const history = [move('set', 1, null), move('set', 2, 1), move('set', 3, 2), move('rollback', 2, 3)];
    expect(rollbackTarget(history)).toBe(1);
    expect(rollbackTarget([...history, move('rollback', 1, 2)])).toBeUndefined();
  });

  it('resumes from a new set after rollbacks', () => {
    const history = [move('set', 1, null), move('set', 2, 1), move('rollback', 1, 2), move('set', 4, 1)];
    expect(rollbackTarget(history)).toBe(1);
  });

  it('passes over rejected versions', () => {
    const history = [move('set', 1, null), move('set', 2, 1), move('set', 3, 2)];
    expect(rollbackTarget(history, new Set([2]))).toBe(1);
    expect(rollbackTarget(history, new Set([1, 2]))).toBeUndefined();
  });

  it('has nothing to go back to after the first set, or with no history', () => {
    expect(rollbackTarget([move('set', 1, null)])).toBeUndefined();
    expect(rollbackTarget([])).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { judge } from '../../src/index.js';

const thresholds = { minAccuracy: 0.6, maxRegression: 0.01, minClassF1: 0.5 };
const candidate = { accuracy: 0.842, macroF1: 0.841, perClassF1: { positive: 0.85, negative: 0.832 } };

describe('judge', () => {
  it('passes on thresholds alone when there is no production model (gate-passes-first-model)', () => {
    const verdict = judge(thresholds, candidate, null);
    expect(verdict.passed).toBe(true);
    expect(verdict.reasons).toEqual([
      {
        check: 'accuracy',
        passed: true,
        actual: 0.842,
        required: 0.6,
        message: 'candidate accuracy 0.842 ≥ 0.600',
      },
      {
        check: 'classF1',
        passed: true,
        actual: 0.832,
        required: 0.5,
        message: 'lowest class F1 0.832 (negative) ≥ 0.500',
      },
    ]);
    expect(verdict.summary).toBe(
      'candidate accuracy 0.842 ≥ 0.600; lowest class F1 0.832 (negative) ≥ 0.500; no production model to compare with: passed',
    );
  });

  it('compares accuracy and macro-F1 with production within maxRegression', () => {
    const verdict = judge(thresholds, candidate, { version: 3, accuracy: 0.85, macroF1: 0.838 });
    expect(verdict.passed).toBe(true);
    expect(verdict.reasons.slice(2)).toEqual([
      {
        check: 'accuracyRegression',
        passed: true,
        actual: 0.842,
        required: 0.85 - 0.01,
        message: 'accuracy 0.842 vs production v3 0.850 (−0.008, allowed −0.010)',
      },
      {
        check: 'macroF1Regression',
        passed: true,
        actual: 0.841,
        required: 0.838 - 0.01,
        message: 'macro-F1 0.841 vs production v3 0.838 (+0.003, allowed −0.010)',
      },
    ]);
    expect(verdict.summary.endsWith(': passed')).toBe(true);
  });

  it('fails a regression beyond the allowance and names the failed check (gate-fails)', () => {
    const verdict = judge(thresholds, candidate, { version: 2, accuracy: 0.9, macroF1: 0.84 });
    expect(verdict.passed).toBe(false);
    expect(verdict.reasons.map((r) => [r.check, r.passed])).toEqual([
      ['accuracy', true],
      ['classF1', true],
      ['accuracyRegression', false],
      ['macroF1Regression', true],
    ]);
    expect(verdict.summary).toBe(
      'candidate accuracy 0.842 ≥ 0.600; lowest class F1 0.832 (negative) ≥ 0.500; ' +
        'accuracy 0.842 vs production v2 0.900 (−0.058, allowed −0.010); ' +
        'macro-F1 0.841 vs production v2 0.840 (+0.001, allowed −0.010): failed (accuracyRegression)',
    );
  });

  it('fails low accuracy and lists every class under minClassF1', () => {
    const verdict = judge(
      { minAccuracy: 0.9, maxRegression: 0, minClassF1: 0.84 },
      { accuracy: 0.5, macroF1: 0.4, perClassF1: { b: 0.3, a: 0.2, c: 0.9 } },
      null,
    );
    expect(verdict.passed).toBe(false);
    expect(verdict.reasons.map((r) => r.message)).toEqual([
      'candidate accuracy 0.500 < 0.900',
      'class F1 below 0.840: a 0.200, b 0.300',
    ]);
    expect(verdict.summary.endsWith(': failed (accuracy, classF1)')).toBe(true);
  });

  it('treats a figure equal to its threshold as passing despite float rounding', () => {
    // 0.85 - 0.01 is 0.84 only up to float rounding; a candidate at exactly 0.84 must pass.
    const verdict = judge(
      { minAccuracy: 0.84, maxRegression: 0.01, minClassF1: 0.84 },
      {
        accuracy: 0.84,
        macroF1: 0.84,
        perClassF1: { a: 0.84 },
      },
      { version: 1, accuracy: 0.85, macroF1: 0.85 },
    );
    expect(verdict.reasons.map((r) => r.passed)).toEqual([true, true, true, true]);
  });

  it('holds the candidate to the majority-class baseline: the same bar at 2 classes as at 43', () => {
    const gain = { minAccuracy: 0, minBaselineGain: 0.2, maxRegression: 0.01, minClassF1: 0 };
    // Two balanced classes: baseline 0.5, so the bar is 0.6, the old fixed default.
    const two = judge(gain, candidate, null, { label: 'negative', accuracy: 0.5 });
    expect(two.reasons[1]).toEqual({
      check: 'baselineGain',
      passed: true,
      actual: 0.842,
      required: 0.6,
      message: 'accuracy 0.842 ≥ 0.600 (majority-class baseline "negative" 0.500, plus 20% of the way to 1)',
    });
    // 43 skewed classes: the largest holds 22.6%, so 0.486 passes (it would fail a fixed 0.6).
    const many = { accuracy: 0.486, macroF1: 0.3, perClassF1: { a: 0.4 } };
    const verdict = judge(gain, many, null, { label: 'a', accuracy: 0.226 });
    expect(verdict.reasons[1]).toMatchObject({ check: 'baselineGain', passed: true });
    expect(verdict.reasons[1]?.required).toBeCloseTo(0.226 + 0.2 * 0.774, 12);
    expect(verdict.passed).toBe(true);
    // A model no better than always answering the largest class fails.
    const lazy = judge(gain, { ...many, accuracy: 0.3 }, null, { label: 'a', accuracy: 0.226 });
    expect(lazy.passed).toBe(false);
    expect(lazy.summary).toMatch(/: failed \(baselineGain\)$/);
    // Inputs from before the check existed carry no minBaselineGain: the check is skipped.
    expect(
      judge(thresholds, candidate, null, { label: 'a', accuracy: 0.9 }).reasons.map((r) => r.check),
    ).toEqual(['accuracy', 'classF1']);
  });
});

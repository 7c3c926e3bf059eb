/** The gate's thresholds, as the execution input gives them. */
export interface Thresholds {
  /** The candidate's accuracy on the test split must reach this. */
  readonly minAccuracy: number;
  /**
   * The share of the majority-class baseline's errors the candidate must avoid: accuracy must reach
   * `baseline + minBaselineGain × (1 − baseline)`. The same bar means as much at 2 classes as at 200.
   * Absent in inputs from before it existed: the check is skipped.
   */
  readonly minBaselineGain?: number;
  /** Largest drop in accuracy and in macro-F1 allowed against production (absolute). */
  readonly maxRegression: number;
  /** Every class's F1 must reach this. */
  readonly minClassF1: number;
}

/** One check of the gate, with its numbers, whether it passed or not. */
export interface VerdictCheck {
  readonly check: 'accuracy' | 'baselineGain' | 'classF1' | 'accuracyRegression' | 'macroF1Regression';
  readonly passed: boolean;
  /** The candidate's figure (for classF1: its lowest class F1). */
  readonly actual: number;
  /** The least value that passes. */
  readonly required: number;
  /** The check in words, e.g. `candidate accuracy 0.842 ≥ 0.600`. */
  readonly message: string;
}

/** The gate's decision. */
export interface Verdict {
  readonly passed: boolean;
  readonly reasons: readonly VerdictCheck[];
  /** One sentence for people: every check's numbers and the outcome. */
  readonly summary: string;
}

/** The figures the gate looks at. */
export interface GateScores {
  readonly accuracy: number;
  readonly macroF1: number;
  readonly perClassF1: Readonly<Record<string, number>>;
}

/** Always answering the most frequent training label: the accuracy any model must beat to be worth anything. */
export interface Baseline {
  readonly label: string;
  /** Its accuracy on the test split. */
  readonly accuracy: number;
}

/** Production's figures on the same split, and which version it is. */
export interface ProductionScores {
  readonly version: number;
  readonly accuracy: number;
  readonly macroF1: number;
}

// Metrics are ratios of counts; a threshold equal to a figure must pass despite float rounding.
const EPSILON = 1e-9;

const fixed = (x: number) => x.toFixed(3);
const signed = (x: number) => `${x < 0 ? '−' : '+'}${Math.abs(x).toFixed(3)}`;

/**
 * Judges a candidate: accuracy ≥ minAccuracy, accuracy a share minBaselineGain of the way from the
 * majority-class baseline to 1, every class F1 ≥ minClassF1, and, when production exists, accuracy and
 * macro-F1 each at most maxRegression below production's.
 * @example judge({ minAccuracy: 0.6, maxRegression: 0.01, minClassF1: 0 }, scores, null).passed
 */
export function judge(
  thresholds: Thresholds,
  candidate: GateScores,
  production: ProductionScores | null,
  baseline: Baseline | null = null,
): Verdict {
  const reasons: VerdictCheck[] = [];
  const accuracyPassed = candidate.accuracy >= thresholds.minAccuracy - EPSILON;
  reasons.push({
    check: 'accuracy',
    passed: accuracyPassed,
    actual: candidate.accuracy,
    required: thresholds.minAccuracy,
    message: `candidate accuracy ${fixed(candidate.accuracy)} ${accuracyPassed ? '≥' : '<'} ${fixed(thresholds.minAccuracy)}`,
  });

  if (baseline !== null && thresholds.minBaselineGain !== undefined) {
    const gain = thresholds.minBaselineGain;
    const required = baseline.accuracy + gain * (1 - baseline.accuracy);
    const passed = candidate.accuracy >= required - EPSILON;
    reasons.push({
      check: 'baselineGain',
      passed,
      actual: candidate.accuracy,
      required,
      message: `accuracy ${fixed(candidate.accuracy)} ${passed ? '≥' : '<'} ${fixed(required)} (majority-class baseline "${baseline.label}" ${fixed(baseline.accuracy)}, plus ${Math.round(gain * 100)}% of the way to 1)`,
    });
  }

  const classes = Object.entries(candidate.perClassF1).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const below = classes.filter(([, f1]) => f1 < thresholds.minClassF1 - EPSILON);
  const lowest = classes.reduce<[string, number] | undefined>(
    (low, entry) => (low === undefined || entry[1] < low[1] ? entry : low),
    undefined,
  );
  reasons.push({
    check: 'classF1',
    passed: below.length === 0 && lowest !== undefined,
    actual: lowest?.[1] ?? 0,
    required: thresholds.minClassF1,
    message:
      lowest === undefined
        ? 'no per-class F1 to check'
        : below.length === 0
          ? `lowest class F1 ${fixed(lowest[1])} (${lowest[0]}) ≥ ${fixed(thresholds.minClassF1)}`
          : `class F1 below ${fixed(thresholds.minClassF1)}: ${below.map(([c, f1]) => `${c} ${fixed(f1)}`).join(', ')}`,
  });

  if (production !== null) {
    for (const [check, label, ours, theirs] of [
      ['accuracyRegression', 'accuracy', candidate.accuracy, production.accuracy],
      ['macroF1Regression', 'macro-F1', candidate.macroF1, production.macroF1],
    ] as const) {
      const required = theirs - thresholds.maxRegression;
      const passed = ours >= required - EPSILON;
      reasons.push({
        check,
        passed,
        actual: ours,
        required,
        message:
          `${label} ${fixed(ours)} vs production v${production.version} ${fixed(theirs)} ` +
          `(${signed(ours - theirs)}, allowed −${fixed(thresholds.maxRegression)})`,
      });
    }
  }

  const passed = reasons.every((r) => r.passed);
  const failed = reasons.filter((r) => !r.passed).map((r) => r.check);
  const summary =
    reasons.map((r) => r.message).join('; ') +
    (production === null ? '; no production model to compare with' : '') +
    (passed ? ': passed' : `: failed (${failed.join(', ')})`);
  return { passed, reasons, summary };
}

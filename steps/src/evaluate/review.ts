import type { Metrics } from '@slipway/contracts';
import type { EvaluationReport } from './report.js';

/** One class's figures for the candidate and, when there is one, production. */
export interface ClassChange {
  readonly class: string;
  /** Test rows of the class. */
  readonly support: number;
  readonly candidate: { readonly precision: number; readonly recall: number; readonly f1: number };
  /** Null when there is no production model or it does not know the class. */
  readonly production: { readonly precision: number; readonly recall: number; readonly f1: number } | null;
  /** candidate F1 − production F1; null without production figures for the class. */
  readonly deltaF1: number | null;
}

/** Test rows of one class the candidate put in another. */
export interface Confusion {
  readonly actual: string;
  readonly predicted: string;
  readonly count: number;
  /** Test rows of the actual class. */
  readonly support: number;
  /** Share of the actual class's test rows: count / support. */
  readonly rate: number;
  /** Production's count for the same pair on the same rows; null without production. */
  readonly productionCount: number | null;
}

/** What a reviewer reads first, for 2 classes or 200. */
export interface ReportReview {
  /** Every class, those that changed most first (without production: the weakest first). */
  readonly classes: readonly ClassChange[];
  /** The largest off-diagonal cells of the candidate's confusion matrix, largest first. */
  readonly confusions: readonly Confusion[];
  readonly improved: number;
  readonly worsened: number;
}

/** A value of a record keyed by class name, read without reaching into Object.prototype. */
function own<T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}

// F1 moves smaller than this are rounding, not change.
const SAME = 1e-9;

/**
 * Orders classes for review: by how much F1 moved against production (largest first), ties and classes
 * production lacks by the candidate's F1 (lowest first); without production, the lowest F1 first.
 * @example classChanges(report)[0] // the class whose F1 moved most
 */
export function classChanges(report: Pick<EvaluationReport, 'candidate' | 'production'>): ClassChange[] {
  const c = report.candidate.metrics;
  const p = report.production?.metrics;
  const names = [...new Set([...c.classes, ...Object.keys(c.perClass)])];
  const rows = names.map((name): ClassChange => {
    const ours = own(c.perClass, name);
    const theirs = own(p?.perClass, name);
    const candidate = { precision: ours?.precision ?? 0, recall: ours?.recall ?? 0, f1: ours?.f1 ?? 0 };
    const production = theirs ? { precision: theirs.precision, recall: theirs.recall, f1: theirs.f1 } : null;
    return {
      class: name,
      support: ours?.support ?? theirs?.support ?? 0,
      candidate,
      production,
      deltaF1: production ? candidate.f1 - production.f1 : null,
    };
  });
  return rows.sort(
    (a, b) =>
      Math.abs(b.deltaF1 ?? 0) - Math.abs(a.deltaF1 ?? 0) ||
      a.candidate.f1 - b.candidate.f1 ||
      a.class.localeCompare(b.class),
  );
}

/**
 * The largest confusions of a model: (actual, predicted, count, share of the actual class), largest
 * first, with the other model's count for the same pair when it is given.
 * @example topConfusions(report.candidate.metrics, 10, report.production?.metrics)
 */
export function topConfusions(
  metrics: Pick<Metrics, 'classes' | 'confusion'>,
  limit = 10,
  production?: Pick<Metrics, 'classes' | 'confusion'>,
): Confusion[] {
  const productionIndex = new Map(production?.classes.map((name, i) => [name, i]));
  const found: Confusion[] = [];
  metrics.classes.forEach((actual, i) => {
    const row = metrics.confusion[i] ?? [];
    const support = row.reduce((sum, n) => sum + n, 0);
    row.forEach((count, j) => {
      const predicted = metrics.classes[j];
      if (i === j || count === 0 || predicted === undefined) return;
      const pi = productionIndex.get(actual);
      const pj = productionIndex.get(predicted);
      found.push({
        actual,
        predicted,
        count,
        support,
        rate: support === 0 ? 0 : count / support,
        productionCount:
          production === undefined
            ? null
            : pi === undefined || pj === undefined
              ? 0
              : (production.confusion[pi]?.[pj] ?? 0),
      });
    });
  });
  return found
    .sort(
      (a, b) =>
        b.count - a.count ||
        b.rate - a.rate ||
        a.actual.localeCompare(b.actual) ||
        a.predicted.localeCompare(b.predicted),
    )
    .slice(0, limit);
}

/**
 * The review of an evaluation report: classes ordered by change, top confusions, and how many classes
 * got better or worse. The terminal prompt, the console's report page and the pull request comment
 * all read this.
 * @example const { classes, confusions } = reviewReport(report);
 */
export function reviewReport(
  report: Pick<EvaluationReport, 'candidate' | 'production'>,
  confusionLimit = 10,
): ReportReview {
  const classes = classChanges(report);
  return {
    classes,
    confusions: topConfusions(report.candidate.metrics, confusionLimit, report.production?.metrics),
    improved: classes.filter((c) => (c.deltaF1 ?? 0) > SAME).length,
    worsened: classes.filter((c) => (c.deltaF1 ?? 0) < -SAME).length,
  };
}

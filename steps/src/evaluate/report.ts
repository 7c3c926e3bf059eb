import type { Metrics } from '@slipway/contracts';
import { ownRecord } from '@slipway/contracts';
import type { ModelStore } from '@slipway/model-store';
import { z } from 'zod';
import { EvaluationError } from '../errors.js';
import { sampleField } from '../event.js';
import type { LatencyReport, TestRow } from './measure.js';
import type { Baseline, Thresholds, Verdict } from './verdict.js';

/** Key of the full report in an execution's area of the store. */
export const EVALUATION_FILE = 'evaluation.json';
/** Schema tag of the full report. */
export const EVALUATION_SCHEMA = 'slipway.evaluation/v1';

/** A labelled text: sent to the served model by the smoke test, which expects the same label. */
export interface Sample {
  readonly text: string;
  readonly label: string;
}

/** One model's figures in the full report. */
export interface ModelEvaluation {
  readonly classes: readonly string[];
  readonly hyperparameters: Readonly<Record<string, string | number | boolean>>;
  readonly trainerVersion: string | null;
  /** The commit the model was trained from, as its lineage says (absent in older reports). */
  readonly gitCommit?: string | null;
  /** The image that trained it, by digest, as its lineage says; null when not trained in an image (absent in older reports). */
  readonly trainingImage?: string | null;
  readonly metrics: Metrics;
  readonly latency: LatencyReport;
}

/** The full evaluation report, stored as `executions/<id>/evaluation.json` and as a file of the registered version. */
export interface EvaluationReport {
  readonly schema: typeof EVALUATION_SCHEMA;
  readonly model: string;
  readonly executionId: string;
  readonly createdAt: string;
  readonly durationMs: number;
  readonly dataset: { readonly name: string; readonly sha256: string; readonly testRows: number };
  readonly thresholds: Thresholds;
  /** Always answering the most frequent training label, scored on the same split (absent in older reports). */
  readonly baseline?: Baseline | null;
  readonly candidate: ModelEvaluation & { readonly artifact: string };
  /** The model `production` pointed at when the evaluation ran; null when there was none. */
  readonly production: (ModelEvaluation & { readonly version: number }) | null;
  readonly verdict: Verdict;
  readonly samples: readonly Sample[];
}

/**
 * What the Evaluate step returns into the execution's state: the verdict and headline figures only
 * (state data is limited to 256 KB); the full report is at `reportKey`.
 */
export interface CompactEvaluation {
  /** Store key of the full report, e.g. `executions/<id>/evaluation.json`. */
  readonly reportKey: string;
  readonly verdict: Verdict;
  readonly candidate: {
    readonly accuracy: number;
    readonly macroF1: number;
    readonly perClassF1: Readonly<Record<string, number>>;
  };
  readonly production: {
    readonly version: number;
    readonly accuracy: number;
    readonly macroF1: number;
  } | null;
  readonly samples: readonly Sample[];
}

/** The compact evaluation the Evaluate step returned, as later states pass it on. */
export const compactEvaluationSchema = z.object({
  reportKey: z.string(),
  verdict: z.object({ passed: z.boolean(), reasons: z.array(z.unknown()), summary: z.string() }),
  candidate: z.object({
    accuracy: z.number(),
    macroF1: z.number(),
    perClassF1: ownRecord(z.number()),
  }),
  production: z.object({ version: z.number(), accuracy: z.number(), macroF1: z.number() }).nullable(),
  samples: z.array(sampleField),
});

/** Shrinks a full report to what the state machine carries. */
export function compactReport(report: EvaluationReport, reportKey: string): CompactEvaluation {
  const m = report.candidate.metrics;
  return {
    reportKey,
    verdict: report.verdict,
    candidate: {
      accuracy: m.accuracy,
      macroF1: m.macroF1,
      perClassF1: Object.fromEntries(Object.entries(m.perClass).map(([c, v]) => [c, v.f1])),
    },
    production:
      report.production === null
        ? null
        : {
            version: report.production.version,
            accuracy: report.production.metrics.accuracy,
            macroF1: report.production.metrics.macroF1,
          },
    samples: report.samples,
  };
}

/**
 * Reads an execution's full evaluation report; undefined when the execution has none (yet).
 * @example const report = await readEvaluationReport(store, executionId);
 */
export async function readEvaluationReport(
  store: ModelStore,
  executionId: string,
): Promise<EvaluationReport | undefined> {
  const found = await store.executions(executionId).get(EVALUATION_FILE);
  return found === undefined ? undefined : parseEvaluationReport(found.body, executionId);
}

/** Parses the bytes of an evaluation.json, refusing anything that is not a report. */
export function parseEvaluationReport(body: Uint8Array, executionId: string): EvaluationReport {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(body));
  } catch (cause) {
    throw new EvaluationError(
      `the evaluation report of execution ${executionId} is not valid JSON; re-run the execution's Evaluate step`,
      { cause },
    );
  }
  const report = value as Partial<EvaluationReport> | null;
  if (
    typeof report !== 'object' ||
    report === null ||
    report.schema !== EVALUATION_SCHEMA ||
    typeof report.candidate !== 'object' ||
    typeof report.verdict !== 'object'
  ) {
    throw new EvaluationError(
      `the evaluation report of execution ${executionId} is not a ${EVALUATION_SCHEMA} report; re-run the execution's Evaluate step`,
    );
  }
  return report as EvaluationReport;
}

/** Parses a split's JSONL (`{"text","label"}` per line), naming the line of the first bad row. */
export function parseRows(body: Uint8Array, where: string): TestRow[] {
  const rows: TestRow[] = [];
  const lines = new TextDecoder().decode(body).split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      row = undefined;
    }
    const r = row as Partial<TestRow> | undefined;
    if (typeof r?.text !== 'string' || typeof r.label !== 'string') {
      throw new EvaluationError(
        `${where} line ${i + 1} is not a {"text": string, "label": string} row; store the dataset again with \`slipway\` or fix the file`,
      );
    }
    rows.push({ text: r.text, label: r.label });
  });
  return rows;
}

const MAX_SAMPLES = 8;
const MAX_SAMPLE_CHARS = 300;

/**
 * Up to 8 short test texts (1-300 characters) with the candidate's labels, taken in split order and
 * alternating between predicted classes so every class the candidate predicts is checked.
 */
export function pickSamples(rows: readonly TestRow[], labels: readonly string[]): Sample[] {
  const byLabel = new Map<string, Sample[]>();
  rows.forEach((row, i) => {
    const label = labels[i];
    if (label === undefined || row.text.trim() === '' || row.text.length > MAX_SAMPLE_CHARS) return;
    const list = byLabel.get(label) ?? [];
    if (list.length < MAX_SAMPLES) list.push({ text: row.text, label });
    byLabel.set(label, list);
  });
  const queues = [...byLabel.keys()].sort().map((label) => byLabel.get(label) as Sample[]);
  const samples: Sample[] = [];
  for (let round = 0; samples.length < MAX_SAMPLES && queues.some((q) => q.length > round); round++) {
    for (const queue of queues) {
      const sample = queue[round];
      if (sample !== undefined && samples.length < MAX_SAMPLES) samples.push(sample);
    }
  }
  return samples;
}

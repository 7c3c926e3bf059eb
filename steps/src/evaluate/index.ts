import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PRODUCTION_ALIAS, STATES } from '@slipway/contracts';
import { type ModelStore, NotFoundError } from '@slipway/model-store';
import { z } from 'zod';
import { readArtifact, writeArtifact } from '../artifact.js';
import { EvaluationError } from '../errors.js';
import { datasetField, executionIdField, nameField, parseEvent } from '../event.js';
import { type ModelRun, measureModel } from './measure.js';
import {
  type CompactEvaluation,
  compactReport,
  EVALUATION_FILE,
  EVALUATION_SCHEMA,
  type EvaluationReport,
  type ModelEvaluation,
  parseRows,
  pickSamples,
} from './report.js';
import { type Baseline, judge } from './verdict.js';

const ratio = z.number().min(0).max(1);

/** The Evaluate state's Payload. */
export const evaluateEventSchema = z.object({
  model: nameField,
  /** `<store uri>/runs/<job>/output/model.tar.gz` */
  artifact: z.string().min(1),
  dataset: datasetField,
  thresholds: z.object({
    minAccuracy: ratio,
    minBaselineGain: ratio.optional(),
    maxRegression: ratio,
    minClassF1: ratio,
  }),
  executionId: executionIdField,
});

/** A validated Evaluate event. */
export type EvaluateEvent = z.output<typeof evaluateEventSchema>;

/** What the Evaluate step needs. */
export interface EvaluateDeps {
  readonly store: ModelStore;
  /** Where model files are unpacked for the duration of a run. Default: the OS temp folder. */
  readonly tmpDir?: string;
  /**
   * Makes and removes the folder model files are unpacked in, instead of a `slipway-evaluate-` folder in
   * `tmpDir`: the local pipeline passes its scratch folders, removed on every exit and swept after a crash.
   */
  readonly workDir?: { make(): Promise<string>; remove(path: string): Promise<void> };
  /** Texts timed one at a time per model. Default 200. */
  readonly latencySamples?: number;
  readonly now?: () => Date;
}

/**
 * Evaluates a candidate artifact on the dataset's test split against the model `production` points at,
 * stores the full report as `evaluation.json` in the execution's area and returns the compact one.
 * A failed gate is a verdict, not an error.
 */
export async function runEvaluate(input: EvaluateEvent, deps: EvaluateDeps): Promise<CompactEvaluation> {
  const { store } = deps;
  const started = performance.now();
  const now = deps.now ?? (() => new Date());
  const latencySamples = deps.latencySamples ?? 200;
  const area = store.executions(input.executionId);

  const dataset = await store.getDataset(input.dataset.name, input.dataset.sha256);
  const rows = parseRows(
    dataset.test,
    `test.jsonl of dataset "${input.dataset.name}" ${input.dataset.sha256}`,
  );
  if (rows.length === 0) {
    throw new EvaluationError(
      `the test split of dataset "${input.dataset.name}" ${input.dataset.sha256} is empty, so there is nothing to evaluate on; store the dataset with a test split`,
    );
  }

  const work = await (deps.workDir?.make() ?? mkdtemp(join(deps.tmpDir ?? tmpdir(), 'slipway-evaluate-')));
  try {
    const artifact = await readArtifact(store, input.artifact, input.model);
    const candidate = await measureModel(
      await writeArtifact(artifact, join(work, 'candidate')),
      rows,
      latencySamples,
    );

    const productionVersion = await currentProduction(store, input.model);
    let production: (ModelRun & { version: number }) | null = null;
    if (productionVersion !== null) {
      const dir = join(work, 'production');
      await store.materialize(input.model, productionVersion, dir);
      production = { version: productionVersion, ...(await measureModel(dir, rows, latencySamples)) };
    }

    const baseline = majorityBaseline(
      parseRows(dataset.train, `train.jsonl of dataset "${input.dataset.name}"`),
      rows,
    );
    const verdict = judge(
      input.thresholds,
      {
        accuracy: candidate.metrics.accuracy,
        macroF1: candidate.metrics.macroF1,
        perClassF1: Object.fromEntries(Object.entries(candidate.metrics.perClass).map(([c, v]) => [c, v.f1])),
      },
      production === null
        ? null
        : {
            version: production.version,
            accuracy: production.metrics.accuracy,
            macroF1: production.metrics.macroF1,
          },
      baseline,
    );

    const report: EvaluationReport = {
      schema: EVALUATION_SCHEMA,
      model: input.model,
      executionId: input.executionId,
      createdAt: now().toISOString(),
      durationMs: Math.round(performance.now() - started),
      dataset: { name: input.dataset.name, sha256: input.dataset.sha256, testRows: rows.length },
      thresholds: input.thresholds,
      baseline,
      candidate: { artifact: input.artifact, ...describe(candidate) },
      production: production === null ? null : { version: production.version, ...describe(production) },
      verdict,
      samples: pickSamples(rows, candidate.labels),
    };
    await area.put(EVALUATION_FILE, `${JSON.stringify(report, null, 2)}\n`);
    return compactReport(report, `${area.prefix}${EVALUATION_FILE}`);
  } finally {
    if (deps.workDir) await deps.workDir.remove(work);
    else await rm(work, { recursive: true, force: true });
  }
}

/** The majority-class baseline: the most frequent training label (ties: the first in name order), scored on the test rows. */
function majorityBaseline(
  train: readonly { readonly label: string }[],
  test: readonly { readonly label: string }[],
): Baseline | null {
  const counts = new Map<string, number>();
  for (const row of train.length > 0 ? train : test) counts.set(row.label, (counts.get(row.label) ?? 0) + 1);
  let label: string | undefined;
  for (const [name, n] of counts) {
    const best = label === undefined ? -1 : (counts.get(label) ?? 0);
    if (n > best || (n === best && label !== undefined && name < label)) label = name;
  }
  if (label === undefined || test.length === 0) return null;
  return { label, accuracy: test.filter((r) => r.label === label).length / test.length };
}

/** Builds the Evaluate handler: validates the event, then runs the evaluation. */
export function createEvaluateHandler(deps: EvaluateDeps): (event: unknown) => Promise<CompactEvaluation> {
  return async (event) => runEvaluate(parseEvent(STATES.Evaluate, evaluateEventSchema, event), deps);
}

/** The version `production` points at, or null when the model has no production alias (or no versions) yet. */
async function currentProduction(store: ModelStore, model: string): Promise<number | null> {
  try {
    return (await store.getAlias(model, PRODUCTION_ALIAS)).version;
  } catch (error) {
    if (error instanceof NotFoundError && (error.what === 'alias' || error.what === 'model')) return null;
    throw error;
  }
}

function describe(run: ModelRun): ModelEvaluation {
  const lineage = run.manifest.lineage as Partial<typeof run.manifest.lineage> | undefined;
  return {
    classes: run.manifest.classes,
    hyperparameters: lineage?.hyperparameters ?? {},
    trainerVersion: lineage?.trainerVersion ?? null,
    gitCommit: lineage?.gitCommit ?? null,
    trainingImage: lineage?.environment?.image ?? null,
    metrics: run.metrics,
    latency: run.latency,
  };
}

import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packArchive } from '@slipway/contracts/tar';
import { openModel } from '@slipway/training-job';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createStepsStore,
  jsonl,
  putArtifact,
  registerTrained,
  STRONG,
  type StepsStore,
  sentimentDataset,
  THRESHOLDS,
  type TrainedArtifact,
  trainArtifact,
  WEAK,
} from '../../../test-helpers/steps.js';
import {
  ArtifactError,
  createEvaluateHandler,
  EvaluationError,
  readEvaluationReport,
} from '../../src/index.js';

let strong: TrainedArtifact;
let weak: TrainedArtifact;
let work: string;
let fx: StepsStore;

beforeAll(async () => {
  strong = await trainArtifact(STRONG);
  weak = await trainArtifact(WEAK);
  work = await mkdtemp(join(tmpdir(), 'slipway-evaluate-test-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});
afterEach(async () => {
  await fx?.close();
});

const event = (artifact: string, executionId: string, thresholds: object = THRESHOLDS) => ({
  model: 'sentiment',
  artifact,
  dataset: fx.dataset,
  thresholds,
  executionId,
});

/** The evaluation's scratch folder, which must be empty again after every run. */
const scratch = () => join(work, 'tmp');

async function evaluate(e: unknown) {
  await mkdir(scratch(), { recursive: true });
  return createEvaluateHandler({ store: fx.store, tmpDir: scratch() })(e);
}

describe('Evaluate', () => {
  it('judges a first model on thresholds alone, stores the full report and returns a compact one (gate-passes-first-model)', async () => {
    fx = await createStepsStore();
    const artifact = await putArtifact(fx.store, 'sentiment-run1', strong.archive);
    const result = await evaluate(event(artifact, 'exec-1'));

    const trainedMetrics = strong.manifest.metrics;
    expect(result.reportKey).toBe('executions/exec-1/evaluation.json');
    expect(result.production).toBeNull();
    // Same runtime, same split, same model file: the training-time figures exactly.
    expect(result.candidate).toEqual({
      accuracy: trainedMetrics.accuracy,
      macroF1: trainedMetrics.macroF1,
      perClassF1: {
        negative: trainedMetrics.perClass.negative?.f1,
        positive: trainedMetrics.perClass.positive?.f1,
      },
    });
    expect(trainedMetrics.accuracy).toBeCloseTo(0.8333, 4);
    expect(result.verdict.passed).toBe(true);
    expect(result.verdict.summary).toBe(
      `candidate accuracy ${trainedMetrics.accuracy.toFixed(3)} ≥ 0.600; lowest class F1 ` +
        `${Math.min(trainedMetrics.perClass.negative?.f1 ?? 0, trainedMetrics.perClass.positive?.f1 ?? 0).toFixed(3)} ` +
        `(${(trainedMetrics.perClass.negative?.f1 ?? 0) < (trainedMetrics.perClass.positive?.f1 ?? 0) ? 'negative' : 'positive'}) ≥ 0.000; ` +
        'no production model to compare with: passed',
    );
    expect(JSON.stringify(result).length).toBeLessThan(16_384);

    // Samples: 8 short test texts, both classes, labelled as the candidate labels them.
    const test = (await sentimentDataset()).test.map((r) => r.text);
    expect(result.samples).toHaveLength(8);
    expect(new Set(result.samples.map((s) => s.label))).toEqual(new Set(['negative', 'positive']));
    for (const sample of result.samples) {
      expect(sample.text.length).toBeLessThanOrEqual(300);
      expect(test).toContain(sample.text);
    }
    const modelDir = join(work, 'check-model');
    await mkdir(modelDir, { recursive: true });
    for (const [file, body] of Object.entries(strong.files)) await writeFile(join(modelDir, file), body);
    const { classifier } = await openModel(modelDir);
    const predicted = await classifier.predict(result.samples.map((s) => s.text));
    await classifier.close();
    expect(result.samples.map((s) => s.label)).toEqual(predicted.map((p) => p.label));

    const report = await readEvaluationReport(fx.store, 'exec-1');
    expect(report).toBeDefined();
    if (!report) return;
    expect(report.schema).toBe('slipway.evaluation/v1');
    expect(report.model).toBe('sentiment');
    expect(report.dataset).toEqual({ ...fx.dataset, testRows: 600 });
    expect(report.thresholds).toEqual(THRESHOLDS);
    expect(report.candidate.artifact).toBe(artifact);
    expect(report.candidate.metrics).toEqual(trainedMetrics);
    expect(report.candidate.metrics.confusion.flat().reduce((a, b) => a + b, 0)).toBe(600);
    expect(report.candidate.hyperparameters).toMatchObject({ minDf: 2, C: 10 });
    expect(report.candidate.latency.singleSamples).toBe(200);
    expect(report.candidate.latency.batchSize).toBe(600);
    expect(report.candidate.latency.singleMedianMs).toBeGreaterThan(0);
    expect(report.candidate.latency.singleP99Ms).toBeGreaterThanOrEqual(
      report.candidate.latency.singleMedianMs,
    );
    expect(report.candidate.latency.batchTextsPerSecond).toBeGreaterThan(0);
    expect(report.production).toBeNull();
    expect(report.verdict).toEqual(result.verdict);
    expect(report.samples).toEqual(result.samples);
    expect(await readdir(scratch())).toEqual([]);
  });

  it("names the commit and the image that trained the candidate, from its lineage (the PR comment's source)", async () => {
    fx = await createStepsStore();
    const image = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipway-dev/training@sha256:${'c'.repeat(64)}`;
    const commit = '0123456789abcdef0123456789abcdef01234567';
    const manifest = JSON.parse(new TextDecoder().decode(strong.files['manifest.json'])) as {
      lineage: Record<string, unknown> & { environment: Record<string, unknown> };
    };
    manifest.lineage.gitCommit = commit;
    manifest.lineage.environment = { ...manifest.lineage.environment, image };
    const archive = packArchive({
      ...strong.files,
      'manifest.json': new TextEncoder().encode(JSON.stringify(manifest)),
    });
    await evaluate(event(await putArtifact(fx.store, 'sentiment-run-image', archive), 'exec-image'));
    const report = await readEvaluationReport(fx.store, 'exec-image');
    expect(report?.candidate).toMatchObject({ gitCommit: commit, trainingImage: image });

    // Trained outside an image, outside git: both null, never absent.
    await evaluate(event(await putArtifact(fx.store, 'sentiment-run-plain', strong.archive), 'exec-plain'));
    const plain = await readEvaluationReport(fx.store, 'exec-plain');
    expect(strong.manifest.lineage.environment?.image ?? null).toBeNull();
    expect(plain?.candidate.trainingImage).toBeNull();
    expect(plain?.candidate.gitCommit).toBe(strong.manifest.lineage.gitCommit);
  });

  it('runs production on the same split and passes a candidate within the allowed regression', async () => {
    fx = await createStepsStore();
    const v1 = await registerTrained(fx.store, strong);
    await fx.store.setAlias('sentiment', 'production', v1, { expected: null });
    const artifact = await putArtifact(fx.store, 'sentiment-run2', weak.archive);
    const result = await evaluate(event(artifact, 'exec-2', { ...THRESHOLDS, maxRegression: 0.05 }));

    expect(result.production).toEqual({
      version: 1,
      accuracy: strong.manifest.metrics.accuracy,
      macroF1: strong.manifest.metrics.macroF1,
    });
    expect(result.candidate.accuracy).toBe(weak.manifest.metrics.accuracy);
    expect(weak.manifest.metrics.accuracy).toBeCloseTo(0.805, 4);
    expect(result.verdict.passed).toBe(true);
    expect(result.verdict.reasons.map((r) => [r.check, r.passed])).toEqual([
      ['accuracy', true],
      ['classF1', true],
      ['accuracyRegression', true],
      ['macroF1Regression', true],
    ]);
    const report = await readEvaluationReport(fx.store, 'exec-2');
    expect(report?.production?.version).toBe(1);
    expect(report?.production?.metrics).toEqual(strong.manifest.metrics);
    expect(report?.production?.latency.batchSize).toBe(600);
    expect(report?.candidate.metrics).toEqual(weak.manifest.metrics);
    expect(await readdir(scratch())).toEqual([]);
  });

  it('fails the gate when the candidate regresses more than maxRegression against production (gate-fails)', async () => {
    fx = await createStepsStore();
    const v1 = await registerTrained(fx.store, strong);
    await fx.store.setAlias('sentiment', 'production', v1, { expected: null });
    const artifact = await putArtifact(fx.store, 'sentiment-run3', weak.archive);
    const result = await evaluate(event(artifact, 'exec-3'));

    const ours = weak.manifest.metrics;
    const theirs = strong.manifest.metrics;
    expect(result.verdict.passed).toBe(false);
    expect(result.verdict.reasons.slice(2)).toEqual([
      {
        check: 'accuracyRegression',
        passed: false,
        actual: ours.accuracy,
        required: theirs.accuracy - 0.01,
        message: `accuracy ${ours.accuracy.toFixed(3)} vs production v1 ${theirs.accuracy.toFixed(3)} (−${(theirs.accuracy - ours.accuracy).toFixed(3)}, allowed −0.010)`,
      },
      {
        check: 'macroF1Regression',
        passed: false,
        actual: ours.macroF1,
        required: theirs.macroF1 - 0.01,
        message: `macro-F1 ${ours.macroF1.toFixed(3)} vs production v1 ${theirs.macroF1.toFixed(3)} (−${(theirs.macroF1 - ours.macroF1).toFixed(3)}, allowed −0.010)`,
      },
    ]);
    expect(result.verdict.summary.endsWith(': failed (accuracyRegression, macroF1Regression)')).toBe(true);
    // A failed gate is a verdict, stored like any other.
    expect((await readEvaluationReport(fx.store, 'exec-3'))?.verdict.passed).toBe(false);
  });

  it('scores a test label the model does not know as a class it never predicts', async () => {
    fx = await createStepsStore();
    const data = await sentimentDataset();
    const extra = ['So-so.', 'It was fine, I guess.', 'Neither good nor bad.'].map((text) => ({
      text,
      label: 'neutral',
    }));
    const { sha256 } = await fx.store.putDataset('sentiment3', {
      train: jsonl(data.train),
      test: jsonl([...data.test, ...extra]),
    });
    const artifact = await putArtifact(fx.store, 'sentiment-run4', strong.archive);
    const result = await evaluate({
      ...event(artifact, 'exec-4', { ...THRESHOLDS, minClassF1: 0.1 }),
      dataset: { name: 'sentiment3', sha256 },
    });
    expect(result.candidate.perClassF1.neutral).toBe(0);
    expect(result.verdict.passed).toBe(false);
    expect(result.verdict.reasons[1]?.message).toBe('class F1 below 0.100: neutral 0.000');
    const report = await readEvaluationReport(fx.store, 'exec-4');
    expect(report?.candidate.metrics.classes).toEqual(['negative', 'positive', 'neutral']);
    expect(report?.candidate.metrics.rows).toBe(603);
    expect(report?.candidate.metrics.perClass.neutral?.support).toBe(3);
  });

  it('refuses a corrupt artifact (a flipped byte) with ArtifactError and stores no report', async () => {
    fx = await createStepsStore();
    const corrupt = strong.archive.slice();
    const middle = Math.floor(corrupt.length / 2);
    corrupt[middle] = (corrupt[middle] as number) ^ 0xff;
    const artifact = await putArtifact(fx.store, 'sentiment-run5', corrupt);
    const error = await evaluate(event(artifact, 'exec-5')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ArtifactError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^the artifact ${artifact} cannot be unpacked \\(not a readable gzip archive: .+\\); it is corrupt`,
      ),
    );
    expect(await readEvaluationReport(fx.store, 'exec-5')).toBeUndefined();
    expect(await readdir(scratch())).toEqual([]);
  });

  it('refuses an empty test split with EvaluationError', async () => {
    fx = await createStepsStore();
    const { sha256 } = await fx.store.putDataset('empty', {
      train: jsonl([{ text: 'a', label: 'b' }]),
      test: '',
    });
    const artifact = await putArtifact(fx.store, 'sentiment-run6', strong.archive);
    const error = await evaluate({ ...event(artifact, 'exec-6'), dataset: { name: 'empty', sha256 } }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EvaluationError);
    expect((error as Error).message).toBe(
      `the test split of dataset "empty" ${sha256} is empty, so there is nothing to evaluate on; store the dataset with a test split`,
    );
  });
});

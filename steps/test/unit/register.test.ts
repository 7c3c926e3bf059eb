import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createStepsStore,
  putArtifact,
  STRONG,
  type StepsStore,
  THRESHOLDS,
  type TrainedArtifact,
  trainArtifact,
} from '../../../test-helpers/steps.js';
import {
  type CompactEvaluation,
  createEvaluateHandler,
  createRegisterHandler,
  EvaluationError,
} from '../../src/index.js';

let fx: StepsStore;
let strong: TrainedArtifact;
let artifact: string;
let evaluation: CompactEvaluation;
const executionId = 'arn:aws:states:eu-west-1:123456789012:execution:slipway:run-1';

beforeAll(async () => {
  fx = await createStepsStore();
  strong = await trainArtifact(STRONG);
  artifact = await putArtifact(fx.store, 'sentiment-run1', strong.archive);
  evaluation = await createEvaluateHandler({ store: fx.store, latencySamples: 5 })({
    model: 'sentiment',
    artifact,
    dataset: fx.dataset,
    thresholds: THRESHOLDS,
    executionId,
  });
});
afterAll(async () => {
  await fx?.close();
});

const event = (overrides: Partial<{ gitCommit: string; pullRequest: string; executionId: string }> = {}) => ({
  model: 'sentiment',
  artifact,
  evaluation,
  lineage: {
    gitCommit: 'a1b2c3d4e5f6',
    pullRequest: '42',
    executionId,
    dataset: fx.dataset,
    ...overrides,
  },
});

describe('Register', () => {
  it('registers version 1 with the execution lineage and its evaluation report, and moves candidate to it', async () => {
    const register = createRegisterHandler({ store: fx.store, actor: 'pipeline' });
    expect(await register(event())).toEqual({ version: 1, created: true });

    const { manifest } = await fx.store.getManifest('sentiment', 1);
    expect(manifest.version).toBe(1);
    expect(manifest.lineage).toMatchObject({
      gitCommit: 'a1b2c3d4e5f6',
      pullRequest: 42,
      executionId,
      dataset: fx.dataset,
      trainerVersion: strong.manifest.lineage.trainerVersion,
      hyperparameters: strong.manifest.lineage.hyperparameters,
    });
    expect(manifest.metrics).toEqual(strong.manifest.metrics);
    expect(Object.keys(manifest.files).sort()).toEqual(['evaluation.json', 'metrics.json', 'model.onnx']);
    expect(manifest.files['model.onnx']).toEqual(strong.manifest.files['model.onnx']);

    // The version's evaluation.json is the execution's full report, byte for byte.
    const stored = await fx.store.readModelFile('sentiment', 1, 'evaluation.json');
    const inArea = await fx.store.executions(executionId).get('evaluation.json');
    expect(Buffer.from(stored).equals(Buffer.from(inArea?.body ?? new Uint8Array()))).toBe(true);
    const report = JSON.parse(new TextDecoder().decode(stored));
    expect(report.verdict).toEqual(evaluation.verdict);
    expect(report.candidate.artifact).toBe(artifact);

    const candidate = await fx.store.getAlias('sentiment', 'candidate');
    expect(candidate).toMatchObject({
      version: 1,
      updatedBy: 'pipeline',
      reason: `registered by execution ${executionId}`,
    });
  });

  it('is idempotent per execution: a retry returns the same version without moving candidate again', async () => {
    const register = createRegisterHandler({ store: fx.store, actor: 'pipeline' });
    const before = await fx.store.getAlias('sentiment', 'candidate');
    expect(await register(event())).toEqual({ version: 1, created: false });
    expect((await fx.store.listVersions('sentiment')).versions.length).toBe(1);
    expect(await fx.store.getAlias('sentiment', 'candidate')).toEqual(before);
  });

  it('records an unknown commit and no pull request as null', async () => {
    const otherExecution = 'local-run-2';
    await fx.store
      .executions(otherExecution)
      .put('evaluation.json', (await fx.store.executions(executionId).get('evaluation.json'))?.body ?? '');
    const register = createRegisterHandler({ store: fx.store });
    const result = await register(event({ gitCommit: '', pullRequest: '', executionId: otherExecution }));
    expect(result).toEqual({ version: 2, created: true });
    const { manifest } = await fx.store.getManifest('sentiment', 2);
    expect(manifest.lineage).toMatchObject({
      gitCommit: null,
      pullRequest: null,
      executionId: otherExecution,
    });
    expect((await fx.store.getAlias('sentiment', 'candidate')).version).toBe(2);
  });

  it('refuses to register without the execution evaluation report', async () => {
    const register = createRegisterHandler({ store: fx.store });
    const error = await register(event({ executionId: 'never-evaluated' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EvaluationError);
    expect((error as Error).message).toBe(
      `execution never-evaluated has no evaluation.json in ${fx.store.uri}, so there is no report to register with the model; ` +
        'run the Evaluate step for this execution first',
    );
    expect((await fx.store.listVersions('sentiment')).versions.length).toBe(2);
  });

  it('refuses a report about another artifact', async () => {
    const other = await putArtifact(fx.store, 'sentiment-run9', strong.archive);
    const register = createRegisterHandler({ store: fx.store });
    await expect(register({ ...event(), artifact: other })).rejects.toThrow(
      `the evaluation report of execution ${executionId} is about sentiment ${artifact}, not sentiment ${other}`,
    );
  });
});

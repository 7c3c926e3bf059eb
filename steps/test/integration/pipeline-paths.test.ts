// The steps chained the way contracts/state-machine.asl.json chains them (each handler gets the Payload its
// state builds from the previous results), against a real folder store and a real `slipway serve`
// endpoint that follows the production alias.
import { join } from 'node:path';
import {
  folderSource,
  type InferenceServer,
  startInferenceServer,
  storeAliasSource,
} from '@slipway/inference';
import { openModel } from '@slipway/training-job';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createStepsStore,
  putArtifact,
  registerTrained,
  STRONG,
  type StepsStore,
  THRESHOLDS,
  type TrainedArtifact,
  trainArtifact,
  WEAK,
} from '../../../test-helpers/steps.js';
import {
  type ApprovalNotice,
  type CompactEvaluation,
  createApprovalHandler,
  createEvaluateHandler,
  createPromoteHandler,
  createRegisterHandler,
  createSmokeTestHandler,
  type Deployer,
  type PromoteOutput,
  readEvaluationReport,
} from '../../src/index.js';

let fx: StepsStore;
let served: InferenceServer;
let strong: TrainedArtifact;
const notices: ApprovalNotice[] = [];
/** Where the deployer says the model is served; a test points it at a stale endpoint. */
let endpoint = '';

beforeAll(async () => {
  fx = await createStepsStore();
  strong = await trainArtifact(STRONG);
  // Production starts at the weaker model, so the stronger candidate passes the gate.
  await registerTrained(fx.store, await trainArtifact(WEAK)); // v1
  await fx.store.setAlias('sentiment', 'production', 1, { expected: null });
  served = await startInferenceServer({
    source: storeAliasSource({
      store: fx.store,
      name: 'sentiment',
      alias: 'production',
      cacheDir: join(fx.root, 'serve-cache'),
      storeDescription: 'the test store',
    }),
    open: openModel,
    port: 0,
    pollMs: 25,
    logLevel: 'SILENT',
  });
  endpoint = served.url;
});
afterAll(async () => {
  await served?.close();
  await fx?.close();
});

const deployer: Deployer = { deploy: async () => ({ endpoint }) };

/** One execution up to SmokeTest, building each Payload as the definition does. */
// smokeTimeoutMs: how long the endpoint may take to serve the promoted version (it reloads when production
// moves; generous, as a busy machine is slow); an endpoint that never will fails after the short default.
async function execute(executionId: string, job: string, smokeTimeoutMs = 600) {
  const { store } = fx;
  const input = {
    model: 'sentiment',
    dataset: fx.dataset,
    git: { commit: 'c0ffee', pullRequest: '7' },
    thresholds: THRESHOLDS,
  };
  const artifact = await putArtifact(store, job, strong.archive);
  const report: CompactEvaluation = await createEvaluateHandler({ store, latencySamples: 20 })({
    model: input.model,
    artifact,
    dataset: input.dataset,
    thresholds: input.thresholds,
    executionId,
  });
  expect(report.verdict.passed).toBe(true);
  const registration = await createRegisterHandler({ store })({
    model: input.model,
    artifact,
    evaluation: report,
    lineage: {
      gitCommit: input.git.commit,
      pullRequest: input.git.pullRequest,
      executionId,
      dataset: input.dataset,
    },
  });
  await createApprovalHandler({ store, notify: (n) => void notices.push(n) })({
    taskToken: 'token-kept-by-the-runner',
    executionId,
    model: input.model,
    version: registration.version,
    evaluation: report,
    git: input.git,
  });
  const approval = {
    approved: true,
    approvedBy: 'alice',
    comment: 'ship it',
    decidedAt: new Date().toISOString(),
  };
  const promotion = (await createPromoteHandler({ store, deployer })({
    action: 'promote',
    model: input.model,
    version: registration.version,
    expectedProduction: report.production,
    approval,
    executionId,
  })) as PromoteOutput;
  const smoke = await createSmokeTestHandler({ timeoutMs: smokeTimeoutMs, pollMs: 20 })({
    model: input.model,
    version: registration.version,
    endpoint: promotion.endpoint,
    samples: report.samples,
  });
  return { report, registration, promotion, smoke };
}

describe('the steps along the pipeline paths', () => {
  it('happy-path: evaluate, register, approve, promote, and the served model passes its smoke test', async () => {
    const { report, registration, promotion, smoke } = await execute('exec-happy', 'sentiment-happy', 60_000);
    expect(report.production?.version).toBe(1);
    expect(registration).toEqual({ version: 2, created: true });
    expect(notices.at(-1)).toMatchObject({
      executionId: 'exec-happy',
      version: 2,
      approveCommand: 'slipway approve exec-happy',
    });
    expect(promotion).toEqual({
      version: 2,
      previous: 1,
      endpoint: served.url,
      restore: null,
      canary: 'none',
    });
    expect(smoke).toEqual({ passed: true, failures: [], servedVersion: 2 });
    expect(served.model).toEqual({ name: 'sentiment', version: 2 });
    // The registered version carries its evaluation.
    const inVersion = JSON.parse(
      new TextDecoder().decode(await fx.store.readModelFile('sentiment', 2, 'evaluation.json')),
    );
    expect(inVersion).toEqual(await readEvaluationReport(fx.store, 'exec-happy'));
  }, 120_000);

  it('promotion-rolls-back: a stale endpoint never serves the new version, so production goes back', async () => {
    // An endpoint pinned to v2's files: it never picks the promotion up.
    const pinned = await fx.store.materialize('sentiment', 2, join(fx.root, 'pinned-v2'));
    const stale = await startInferenceServer({
      source: folderSource(pinned.dir),
      open: openModel,
      port: 0,
      logLevel: 'SILENT',
    });
    endpoint = stale.url;
    try {
      const { registration, promotion, smoke } = await execute('exec-rollback', 'sentiment-rollback');
      expect(registration.version).toBe(3);
      expect(promotion).toEqual({
        version: 3,
        previous: 2,
        endpoint: stale.url,
        restore: null,
        canary: 'none',
      });
      expect(smoke.passed).toBe(false);
      expect(smoke.failures[0]?.actual).toBe('it serves sentiment v2');

      // The RollBack state: same function, action rollback, back to the promotion's `previous`.
      const rollback = await createPromoteHandler({ store: fx.store, deployer })({
        action: 'rollback',
        model: 'sentiment',
        version: registration.version,
        expectedProduction: promotion.previous,
        executionId: 'exec-rollback',
      });
      expect(rollback).toEqual({ version: 2, moved: true, endpoint: stale.url });
      const production = await fx.store.getAlias('sentiment', 'production');
      expect(production.version).toBe(2);
      expect(production.reason).toBe('rolled back by execution exec-rollback: smoke test failed');
      // The endpoint that follows the alias is back on v2 as well.
      const deadline = Date.now() + 5_000;
      while (served.model.version !== 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(served.model).toEqual({ name: 'sentiment', version: 2 });
    } finally {
      await stale.close();
    }
  });
});

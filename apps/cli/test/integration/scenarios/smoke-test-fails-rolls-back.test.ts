import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { folderSource, type InferenceServer, startInferenceServer } from '@slipway/inference';
import { approveExecution, LocalPipeline } from '@slipway/runner-local';
import { openModel } from '@slipway/training-job';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  aliasVersion,
  type PipelineFixture,
  pipelineFixture,
  statesEntered,
  waitingForApproval,
} from '../../helpers/pipeline.js';

let f: PipelineFixture;
let stale: InferenceServer | undefined;
let frozen: string;
beforeAll(async () => {
  f = await pipelineFixture();
  frozen = await mkdtemp(join(tmpdir(), 'slipway-frozen-'));
});
afterAll(async () => {
  await stale?.close();
  await f.close();
  await rm(frozen, { recursive: true, force: true });
});

test('smoke-test-fails-rolls-back: an endpoint that never serves the new version fails the smoke test', async () => {
  // Version 1 goes to production the normal way.
  const first = await f.pipeline.runtime.start(f.input());
  await waitingForApproval(first);
  await approveExecution(f.store, first.id, 'ana');
  expect((await first.done).finalState).toBe('Done');

  // The second run deploys to an endpoint stuck on version 1 (serving a copy, not following the alias),
  // as a broken deployment would: the smoke test must notice and roll production back.
  await f.store.materialize('sentiment', 1, frozen);
  stale = await startInferenceServer({ source: folderSource(frozen), open: openModel, port: 0 });
  const broken = new LocalPipeline({
    store: f.store,
    endpoint: stale.url,
    retryIntervalMs: 10,
    decisionPollMs: 50,
    smokeTimeoutMs: 1_500,
  });
  try {
    const second = await broken.runtime.start(
      f.input({ thresholds: { minAccuracy: 0.6, maxRegression: 1, minClassF1: 0 } }),
    );
    await waitingForApproval(second);
    await approveExecution(f.store, second.id, 'ana');
    const outcome = await second.done;
    expect(outcome).toMatchObject({
      status: 'FAILED',
      finalState: 'PromotionFailed',
      error: 'PromotionFailed',
    });
    expect(statesEntered(second.journal.history).slice(-5)).toEqual([
      'Promote',
      'SmokeTest',
      'SmokeTestPassed',
      'RollBack',
      'PromotionFailed',
    ]);
    const smoke = second.journal.history.find((e) => e.type === 'StateExited' && e.state === 'SmokeTest');
    expect(JSON.stringify(smoke?.output)).toMatch(/"passed":false/);
    // Production is back on version 1, and both moves are in its history.
    expect(await aliasVersion(f.store, 'sentiment', 'production')).toBe(1);
    const moves = await f.store.aliasHistory('sentiment', 'production');
    expect(moves.map((m) => m.version).slice(0, 3)).toEqual([1, 2, 1]);
  } finally {
    await broken.close();
  }
}, 120_000);

import { createServer } from 'node:net';
import { join } from 'node:path';
import { type InferenceServer, startInferenceServer, storeAliasSource } from '@slipway/inference';
import { openModel } from '@slipway/training-job';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createStepsStore,
  registerTrained,
  STRONG,
  type StepsStore,
  type TrainedArtifact,
  trainArtifact,
  WEAK,
} from '../../../test-helpers/steps.js';
import { createSmokeTestHandler, type Sample } from '../../src/index.js';

let fx: StepsStore;
let server: InferenceServer;
let strong: TrainedArtifact;
let weak: TrainedArtifact;

/** The texts and labels a model gave at training time: what the served model must answer. */
const samplesOf = (artifact: TrainedArtifact): Sample[] =>
  artifact.manifest.selfTest.map(({ text, label }) => ({ text, label }));

beforeAll(async () => {
  fx = await createStepsStore();
  strong = await trainArtifact(STRONG);
  weak = await trainArtifact(WEAK);
  await registerTrained(fx.store, strong); // v1
  await registerTrained(fx.store, weak); // v2
  await fx.store.setAlias('sentiment', 'production', 1);
  server = await startInferenceServer({
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
});
afterAll(async () => {
  await server?.close();
  await fx?.close();
});

const smokeTest = (event: object, timeoutMs = 5_000) =>
  createSmokeTestHandler({ timeoutMs, pollMs: 20 })(event);

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return typeof address === 'object' && address !== null ? address.port : 0;
}

describe('SmokeTest against slipway serve on 127.0.0.1', () => {
  it('passes when the endpoint serves the version and agrees on every sample', async () => {
    const samples = samplesOf(strong);
    expect(samples.length).toBeGreaterThanOrEqual(2);
    expect(await smokeTest({ model: 'sentiment', version: 1, endpoint: server.url, samples })).toEqual({
      passed: true,
      failures: [],
      servedVersion: 1,
    });
  });

  it('fails with the sample, the expected and the served label when a label differs', async () => {
    const [first, ...rest] = samplesOf(strong);
    if (!first) throw new Error('no samples');
    const wrong = first.label === 'positive' ? 'negative' : 'positive';
    const result = await smokeTest({
      model: 'sentiment',
      version: 1,
      endpoint: server.url,
      samples: [{ text: first.text, label: wrong }, ...rest],
    });
    expect(result).toEqual({
      passed: false,
      servedVersion: 1,
      failures: [
        {
          text: first.text,
          expected: wrong,
          actual: first.label,
          message: `sentiment v1 at ${server.url}/predict labels this sample "${first.label}"; the evaluation's run of the same model gave "${wrong}"`,
        },
      ],
    });
  });

  it('fails after its deadline when the version never appears (the deployment did not take effect)', async () => {
    const started = Date.now();
    const result = await smokeTest(
      { model: 'sentiment', version: 2, endpoint: server.url, samples: samplesOf(weak) },
      300,
    );
    const elapsed = Date.now() - started;
    expect(result).toEqual({
      passed: false,
      servedVersion: 1,
      failures: [
        {
          text: null,
          expected: `sentiment v2 on ${server.url}/health`,
          actual: 'it serves sentiment v1',
          message: `sentiment v2 did not appear at ${server.url}/health within 0.3 s (last check: it serves sentiment v1); the deployment did not take effect`,
        },
      ],
    });
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(elapsed).toBeLessThan(3_000);
  });

  it('fails on an HTTP error from /predict, quoting the service', async () => {
    const result = await smokeTest({
      model: 'sentiment',
      version: 1,
      endpoint: `${server.url}/`,
      samples: [{ text: 'x'.repeat(10_001), label: 'positive' }],
    });
    expect(result.passed).toBe(false);
    expect(result.servedVersion).toBe(1);
    expect(result.failures).toHaveLength(1);
    expect(result.failures[0]?.text).toBeNull();
    expect(result.failures[0]?.actual).toMatch(/^HTTP 4\d\d: .+/);
    expect(result.failures[0]?.message).toContain(
      `${server.url}/predict did not answer 1 sample text(s): HTTP 4`,
    );
  });

  it('fails when nothing listens at the endpoint', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const result = await smokeTest({ model: 'sentiment', version: 1, endpoint, samples: [] }, 200);
    expect(result.passed).toBe(false);
    expect(result.servedVersion).toBeNull();
    expect(result.failures[0]?.actual).toBe('request failed (ECONNREFUSED)');
  });

  it('fails when the promotion reported no endpoint', async () => {
    expect(await smokeTest({ model: 'sentiment', version: 1, endpoint: null, samples: [] })).toEqual({
      passed: false,
      servedVersion: null,
      failures: [
        {
          text: null,
          expected: 'sentiment v1 served',
          actual: 'no endpoint',
          message:
            "the promotion reported no endpoint, so sentiment v1 could not be checked; configure the deployer to return the inference endpoint's URL",
        },
      ],
    });
  });

  it('waits while the endpoint hot-swaps to the promoted version, then passes', async () => {
    const pending = smokeTest(
      { model: 'sentiment', version: 2, endpoint: server.url, samples: samplesOf(weak) },
      10_000,
    );
    await new Promise((r) => setTimeout(r, 150));
    await fx.store.setAlias('sentiment', 'production', 2, { expected: 1 });
    expect(await pending).toEqual({ passed: true, failures: [], servedVersion: 2 });
    expect(server.model).toEqual({ name: 'sentiment', version: 2 });
  });
});

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ModelStore, openStore } from '@slipway/model-store';
import { openModel } from '@slipway/training-job';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type InferenceServer,
  startInferenceServer,
  storeAliasSource,
  type WatchEvent,
} from '../../src/index.js';
import { postJson } from '../helpers/http.js';
import { breakSelfTest, copyModel, trainedModelDir } from '../helpers/trained-model.js';

const TEXT = 'The battery died after two days, very disappointed.';
let scratch: string;
let store: ModelStore;
/** Version -> the probabilities that version's model gives TEXT. */
const expected = new Map<number, Record<string, number>>();

async function register(dir: string): Promise<number> {
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
  const { version } = await store.registerModel({ name: 'sentiment', files: dir, manifest });
  const { classifier } = await openModel(dir);
  const [prediction] = await classifier.predict([TEXT]);
  await classifier.close();
  expected.set(version, prediction?.probabilities ?? {});
  return version;
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'slipway-swap-test-'));
  store = await openStore(`file://${join(scratch, 'store')}`);
});

afterAll(async () => {
  await store?.close();
  await rm(scratch, { recursive: true, force: true });
});

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('hot swap under load (promotion-moves-alias)', () => {
  it('keeps answering while the alias moves twice and a bad version is refused: zero errors, the served version changes', async () => {
    const v1 = await register(await trainedModelDir('default'));
    const v2 = await register(await trainedModelDir('alt'));
    const bad = await register(
      await copyModel(await trainedModelDir('default'), join(scratch, 'bad'), breakSelfTest),
    );
    const v3 = await register(await trainedModelDir('default'));
    expect([v1, v2, bad, v3]).toEqual([1, 2, 3, 4]);
    // The two trained variants really differ, so a response's probabilities show which model answered.
    expect(expected.get(v1)).not.toEqual(expected.get(v2));
    await store.setAlias('sentiment', 'production', v1);

    const events: WatchEvent[] = [];
    const server: InferenceServer = await startInferenceServer({
      source: storeAliasSource({
        store,
        name: 'sentiment',
        alias: 'production',
        cacheDir: join(scratch, 'cache'),
        storeDescription: 'test store',
      }),
      open: openModel,
      port: 0,
      pollMs: 25,
      logLevel: 'ERROR',
      onEvent: (e) => events.push(e),
    });

    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const served: number[] = [];
    const failures: string[] = [];
    let running = true;
    const workers = Array.from({ length: 8 }, async () => {
      while (running) {
        const response = await postJson(server.url, '/predict', { text: TEXT }, agent);
        if (response.status !== 200) {
          failures.push(`${response.status} ${response.error ?? response.body}`);
          continue;
        }
        const body = JSON.parse(response.body) as {
          model: { version: number };
          predictions: { probabilities: Record<string, number> }[];
        };
        served.push(body.model.version);
        const want = expected.get(body.model.version) ?? {};
        for (const [label, p] of Object.entries(body.predictions[0]?.probabilities ?? {})) {
          if (Math.abs(p - (want[label] ?? Number.NaN)) > 1e-6) {
            failures.push(`v${body.model.version} answered ${label}=${p}, that version gives ${want[label]}`);
          }
        }
      }
    });

    try {
      await pause(300);
      await store.setAlias('sentiment', 'production', v2);
      await until(() => server.model.version === v2, 'the swap to v2');
      await pause(300);
      await store.setAlias('sentiment', 'production', bad);
      await until(() => events.some((e) => e.type === 'refused'), 'the bad version to be refused');
      await pause(300);
      expect(server.model.version).toBe(v2);
      await store.setAlias('sentiment', 'production', v3);
      await until(() => server.model.version === v3, 'the swap to v3');
      await pause(300);
    } finally {
      running = false;
      await Promise.all(workers);
      agent.destroy();
      await server.close();
    }

    expect(failures).toEqual([]);
    expect(served.length).toBeGreaterThan(100);
    // Versions only move forward, the bad one never answers, and every good one answered.
    const order = served.filter((v, i) => i === 0 || v !== served[i - 1]);
    expect(order).toEqual([v1, v2, v3]);
    expect(
      events.map((e) =>
        e.type === 'swapped'
          ? `swapped ${e.from.version}->${e.to.version}`
          : `${e.type} ${'key' in e ? e.key : ''}`,
      ),
    ).toEqual([`swapped ${v1}->${v2}`, `refused ${bad}`, `swapped ${v2}->${v3}`]);
    const refused = events[1] as Extract<WatchEvent, { type: 'refused' }>;
    expect(refused.error.name).toBe('SelfTestFailedError');
  }, 120_000);
});

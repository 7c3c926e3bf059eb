/**
 * Concurrency across real processes, on every backend: registrations and alias moves released at the same
 * instant from separate node processes (each opens the store itself, as separate Lambda invocations would).
 */
import { type ModelStore, openStore } from '@slipway/model-store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytes } from '../../../test-helpers/store-fixtures.js';
import { allTargets } from '../../../test-helpers/store-targets.js';
import { startWorkers, stopWorkers, type Worker } from '../../../test-helpers/store-workers.js';

// Each test starts node processes (tsx + the store + the AWS SDK): on a loaded 2-core machine that alone
// has taken over two minutes. The tests wait on the processes' answers, never on a clock.
const LOADED_MACHINE_MS = 600_000;

describe.each(allTargets())('concurrency on $name', (target) => {
  let workers: Worker[] = [];
  let store: ModelStore;

  beforeAll(async () => {
    if (!target.available) return;
    await target.start();
    const uri = target.freshUri();
    store = await openStore(uri, target.options());
    workers = await startWorkers(20, uri, target.childEnv());
  }, LOADED_MACHINE_MS);
  afterAll(async () => {
    await stopWorkers(workers);
    await store?.close();
    if (target.available) await target.stop();
  });

  it.skipIf(!target.available)(
    '20 registrations at once from 20 processes get 20 distinct consecutive versions',
    async () => {
      workers.forEach((w, i) => {
        w.send({ op: 'register', name: 'sentiment', executionId: `exec-${i}`, seed: i + 1 });
      });
      const results = await Promise.all(workers.map((w) => w.next()));
      expect(results.map((r) => r.ok)).toEqual(Array(20).fill(true));
      const versions = results.map((r) => r.version as number);
      expect([...versions].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));

      // None lost, none overwritten: each version holds exactly the bytes and lineage of the process that got it.
      for (const [i, version] of versions.entries()) {
        const model = await store.getModel('sentiment', version);
        expect(model.files['model.onnx']).toEqual(bytes(2048, i + 1));
        expect(model.manifest.lineage.executionId).toBe(`exec-${i}`);
      }
      expect((await store.listVersions('sentiment', { limit: 100 })).versions).toHaveLength(20);
    },
    LOADED_MACHINE_MS,
  );

  it.skipIf(!target.available)(
    '10 alias moves at once with the same expected version: exactly one wins',
    async () => {
      await store.setAlias('sentiment', 'production', 1, { expected: null });
      const movers = workers.slice(0, 10);
      movers.forEach((w, i) => {
        w.send({ op: 'set-alias', name: 'sentiment', alias: 'production', version: i + 2, expected: 1 });
      });
      const results = await Promise.all(movers.map((w) => w.next()));
      const won = results.filter((r) => r.ok);
      const lost = results.filter((r) => !r.ok);
      expect(won).toHaveLength(1);
      expect(lost.map((r) => r.name)).toEqual(Array(9).fill('ConflictError'));
      for (const r of lost) {
        expect(r.message).toMatch(
          /^alias "production" of model "sentiment" is at version \d+ \(moved by worker-\d+ at .*\), not at the expected version 1; re-read the alias/,
        );
      }
      const alias = await store.getAlias('sentiment', 'production');
      expect(alias.version).toBe(won[0]?.version);
      expect(alias.history.map((m) => m.version)).toEqual([1, won[0]?.version]);
    },
    LOADED_MACHINE_MS,
  );

  it.skipIf(!target.available)(
    'one execution registered from 5 processes at once yields one version',
    async () => {
      const racers = workers.slice(0, 5);
      racers.forEach((w, i) => {
        w.send({ op: 'register', name: 'sentiment', executionId: 'retried-execution', seed: 100 + i });
      });
      const results = await Promise.all(racers.map((w) => w.next()));
      expect(results.map((r) => r.ok)).toEqual(Array(5).fill(true));
      expect(new Set(results.map((r) => r.version)).size).toBe(1);
      expect(results.filter((r) => r.created)).toHaveLength(1);
      const registered = await store.findVersions('sentiment', { executionId: 'retried-execution' });
      expect(registered.map((m) => m.version)).toEqual([results[0]?.version]);
      expect((await store.listVersions('sentiment', { limit: 100 })).versions).toHaveLength(21);
    },
    LOADED_MACHINE_MS,
  );
});

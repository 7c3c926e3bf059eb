/**
 * Crashes: a registering process killed with SIGKILL mid-upload, on every backend.
 */
import { layout } from '@slipway/contracts';
import { type ModelStore, openStore } from '@slipway/model-store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelFiles, trainingManifest } from '../../../test-helpers/store-fixtures.js';
import { allTargets } from '../../../test-helpers/store-targets.js';
import { startWorkers } from '../../../test-helpers/store-workers.js';

// Each test starts node processes (tsx + the store + the AWS SDK): on a loaded 2-core machine that alone
// has taken over two minutes. The tests wait on the processes' answers, never on a clock.
const LOADED_MACHINE_MS = 600_000;

const HOUR = 3_600_000;

describe.each(allTargets())('faults on $name', (target) => {
  beforeAll(async () => {
    if (target.available) await target.start();
  }, LOADED_MACHINE_MS);
  afterAll(async () => {
    if (target.available) await target.stop();
  });

  const killMidUpload = async (uri: string, executionId: string) => {
    const [worker] = await startWorkers(1, uri, target.childEnv());
    if (!worker) throw new Error('no worker');
    worker.send({
      op: 'register',
      name: 'sentiment',
      executionId,
      seed: 2,
      size: 1_000_000,
      hangAfterFirstUpload: true,
    });
    const progress = await worker.next();
    expect(progress.event).toBe('uploaded');
    await worker.kill('SIGKILL');
    return progress.version as number;
  };

  it.skipIf(!target.available)(
    'a registration killed mid-upload leaves no version, does not block the next one, and gc removes its files',
    async () => {
      const uri = target.freshUri();
      const store: ModelStore = await openStore(uri, target.options());
      await store.registerModel({
        name: 'sentiment',
        files: modelFiles(1),
        manifest: trainingManifest('sentiment'),
      });

      const killed = await killMidUpload(uri, 'killed-execution');
      expect(killed).toBe(2);
      const leftovers = await store.backend.list(layout.version('sentiment', 2));
      expect(leftovers.length).toBeGreaterThan(0);
      expect(leftovers.map((o) => o.key)).not.toContain(layout.manifest('sentiment', 2));

      // No visible version 2; reads and listings behave as if the attempt never happened.
      const reader = await openStore(uri, target.options());
      expect((await reader.listVersions('sentiment')).versions.map((v) => v.version)).toEqual([1]);
      expect((await reader.getModel('sentiment', 'latest')).version).toBe(1);
      await expect(reader.getModel('sentiment', 2)).rejects.toThrow(/has no version 2/);

      // The same execution, retried, registers normally; the dead claim's number is skipped.
      const retried = await reader.registerModel({
        name: 'sentiment',
        files: modelFiles(3),
        manifest: trainingManifest('sentiment', { executionId: 'killed-execution' }),
      });
      expect(retried).toMatchObject({ version: 3, created: true });
      expect((await reader.listVersions('sentiment')).versions.map((v) => v.version)).toEqual([3, 1]);

      // Within the grace period gc leaves the attempt alone; after it, removes its files and nothing else.
      expect((await reader.gc({ graceMs: HOUR })).removed).toEqual([]);
      const later = await openStore(uri, { ...target.options(), now: () => new Date(Date.now() + 2 * HOUR) });
      const report = await later.gc({ graceMs: HOUR });
      expect(report.removed.map((r) => [r.kind, r.id])).toEqual([['model-version', '2']]);
      expect(await store.backend.list(layout.version('sentiment', 2))).toEqual([]);
      expect((await later.getModel('sentiment', 1)).version).toBe(1);
      expect((await later.getModel('sentiment', 3)).version).toBe(3);
      await Promise.all([store.close(), reader.close(), later.close()]);
    },
    LOADED_MACHINE_MS,
  );

  it.skipIf(!target.available)(
    "gc of one execution removes at once what its dead registration left, and no other execution's",
    async () => {
      const uri = target.freshUri();
      const store: ModelStore = await openStore(uri, target.options());
      const [dead, other] = [await killMidUpload(uri, 'dead-run'), await killMidUpload(uri, 'other-run')];
      expect([dead, other]).toEqual([1, 2]);
      expect(await store.backend.list(layout.version('sentiment', dead))).not.toEqual([]);

      const report = await store.gc({ executionId: 'dead-run', graceMs: 0 });
      expect(report.removed.map((r) => [r.kind, r.id])).toEqual([['model-version', String(dead)]]);
      expect(await store.backend.list(layout.version('sentiment', dead))).toEqual([]);
      // The other execution may still be running: its files stay until its own resume or gc.
      expect(await store.backend.list(layout.version('sentiment', other))).not.toEqual([]);
      // The number stays used; the resumed execution registers above it.
      const resumed = await store.registerModel({
        name: 'sentiment',
        files: modelFiles(3),
        manifest: trainingManifest('sentiment', { executionId: 'dead-run' }),
      });
      expect(resumed).toMatchObject({ version: 3, created: true });
      await store.close();
    },
  );
});

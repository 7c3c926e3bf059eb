/**
 * The model store's contract, run unchanged against every backend: a folder, S3 on a local server that
 * enforces conditional writes, and a real bucket when SLIPWAY_TEST_S3_URI names one.
 */

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { layout } from '@slipway/contracts';
import { sha256OfFiles } from '@slipway/contracts/dataset-hash';
import {
  ConflictError,
  CorruptManifestError,
  IntegrityError,
  InvalidManifestError,
  InvalidNameError,
  type ModelStore,
  NotFoundError,
  openStore,
  RejectedVersionError,
} from '@slipway/model-store';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bytes, modelFiles, sha256, trainingManifest } from '../../../test-helpers/store-fixtures.js';
import { allTargets } from '../../../test-helpers/store-targets.js';

const HOUR = 3_600_000;

describe.each(allTargets())('store contract on $name', (target) => {
  let store: ModelStore;
  let uri: string;

  beforeAll(async () => {
    if (target.available) await target.start();
  });
  afterAll(async () => {
    if (target.available) await target.stop();
  });
  beforeEach(async (context) => {
    if (!target.available) context.skip();
    uri = target.freshUri();
    store = await openStore(uri, { ...target.options(), actor: 'tester' });
  });
  afterEach(async () => {
    await store?.close();
  });

  const register = (seed: number, lineage: Parameters<typeof trainingManifest>[1] = {}, name = 'sentiment') =>
    store.registerModel({ name, files: modelFiles(seed), manifest: trainingManifest(name, lineage) });

  describe('storage primitives', () => {
    it('creates only absent keys and swaps only on the current etag', async () => {
      const b = store.backend;
      expect(await b.putIfAbsent('x/a.json', new TextEncoder().encode('1'))).toBe(true);
      expect(await b.putIfAbsent('x/a.json', new TextEncoder().encode('2'))).toBe(false);
      const first = await b.get('x/a.json');
      expect(new TextDecoder().decode(first?.body)).toBe('1');
      const second = await b.putIfMatch('x/a.json', new TextEncoder().encode('3'), first?.etag ?? '');
      expect(second).toBeTypeOf('string');
      expect(
        await b.putIfMatch('x/a.json', new TextEncoder().encode('4'), first?.etag ?? ''),
      ).toBeUndefined();
      expect(await b.putIfMatch('x/a.json', new TextEncoder().encode('5'), null)).toBeUndefined();
      expect(
        await b.putIfMatch('x/missing.json', new TextEncoder().encode('6'), first?.etag ?? ''),
      ).toBeUndefined();
      expect(new TextDecoder().decode((await b.get('x/a.json'))?.body)).toBe('3');
      expect(await b.get('x/missing.json')).toBeUndefined();
    });

    it('lists keys recursively in order and names children', async () => {
      const b = store.backend;
      for (const key of ['l/b/2', 'l/a/1', 'l/a/deep/3', 'l/c', 'lx/4'])
        await b.put(key, new Uint8Array([1]));
      expect((await b.list('l/')).map((o) => o.key)).toEqual(['l/a/1', 'l/a/deep/3', 'l/b/2', 'l/c']);
      expect(await b.listChildren('l/')).toEqual(['a', 'b']);
      await b.delete('l/c');
      await b.delete('l/never-existed');
      expect((await b.list('l/')).map((o) => o.key)).toEqual(['l/a/1', 'l/a/deep/3', 'l/b/2']);
    });
  });

  describe('registration', () => {
    it('registers version 1 with the manifest filled in and every file hashed', async () => {
      const files = modelFiles(7);
      const result = await store.registerModel({
        name: 'sentiment',
        files,
        manifest: trainingManifest('sentiment', { gitCommit: 'abc123', executionId: 'exec-1' }),
      });
      expect(result.created).toBe(true);
      expect(result.version).toBe(1);
      expect(result.manifest.version).toBe(1);
      expect(result.manifest.files).toEqual({
        'model.onnx': { sha256: sha256(files['model.onnx'] as Uint8Array), bytes: 2048 },
        'evaluation.json': {
          sha256: sha256(files['evaluation.json'] as Uint8Array),
          bytes: files['evaluation.json']?.byteLength,
        },
      });
      // Extra fields the trainer wrote are kept as given.
      expect((result.manifest as unknown as { extraFromTrainer: unknown }).extraFromTrainer).toEqual({
        kept: true,
      });

      const read = await store.getModel('sentiment', 1);
      expect(read.version).toBe(1);
      expect(read.files['model.onnx']).toEqual(files['model.onnx']);
      expect(read.manifest.lineage.gitCommit).toBe('abc123');
      const stored = JSON.parse(
        new TextDecoder().decode((await store.backend.get(layout.manifest('sentiment', 1)))?.body),
      );
      expect(stored.version).toBe(1);
      expect(stored.schema).toBe('slipway.model/v1');
    });

    it('allocates consecutive versions and lists them newest first, paginated', async () => {
      for (const seed of [1, 2, 3, 4, 5]) await register(seed);
      const first = await store.listVersions('sentiment', { limit: 2 });
      expect(first.versions.map((v) => v.version)).toEqual([5, 4]);
      expect(first.nextCursor).toBe('4');
      const second = await store.listVersions('sentiment', { limit: 2, cursor: first.nextCursor });
      expect(second.versions.map((v) => v.version)).toEqual([3, 2]);
      const third = await store.listVersions('sentiment', { limit: 2, cursor: second.nextCursor });
      expect(third.versions.map((v) => v.version)).toEqual([1]);
      expect(third.nextCursor).toBeNull();
      expect(third.versions[0]?.manifest?.files['model.onnx']?.sha256).toBe(sha256(bytes(2048, 1)));
      expect(await store.listModels()).toEqual(['sentiment']);
      expect((await store.getModel('sentiment', 'latest')).version).toBe(5);
    });

    it('skips the folders of registrations that never completed, in pages and in latest', async () => {
      await register(1);
      await register(2);
      const claim = {
        version: 3,
        owner: 'dead',
        executionId: null,
        actor: 'x',
        claimedAt: new Date().toISOString(),
        state: 'open',
      };
      await store.backend.put(layout.claim('sentiment', 3), new TextEncoder().encode(JSON.stringify(claim)));
      await store.backend.put(layout.versionFile('sentiment', 3, 'model.onnx'), bytes(10, 1));
      const reader = await openStore(uri, target.options());
      expect(
        (await reader.registerModel({ name: 'sentiment', files: modelFiles(4), manifest: {} })).version,
      ).toBe(4);
      await store.backend.put(layout.versionFile('sentiment', 5, 'model.onnx'), bytes(10, 1));
      expect(await reader.latestVersion('sentiment')).toBe(4);
      const first = await reader.listVersions('sentiment', { limit: 2 });
      expect(first.versions.map((v) => v.version)).toEqual([4, 2]);
      expect(first.nextCursor).toBe('2');
      const second = await reader.listVersions('sentiment', { limit: 2, cursor: first.nextCursor });
      expect(second.versions.map((v) => v.version)).toEqual([1]);
      expect(second.nextCursor).toBeNull();
      await reader.close();
    });

    it('returns the existing version when the same execution registers again', async () => {
      const first = await register(1, {
        executionId: 'arn:aws:states:eu-west-1:123456789012:execution:slipway:pr-7',
      });
      const again = await register(2, {
        executionId: 'arn:aws:states:eu-west-1:123456789012:execution:slipway:pr-7',
      });
      expect(again).toMatchObject({ version: first.version, created: false });
      expect(again.manifest.files['model.onnx']?.sha256).toBe(sha256(bytes(2048, 1)));
      expect((await store.listVersions('sentiment')).versions.map((v) => v.version)).toEqual([1]);
      const other = await register(3, { executionId: 'another-execution' });
      expect(other).toMatchObject({ version: 2, created: true });
    });

    it('takes the execution id from the call when the manifest has none, and refuses a contradiction', async () => {
      const result = await store.registerModel({
        name: 'sentiment',
        files: modelFiles(1),
        manifest: trainingManifest('sentiment'),
        executionId: 'local-42',
      });
      expect(result.manifest.lineage.executionId).toBe('local-42');
      await expect(
        store.registerModel({
          name: 'sentiment',
          files: modelFiles(1),
          manifest: trainingManifest('sentiment', { executionId: 'a' }),
          executionId: 'b',
        }),
      ).rejects.toThrow(InvalidManifestError);
    });

    it('registers the files of a folder, leaving its manifest.json out', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'slipway-out-'));
      try {
        const { writeFile, mkdir } = await import('node:fs/promises');
        await writeFile(join(dir, 'model.onnx'), bytes(100, 3));
        await mkdir(join(dir, 'reports'));
        await writeFile(join(dir, 'reports', 'evaluation.json'), '{"ok":true}');
        await writeFile(join(dir, 'manifest.json'), JSON.stringify(trainingManifest('sentiment')));
        const result = await store.registerModel({
          name: 'sentiment',
          files: dir,
          manifest: trainingManifest('sentiment'),
        });
        expect(Object.keys(result.manifest.files).sort()).toEqual(['model.onnx', 'reports/evaluation.json']);
        expect((await store.readModelFile('sentiment', 1, 'reports/evaluation.json')).byteLength).toBe(11);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('refuses files that disagree with the manifest before writing anything', async () => {
      const manifest = {
        ...trainingManifest('sentiment'),
        files: { 'model.onnx': { sha256: 'f'.repeat(64), bytes: 2048 } },
      };
      const error = await store
        .registerModel({ name: 'sentiment', files: modelFiles(1), manifest })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(IntegrityError);
      expect((error as IntegrityError).message).toContain(
        `expected sha256 ${'f'.repeat(64)}, got ${sha256(bytes(2048, 1))}`,
      );
      expect(await store.backend.list('')).toEqual([]);
    });

    it('refuses bad names and manifests with a message that says how to fix them', async () => {
      await expect(
        store.registerModel({ name: 'Bad Name', files: modelFiles(1), manifest: {} }),
      ).rejects.toThrow(/invalid model name "Bad Name": use 1-128 lowercase letters/);
      await expect(
        store.registerModel({
          name: 'sentiment',
          files: modelFiles(1),
          manifest: { ...trainingManifest('sentiment'), version: 3 },
        }),
      ).rejects.toThrow(/leave it null: the store allocates versions/);
      await expect(
        store.registerModel({ name: 'sentiment', files: { '../escape': new Uint8Array(1) }, manifest: {} }),
      ).rejects.toThrow(InvalidNameError);
      await expect(store.registerModel({ name: 'sentiment', files: {}, manifest: {} })).rejects.toThrow(
        /no files given/,
      );
      expect(await store.backend.list('')).toEqual([]);
    });
  });

  describe('lineage queries', () => {
    it('finds versions by git commit, pull request, execution id and dataset hash', async () => {
      await register(1, {
        gitCommit: 'c1',
        pullRequest: 7,
        executionId: 'e1',
        datasetSha256: 'd'.repeat(64),
      });
      await register(2, {
        gitCommit: 'c2',
        pullRequest: 7,
        executionId: 'e2',
        datasetSha256: 'd'.repeat(64),
      });
      await register(3, {
        gitCommit: 'c2',
        pullRequest: 8,
        executionId: 'e3',
        datasetSha256: 'e'.repeat(64),
      });
      const versions = async (q: Parameters<ModelStore['findVersions']>[1]) =>
        (await store.findVersions('sentiment', q)).map((m) => m.version);
      expect(await versions({ gitCommit: 'c2' })).toEqual([3, 2]);
      expect(await versions({ pullRequest: 7 })).toEqual([2, 1]);
      expect(await versions({ executionId: 'e3' })).toEqual([3]);
      expect(await versions({ datasetSha256: 'd'.repeat(64) })).toEqual([2, 1]);
      expect(await versions({ gitCommit: 'c2', pullRequest: 7 })).toEqual([2]);
      expect(await versions({ gitCommit: 'nope' })).toEqual([]);
    });
  });

  describe('reading back', () => {
    it('materializes a version into a folder with verified files and its manifest', async () => {
      await register(9);
      const dir = await mkdtemp(join(tmpdir(), 'slipway-model-'));
      try {
        const result = await store.materialize('sentiment', 'latest', dir);
        expect(result.version).toBe(1);
        expect(new Uint8Array(await readFile(join(dir, 'model.onnx')))).toEqual(bytes(2048, 9));
        expect(JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')).version).toBe(1);
        expect(result.paths['model.onnx']).toBe(join(dir, 'model.onnx'));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('fails with an integrity error naming the file and both hashes when a byte flips', async () => {
      await register(1);
      const key = layout.versionFile('sentiment', 1, 'model.onnx');
      const original = (await store.backend.get(key))?.body ?? new Uint8Array();
      const flipped = new Uint8Array(original);
      flipped[1000] = (flipped[1000] ?? 0) ^ 0x01;
      await store.backend.put(key, flipped);
      // A fresh store instance, as another process would read it.
      const reader = await openStore(uri, target.options());
      const error = await reader.getModel('sentiment', 1).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(IntegrityError);
      const integrity = error as IntegrityError;
      expect(integrity.file).toBe('model.onnx');
      expect(integrity.expected).toBe(sha256(original));
      expect(integrity.actual).toBe(sha256(flipped));
      expect(integrity.message).toContain(
        `file "model.onnx" failed its integrity check (expected sha256 ${sha256(original)}, got ${sha256(flipped)})`,
      );
      const dir = await mkdtemp(join(tmpdir(), 'slipway-model-'));
      await expect(reader.materialize('sentiment', 1, dir)).rejects.toThrow(IntegrityError);
      const { readdir } = await import('node:fs/promises');
      expect(await readdir(dir)).toEqual([]);
      await rm(dir, { recursive: true, force: true });
      // The untouched file still reads.
      expect((await reader.readModelFile('sentiment', 1, 'evaluation.json')).byteLength).toBeGreaterThan(0);
      await reader.close();
    });

    it('reports a manifest that does not parse instead of crashing', async () => {
      await register(1);
      await register(2);
      await register(3);
      await store.backend.put(
        layout.manifest('sentiment', 2),
        new TextEncoder().encode('{"name": "sentiment", "vers'),
      );
      const reader = await openStore(uri, target.options());
      const error = await reader.getModel('sentiment', 2).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CorruptManifestError);
      expect((error as Error).message).toContain(
        `the record at ${layout.manifest('sentiment', 2)} cannot be read: it is not valid JSON`,
      );
      const page = await reader.listVersions('sentiment');
      expect(page.versions.map((v) => [v.version, v.manifest === null, v.problem !== null])).toEqual([
        [3, false, false],
        [2, true, true],
        [1, false, false],
      ]);
      expect((await reader.findVersions('sentiment', {})).map((m) => m.version)).toEqual([3, 1]);
      await reader.close();
    });

    it('names the unknown model, version or alias and how to find the right one', async () => {
      await expect(store.getModel('nope', 1)).rejects.toThrow(
        /model "nope" does not exist in .*the store has no models yet/,
      );
      await register(1);
      const missingVersion = await store.getModel('sentiment', 9).catch((e: unknown) => e);
      expect(missingVersion).toBeInstanceOf(NotFoundError);
      expect((missingVersion as Error).message).toContain('model "sentiment" has no version 9');
      expect((missingVersion as Error).message).toContain('(latest is 1)');
      await expect(store.getModel('nope', 1)).rejects.toThrow(
        /model "nope" does not exist .*\(models: sentiment\)/,
      );
      await expect(store.getModel('sentiment', 'staging')).rejects.toThrow(
        /model "sentiment" has no alias "staging".*set it with `slipway models set-alias sentiment staging <version>`/,
      );
      await expect(store.getModel('sentiment', 'Not An Alias')).rejects.toThrow(InvalidNameError);
      await expect(store.getAlias('nope', 'production')).rejects.toThrow(/model "nope" does not exist/);
    });
  });

  describe('aliases', () => {
    it('moves by compare-and-swap, records every move, and resolves in reads', async () => {
      for (const seed of [1, 2, 3]) await register(seed);
      const set = await store.setAlias('sentiment', 'production', 1, {
        expected: null,
        actor: 'alice',
        reason: 'first release',
      });
      expect(set).toMatchObject({ version: 1, previous: null, updatedBy: 'alice', reason: 'first release' });
      await store.setAlias('sentiment', 'production', 2, { expected: 1, actor: 'bob', reason: 'better F1' });
      expect((await store.getModel('sentiment', 'production')).version).toBe(2);

      const conflict = await store
        .setAlias('sentiment', 'production', 3, { expected: 1, actor: 'carol' })
        .catch((e: unknown) => e);
      expect(conflict).toBeInstanceOf(ConflictError);
      expect((conflict as Error).message).toMatch(
        /alias "production" of model "sentiment" is at version 2 \(moved by bob at .*: better F1\), not at the expected version 1; re-read the alias and retry/,
      );
      expect((await store.getAlias('sentiment', 'production')).version).toBe(2);

      const stored = JSON.parse(
        new TextDecoder().decode((await store.backend.get(layout.alias('sentiment', 'production')))?.body),
      );
      expect(stored).toMatchObject({ version: 2, previous: 1, updatedBy: 'bob', reason: 'better F1' });
      expect(typeof stored.updatedAt).toBe('string');
      expect(
        (await store.aliasHistory('sentiment', 'production')).map((m) => [
          m.version,
          m.previous,
          m.updatedBy,
        ]),
      ).toEqual([
        [2, 1, 'bob'],
        [1, null, 'alice'],
      ]);
      expect((await store.listAliases('sentiment')).map((a) => [a.alias, a.version])).toEqual([
        ['production', 2],
      ]);
    });

    it('rolls back to the previous version, and further back on a second rollback', async () => {
      for (const seed of [1, 2, 3]) await register(seed);
      await store.setAlias('sentiment', 'production', 1);
      await store.setAlias('sentiment', 'production', 2);
      await store.setAlias('sentiment', 'production', 3);
      const back = await store.rollbackAlias('sentiment', 'production', {
        actor: 'oncall',
        reason: 'smoke test failed',
      });
      expect(back).toMatchObject({
        version: 2,
        previous: 3,
        updatedBy: 'oncall',
        reason: 'smoke test failed',
      });
      expect((await store.rollbackAlias('sentiment', 'production')).version).toBe(1);
      await expect(store.rollbackAlias('sentiment', 'production')).rejects.toThrow(
        /alias "production" of model "sentiment" has no earlier version to roll back to \(it is at version 1\)/,
      );
      expect((await store.aliasHistory('sentiment', 'production')).map((m) => [m.action, m.version])).toEqual(
        [
          ['rollback', 1],
          ['rollback', 2],
          ['set', 3],
          ['set', 2],
          ['set', 1],
        ],
      );
    });

    it('clears an alias by compare-and-swap and keeps its history', async () => {
      await register(1);
      await store.setAlias('sentiment', 'production', 1, { expected: null, actor: 'alice' });
      await expect(store.clearAlias('sentiment', 'production', { expected: 2 })).rejects.toThrow(
        ConflictError,
      );
      await store.clearAlias('sentiment', 'production', {
        expected: 1,
        actor: 'oncall',
        reason: 'smoke test failed',
      });
      await expect(store.getAlias('sentiment', 'production')).rejects.toThrow(NotFoundError);
      expect(await store.listAliases('sentiment')).toEqual([]);
      expect(
        (await store.aliasHistory('sentiment', 'production')).map((m) => [m.action, m.version, m.updatedBy]),
      ).toEqual([
        ['clear', null, 'oncall'],
        ['set', 1, 'alice'],
      ]);
      // Unset again means "expected null" holds, and a rollback has nothing to go back to.
      await expect(store.rollbackAlias('sentiment', 'production')).rejects.toThrow(/it is not set/);
      expect((await store.setAlias('sentiment', 'production', 1, { expected: null })).previous).toBeNull();
    });

    it('never points at a version that does not exist and refuses invalid alias names', async () => {
      await register(1);
      await expect(store.setAlias('sentiment', 'production', 5)).rejects.toThrow(
        /model "sentiment" has no version 5/,
      );
      await expect(store.setAlias('sentiment', 'Prod!', 1)).rejects.toThrow(/invalid alias name "Prod!"/);
      await expect(store.setAlias('sentiment', 'latest', 1)).rejects.toThrow(/"latest" is reserved/);
      await expect(store.getAlias('sentiment', 'production')).rejects.toThrow(NotFoundError);
      expect(await store.listAliases('sentiment')).toEqual([]);
    });

    it('lets exactly one of 10 concurrent moves with the same expected version win', async () => {
      for (let seed = 1; seed <= 11; seed++) await register(seed);
      await store.setAlias('sentiment', 'production', 1);
      const outcomes = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) =>
          store.setAlias('sentiment', 'production', i + 2, { expected: 1, actor: `mover-${i}` }),
        ),
      );
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(9);
      for (const o of lost) expect(o.reason).toBeInstanceOf(ConflictError);
      const winner = (won[0] as PromiseFulfilledResult<{ version: number }>).value.version;
      expect((await store.getAlias('sentiment', 'production')).version).toBe(winner);
      expect((await store.aliasHistory('sentiment', 'production')).length).toBe(2);
    });
  });

  describe('datasets', () => {
    it('stores a dataset by content hash, once, and verifies it on read', async () => {
      const train = '{"text":"good","label":"positive"}\n';
      const test = '{"text":"bad","label":"negative"}\n';
      const first = await store.putDataset('sentiment', {
        train,
        test,
        manifest: { rows: { train: 1, test: 1 } },
      });
      expect(first.created).toBe(true);
      // The one dataset version (contracts), the same the trainer and the lineage use.
      expect(first.sha256).toBe(sha256OfFiles(train, test));
      const again = await store.putDataset('sentiment', { train, test });
      expect(again).toMatchObject({ sha256: first.sha256, created: false });
      expect(again.manifest.rows).toEqual({ train: 1, test: 1 });
      const read = await store.getDataset('sentiment', first.sha256);
      expect(new TextDecoder().decode(read.train)).toBe(train);
      expect(await store.listDatasetVersions('sentiment')).toEqual([first.sha256]);

      await store.backend.put(
        layout.datasetFile('sentiment', first.sha256, 'test.jsonl'),
        new TextEncoder().encode('x'),
      );
      await expect(store.getDataset('sentiment', first.sha256)).rejects.toThrow(
        /file "test.jsonl" failed its integrity check/,
      );
      await expect(
        store.putDataset('sentiment', { train: 'other', test, sha256: first.sha256 }),
      ).rejects.toThrow(ConflictError);
      await expect(store.getDataset('sentiment', 'f'.repeat(64))).rejects.toThrow(NotFoundError);
    });
  });

  describe('gc', () => {
    it('removes only the files of registrations that never completed, after the grace period', async () => {
      await register(1);
      // What a registration killed mid-upload leaves behind: a claim and some files, no manifest.
      const claim = {
        version: 2,
        owner: 'dead',
        executionId: null,
        actor: 'x',
        claimedAt: new Date().toISOString(),
        state: 'open',
      };
      await store.backend.put(layout.claim('sentiment', 2), new TextEncoder().encode(JSON.stringify(claim)));
      await store.backend.put(layout.versionFile('sentiment', 2, 'model.onnx'), bytes(10, 1));
      await store.backend.put(`datasets/sentiment/${'c'.repeat(64)}/train.jsonl`, bytes(10, 1));

      const early = await store.gc({ graceMs: HOUR });
      expect(early.removed).toEqual([]);
      expect(early.inFlight.map((f) => [f.kind, f.id])).toEqual([
        ['model-version', '2'],
        ['dataset-version', 'c'.repeat(64)],
      ]);

      const later = await openStore(uri, { ...target.options(), now: () => new Date(Date.now() + 2 * HOUR) });
      const dry = await later.gc({ graceMs: HOUR, dryRun: true });
      expect(dry.removed.map((r) => [r.kind, r.id, r.keys])).toEqual([
        ['model-version', '2', [layout.versionFile('sentiment', 2, 'model.onnx')]],
        ['dataset-version', 'c'.repeat(64), [`datasets/sentiment/${'c'.repeat(64)}/train.jsonl`]],
      ]);
      expect(await store.backend.get(layout.versionFile('sentiment', 2, 'model.onnx'))).toBeDefined();

      const report = await later.gc({ graceMs: HOUR });
      expect(report.removed.map((r) => r.id)).toEqual(['2', 'c'.repeat(64)]);
      expect(await store.backend.get(layout.versionFile('sentiment', 2, 'model.onnx'))).toBeUndefined();
      const kept = JSON.parse(
        new TextDecoder().decode((await store.backend.get(layout.claim('sentiment', 2)))?.body),
      );
      expect(kept.state).toBe('abandoned');
      // The completed version is untouched, and the next registration does not reuse the abandoned number.
      expect((await store.getModel('sentiment', 1)).version).toBe(1);
      expect((await register(3)).version).toBe(3);
      expect((await later.gc({ graceMs: HOUR })).removed).toEqual([]);
      await later.close();
    });
  });

  describe('server announcements', () => {
    it('lists the live servers of a model, drops a withdrawn one, and gc removes only records expired before the grace period', async () => {
      await register(1);
      const server = (port: number) => ({
        url: `http://127.0.0.1:${port}`,
        model: 'sentiment',
        alias: 'production',
        version: 1,
        port,
      });
      const a = await store.servers.announce(server(8080), { ttlMs: HOUR });
      const killed = await store.servers.announce(server(8081), { ttlMs: HOUR });
      const alive = await store.servers.announce(server(8082), { ttlMs: 10 * HOUR });
      // A record that does not parse (a torn or foreign write) counts from when it was written.
      const torn = layout.server('sentiment', 'torn-record');
      await store.backend.put(torn, new TextEncoder().encode('{"schema":'));
      expect((await store.servers.list('sentiment')).map((r) => r.url).sort()).toEqual([
        'http://127.0.0.1:8080',
        'http://127.0.0.1:8081',
        'http://127.0.0.1:8082',
      ]);
      await store.servers.withdraw('sentiment', a.id);
      expect((await store.servers.list('sentiment')).map((r) => r.url)).toEqual([
        'http://127.0.0.1:8081',
        'http://127.0.0.1:8082',
      ]);

      // 90 minutes on, the 8081 record has expired (nobody vouches for that server any more), but not
      // yet by more than the hour's grace: gc keeps it. The torn record was written more than an hour
      // before: it goes (a dry run first).
      const soon = await openStore(uri, {
        ...target.options(),
        now: () => new Date(Date.now() + 1.5 * HOUR),
      });
      expect((await soon.servers.list('sentiment')).map((r) => r.url)).toEqual(['http://127.0.0.1:8082']);
      const tornOnly = [['server-record', 'torn-record', [torn]]];
      const dry = await soon.gc({ graceMs: HOUR, dryRun: true });
      expect(dry.removed.map((r) => [r.kind, r.id, r.keys])).toEqual(tornOnly);
      expect(await store.backend.get(torn)).toBeDefined();
      const first = await soon.gc({ graceMs: HOUR });
      expect(first.removed.map((r) => [r.kind, r.id, r.keys])).toEqual(tornOnly);
      expect(await store.backend.get(torn)).toBeUndefined();
      expect(await store.backend.get(layout.server('sentiment', killed.id))).toBeDefined();
      await soon.close();

      // Three hours on, the killed server's record has been expired for two: it goes, the live one stays.
      const later = await openStore(uri, { ...target.options(), now: () => new Date(Date.now() + 3 * HOUR) });
      const report = await later.gc({ graceMs: HOUR });
      expect(report.removed.map((r) => [r.kind, r.id, r.keys])).toEqual([
        ['server-record', killed.id, [layout.server('sentiment', killed.id)]],
      ]);
      expect(await store.backend.get(layout.server('sentiment', killed.id))).toBeUndefined();
      expect(await store.backend.get(layout.server('sentiment', alive.id))).toBeDefined();
      expect((await later.servers.list('sentiment')).map((r) => r.url)).toEqual(['http://127.0.0.1:8082']);
      expect((await later.gc({ graceMs: HOUR })).removed).toEqual([]);
      await later.close();
      expect(await store.listModels()).toEqual(['sentiment']);
    });
  });

  describe('rejected versions', () => {
    it('records a rejection once, refuses an alias move onto it without force and a reason, and records a forced one', async () => {
      for (const seed of [1, 2, 3]) await register(seed);
      const first = await store.recordRejection('sentiment', 2, {
        executionId: 'exec-2',
        by: 'carol',
        reason: 'worse on refunds',
        at: '2026-12-06T10:00:00.000Z',
      });
      expect(first.created).toBe(true);
      const again = await store.recordRejection('sentiment', 2, { by: 'someone else', reason: 'retry' });
      expect(again).toEqual({ created: false, record: first.record });
      expect(await store.getRejection('sentiment', 2)).toEqual({
        version: 2,
        executionId: 'exec-2',
        by: 'carol',
        reason: 'worse on refunds',
        at: '2026-12-06T10:00:00.000Z',
      });
      expect(await store.getRejection('sentiment', 1)).toBeUndefined();
      expect([...(await store.listRejections('sentiment')).keys()]).toEqual([2]);
      await expect(store.recordRejection('sentiment', 9, { by: 'x', reason: 'y' })).rejects.toBeInstanceOf(
        NotFoundError,
      );

      await store.setAlias('sentiment', 'production', 1, { actor: 'alice' });
      const refused = await store.setAlias('sentiment', 'production', 2).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(RejectedVersionError);
      expect((refused as Error).message).toBe(
        'version 2 of model "sentiment" was rejected by carol at 2026-12-06T10:00:00.000Z: worse on refunds; ' +
          'if it must serve anyway, pass --force with --reason "..." (recorded in the alias history)',
      );
      await expect(
        store.setAlias('sentiment', 'production', 2, { force: true, reason: ' ' }),
      ).rejects.toThrow(/say why with a reason/);
      expect((await store.getAlias('sentiment', 'production')).version).toBe(1);

      const forced = await store.setAlias('sentiment', 'production', 2, {
        force: true,
        reason: 'hotfix, refunds are rare',
        actor: 'dave',
      });
      expect(forced).toMatchObject({ version: 2, updatedBy: 'dave', reason: 'hotfix, refunds are rare' });
      expect((await store.aliasHistory('sentiment', 'production'))[0]).toMatchObject({
        version: 2,
        updatedBy: 'dave',
        reason: 'hotfix, refunds are rare',
        forcedOverRejection: { by: 'carol', reason: 'worse on refunds' },
      });
    });

    it('rollback passes over rejected versions', async () => {
      for (const seed of [1, 2, 3]) await register(seed);
      await store.setAlias('sentiment', 'production', 1);
      await store.recordRejection('sentiment', 2, { by: 'carol', reason: 'no' });
      await store.setAlias('sentiment', 'production', 2, { force: true, reason: 'try it' });
      await store.setAlias('sentiment', 'production', 3);
      expect((await store.rollbackAlias('sentiment', 'production')).version).toBe(1);
    });

    it('gc removes rejected versions no alias names, only when asked, keeping the rejection and the number', async () => {
      for (const seed of [1, 2, 3, 4]) await register(seed);
      await store.setAlias('sentiment', 'production', 1);
      await store.recordRejection('sentiment', 2, { by: 'carol', reason: 'no' });
      await store.recordRejection('sentiment', 3, { by: 'carol', reason: 'no' });
      await store.setAlias('sentiment', 'staging', 3, { force: true, reason: 'compare by hand' });

      expect((await store.gc({ graceMs: 0 })).removed).toEqual([]);
      const dry = await store.gc({ graceMs: 0, rejected: true, dryRun: true });
      expect(dry.removed.map((r) => [r.kind, r.id, r.keys[0]])).toEqual([
        ['rejected-version', '2', layout.manifest('sentiment', 2)],
      ]);
      expect((await store.getManifest('sentiment', 2)).version).toBe(2);

      const report = await store.gc({ graceMs: 0, rejected: true });
      expect(report.removed.map((r) => [r.kind, r.id])).toEqual([['rejected-version', '2']]);
      expect(await store.backend.list(layout.version('sentiment', 2))).toEqual([]);
      await expect(store.getManifest('sentiment', 2)).rejects.toBeInstanceOf(NotFoundError);
      expect((await store.getManifest('sentiment', 3)).version).toBe(3); // aliased: kept
      expect((await store.listVersions('sentiment', { limit: 10 })).versions.map((v) => v.version)).toEqual([
        4, 3, 1,
      ]);
      expect((await store.getRejection('sentiment', 2))?.by).toBe('carol');
      expect((await register(5)).version).toBe(5);
      expect((await store.gc({ graceMs: 0, rejected: true })).removed).toEqual([]);
    });
  });

  describe('execution objects', () => {
    it('keeps free-form execution history under executions/<id>/', async () => {
      const area = store.executions('exec-1');
      await area.put('execution.json', '{"status":"RUNNING"}');
      expect(await area.putIfAbsent('events/0001.json', '{"type":"start"}')).toBe(true);
      expect(await area.putIfAbsent('events/0001.json', '{"type":"again"}')).toBe(false);
      const current = await area.get('execution.json');
      expect(
        await area.putIfMatch('execution.json', '{"status":"SUCCEEDED"}', current?.etag ?? null),
      ).toBeTypeOf('string');
      expect(
        await area.putIfMatch('execution.json', '{"status":"FAILED"}', current?.etag ?? null),
      ).toBeUndefined();
      expect(await area.getJson('execution.json')).toEqual({ status: 'SUCCEEDED' });
      expect((await area.list()).map((o) => o.key)).toEqual(['events/0001.json', 'execution.json']);
      await store.executions('exec-2').put('execution.json', '{}');
      expect(await store.listExecutions()).toEqual(['exec-1', 'exec-2']);
      expect(() => store.executions('../etc')).toThrow(InvalidNameError);
      await expect(area.put('../x', 'y')).rejects.toThrow(InvalidNameError);
    });
  });
});

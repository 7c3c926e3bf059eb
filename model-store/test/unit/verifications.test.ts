import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { layout } from '@slipway/contracts';
import {
  CorruptManifestError,
  FileBackend,
  InvalidManifestError,
  ModelStore,
  NotFoundError,
  type VerificationInput,
} from '@slipway/model-store';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { modelFiles, trainingManifest } from '../../../test-helpers/store-fixtures.js';

let dir: string;
let store: ModelStore;
let clock = Date.parse('2026-12-07T01:00:00.000Z');
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-verifications-'));
  store = new ModelStore(new FileBackend(dir), { actor: 'alice', now: () => new Date(clock) });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const input: VerificationInput = {
  outcome: 'reproducible',
  where: 'local',
  trainer: { type: 'builtin', version: '0.1.0' },
  environment: { node: '20.20.0', onnxruntime: '1.30.0', platform: 'linux-x64', image: null },
  registeredSha256: 'a'.repeat(64),
  rebuiltSha256: 'a'.repeat(64),
  differences: [],
  predictions: null,
  summary: 'same bytes',
};

describe('verification records', () => {
  test('create-only per version, oldest first, with who and when filled by the store', async () => {
    const { version } = await store.registerModel({
      name: 'reviews',
      files: modelFiles(),
      manifest: trainingManifest('reviews'),
    });
    const first = await store.recordVerification('reviews', version, input);
    clock += 1000;
    const second = await store.recordVerification('reviews', version, {
      ...input,
      outcome: 'differs',
      by: 'ci',
    });
    expect(first).toMatchObject({ model: 'reviews', version, by: 'alice', at: '2026-12-07T01:00:00.000Z' });
    expect(second).toMatchObject({ by: 'ci', at: '2026-12-07T01:00:01.000Z', outcome: 'differs' });
    expect(first.id).not.toBe(second.id);
    expect(await store.listVerifications('reviews', version)).toEqual([first, second]);
    // Beside the version, not inside it: the version's own files never change.
    expect(first.id).toMatch(/^20261207010000000-[0-9a-f]{8}$/);
    expect(await store.backend.get(layout.verification('reviews', version, first.id))).toBeDefined();
    expect(await store.listVerifications('reviews', version + 1)).toEqual([]);
  });

  test('refused for a version that does not exist, or an outcome that is not one', async () => {
    await expect(store.recordVerification('reviews', 1, input)).rejects.toBeInstanceOf(NotFoundError);
    await store.registerModel({
      name: 'reviews',
      files: modelFiles(),
      manifest: trainingManifest('reviews'),
    });
    await expect(
      store.recordVerification('reviews', 1, { ...input, outcome: 'fine' as 'reproducible' }),
    ).rejects.toBeInstanceOf(InvalidManifestError);
    expect(await store.listVerifications('reviews', 1)).toEqual([]);
  });

  test('a record that is not a verification of that version is reported, not skipped', async () => {
    await store.registerModel({
      name: 'reviews',
      files: modelFiles(),
      manifest: trainingManifest('reviews'),
    });
    const record = await store.recordVerification('reviews', 1, input);
    await writeFile(
      join(dir, layout.verification('reviews', 1, record.id)),
      JSON.stringify({ ...record, version: 2 }),
    );
    await expect(store.listVerifications('reviews', 1)).rejects.toBeInstanceOf(CorruptManifestError);
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CorruptManifestError, FileBackend, ModelStore, type StoredObject } from '@slipway/model-store';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { modelFiles, trainingManifest } from '../../../test-helpers/store-fixtures.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-reread-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A folder backend whose reads of `key` return the first `torn` times only half of the object. */
class TornReads extends FileBackend {
  constructor(
    root: string,
    private readonly key: string,
    private torn: number,
  ) {
    super(root);
  }
  override async get(key: string): Promise<StoredObject | undefined> {
    const found = await super.get(key);
    if (!found || key !== this.key || this.torn <= 0) return found;
    this.torn -= 1;
    return { ...found, body: found.body.subarray(0, Math.floor(found.body.length / 2)) };
  }
}

async function storeWith(torn: number): Promise<ModelStore> {
  const setup = new ModelStore(new FileBackend(dir), { actor: 'ana' });
  const { version } = await setup.registerModel({
    name: 'sentiment',
    files: modelFiles(1),
    manifest: trainingManifest('sentiment'),
  });
  await setup.setAlias('sentiment', 'production', version, { expected: null });
  return new ModelStore(new TornReads(dir, 'models/sentiment/aliases/production.json', torn), {
    actor: 'ana',
  });
}

it('a record that reads torn once is read again before anything is called corrupt', async () => {
  const store = await storeWith(1);
  expect((await store.getAlias('sentiment', 'production')).version).toBe(1);
});

it('a record that is torn on the second read too is reported corrupt', async () => {
  const store = await storeWith(2);
  await expect(store.getAlias('sentiment', 'production')).rejects.toBeInstanceOf(CorruptManifestError);
});

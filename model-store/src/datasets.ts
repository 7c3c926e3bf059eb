import { DATASET_SCHEMA, type FileEntry, layout, MANIFEST_FILE } from '@slipway/contracts';
import { sha256OfFiles } from '@slipway/contracts/dataset-hash';
import { readParsed, readVerified, type StoreContext } from './context.js';
import { ConflictError, CorruptManifestError, ModelStoreError, NotFoundError } from './errors.js';
import { type DatasetManifest, encodeJson, parseRecord } from './manifest.js';
import { assertName, assertSha256 } from './names.js';
import { sha256Hex, toBytes } from './util.js';

/** A dataset version read back and verified. */
export interface StoredDataset {
  manifest: DatasetManifest;
  train: Uint8Array;
  test: Uint8Array;
}

/** Dataset versions, content-addressed, at `datasets/<dataset>/<sha256>/`. */
export class Datasets {
  constructor(private readonly ctx: StoreContext) {}

  /**
   * Stores a dataset version under its content hash (contracts' `sha256OfFiles(train, test)` unless
   * `sha256` is given). Storing the same content again is a no-op (`created: false`).
   */
  async put(
    name: string,
    input: { train: Uint8Array | string; test: Uint8Array | string; manifest?: object; sha256?: string },
  ): Promise<{ sha256: string; created: boolean; manifest: DatasetManifest }> {
    const { backend } = this.ctx;
    assertName(name, 'dataset');
    const train = toBytes(input.train);
    const test = toBytes(input.test);
    const sha256 = input.sha256 === undefined ? sha256OfFiles(train, test) : assertSha256(input.sha256);
    const files: Record<string, FileEntry> = {
      'train.jsonl': { sha256: sha256Hex(train), bytes: train.byteLength },
      'test.jsonl': { sha256: sha256Hex(test), bytes: test.byteLength },
    };
    const manifestKey = layout.datasetFile(name, sha256, MANIFEST_FILE);
    const existing = await backend.get(manifestKey);
    if (existing) {
      const manifest = parseDatasetManifest(existing.body, manifestKey, name, sha256);
      assertSameFiles(manifest.files, files, `dataset "${name}" ${sha256}`);
      return { sha256, created: false, manifest };
    }
    const extra = input.manifest && typeof input.manifest === 'object' ? structuredClone(input.manifest) : {};
    const manifest: DatasetManifest = {
      ...extra,
      schema: DATASET_SCHEMA,
      name,
      sha256,
      files,
      createdAt: this.ctx.now().toISOString(),
    };
    // Content-addressed files: a second writer writes identical bytes, so create-only conflicts are fine.
    await backend.putIfAbsent(layout.datasetFile(name, sha256, 'train.jsonl'), train);
    await backend.putIfAbsent(layout.datasetFile(name, sha256, 'test.jsonl'), test);
    if (!(await backend.putIfAbsent(manifestKey, encodeJson(manifest)))) {
      const winner = await backend.get(manifestKey);
      if (!winner) throw new ModelStoreError(`dataset manifest ${manifestKey} vanished while being written`);
      const stored = parseDatasetManifest(winner.body, manifestKey, name, sha256);
      assertSameFiles(stored.files, files, `dataset "${name}" ${sha256}`);
      return { sha256, created: false, manifest: stored };
    }
    return { sha256, created: true, manifest };
  }

  /** Reads a dataset version, verifying both files against its manifest. */
  async get(name: string, sha256: string): Promise<StoredDataset> {
    const { backend } = this.ctx;
    assertName(name, 'dataset');
    assertSha256(sha256, 'dataset sha256');
    const manifestKey = layout.datasetFile(name, sha256, MANIFEST_FILE);
    const manifest = await readParsed(backend, manifestKey, (found) =>
      parseDatasetManifest(found.body, manifestKey, name, sha256),
    );
    if (!manifest) {
      throw new NotFoundError(
        `dataset "${name}" version ${sha256} is not in ${backend.uri}; store it first (putDataset) or check the name and hash`,
        'dataset',
      );
    }
    const context = `dataset "${name}" ${sha256}`;
    const [train, test] = await Promise.all(
      ['train.jsonl', 'test.jsonl'].map((file) =>
        readVerified(backend, layout.datasetFile(name, sha256, file), file, manifest.files[file], context),
      ),
    );
    return { manifest, train: train as Uint8Array, test: test as Uint8Array };
  }

  /** The stored versions (content hashes) of a dataset. */
  async listVersions(name: string): Promise<string[]> {
    assertName(name, 'dataset');
    const prefix = layout.dataset(name);
    const objects = await this.ctx.backend.list(prefix);
    return objects
      .map((o) => o.key.slice(prefix.length).split('/'))
      .filter((parts) => parts.length === 2 && parts[1] === MANIFEST_FILE)
      .map((parts) => parts[0] as string);
  }
}

function parseDatasetManifest(body: Uint8Array, key: string, name: string, sha256: string): DatasetManifest {
  const record = parseRecord(body, key);
  const files = record.files as Record<string, FileEntry> | undefined;
  if (record.name !== name || record.sha256 !== sha256 || !files?.['train.jsonl'] || !files['test.jsonl']) {
    throw new CorruptManifestError(
      key,
      `expected a dataset manifest for "${name}" ${sha256} listing train.jsonl and test.jsonl`,
    );
  }
  return record as DatasetManifest;
}

function assertSameFiles(
  stored: Record<string, FileEntry>,
  given: Record<string, FileEntry>,
  what: string,
): void {
  for (const [file, entry] of Object.entries(given)) {
    if (stored[file]?.sha256 !== entry.sha256) {
      throw new ConflictError(
        `${what} is already stored with a different ${file} (sha256 ${stored[file]?.sha256 ?? 'none'} vs ${entry.sha256}); ` +
          'a dataset version is named by its content: use the content hash as the version',
      );
    }
  }
}

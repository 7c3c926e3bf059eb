import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { layout, MANIFEST_FILE, type ModelManifest, STORE_NAME } from '@slipway/contracts';
import { readParsed, readVerified, type StoreContext } from './context.js';
import { CorruptManifestError, InvalidManifestError, NotFoundError } from './errors.js';
import { encodeJson, lineageIds, parseStoredManifest } from './manifest.js';
import { assertName, parseVersionRef } from './names.js';
import { mapLimit } from './util.js';

/** A model version with every file read and verified against its manifest. */
export interface ModelVersion {
  name: string;
  version: number;
  manifest: ModelManifest;
  files: Record<string, Uint8Array>;
}

/** A model version written to a local folder, files verified. */
export interface MaterializedModel {
  name: string;
  version: number;
  manifest: ModelManifest;
  dir: string;
  /** File name -> absolute path. */
  paths: Record<string, string>;
}

/** One entry of a version listing; a manifest that cannot be read is reported in `problem`, not thrown. */
export interface VersionListing {
  version: number;
  manifest: ModelManifest | null;
  problem: string | null;
}

/** A page of versions, newest first; pass `nextCursor` back to get the next page. */
export interface VersionPage {
  name: string;
  versions: VersionListing[];
  nextCursor: string | null;
}

/** Lineage filters for `findVersions`; all given filters must match. */
export interface VersionQuery {
  gitCommit?: string;
  pullRequest?: number;
  executionId?: string;
  datasetSha256?: string;
}

/**
 * Reading model versions: resolving references, manifests (cached, since versions never change), verified
 * files, listings and lineage queries. Aliases are resolved through `aliasVersion`, which the aliases'
 * module answers, so this module does not import it.
 */
export class Versions {
  private readonly manifests = new Map<string, ModelManifest>();

  constructor(
    private readonly ctx: StoreContext,
    private readonly aliasVersion: (name: string, alias: string) => Promise<number>,
  ) {}

  /** Caches the manifest of a version just written. */
  remember(name: string, version: number, manifest: ModelManifest): void {
    this.manifests.set(`${name}@${version}`, manifest);
  }

  /** Drops a removed version from the cache. */
  forget(name: string, version: number): void {
    this.manifests.delete(`${name}@${version}`);
  }

  /** Resolves a version reference (number, numeric string, `latest`, or alias) to a version number. */
  async resolveVersion(name: string, ref: number | string): Promise<number> {
    assertName(name);
    const parsed = parseVersionRef(ref);
    if (parsed.kind === 'version') return parsed.version;
    if (parsed.kind === 'alias') return this.aliasVersion(name, parsed.alias);
    const latest = await this.latestVersion(name);
    if (latest === undefined) throw await this.missingModel(name);
    return latest;
  }

  /** Reads a version's manifest without reading its files. */
  async getManifest(
    name: string,
    ref: number | string,
  ): Promise<{ version: number; manifest: ModelManifest }> {
    const version = await this.resolveVersion(name, ref);
    const manifest = await this.tryManifest(name, version);
    if (!manifest) {
      const latest = await this.latestVersion(name);
      if (latest === undefined) throw await this.missingModel(name);
      throw new NotFoundError(
        `model "${name}" has no version ${version} in ${this.ctx.backend.uri} (latest is ${latest}); list versions with \`slipway models list ${name}\``,
        'version',
      );
    }
    return { version, manifest };
  }

  /** Reads a version with every file verified against the manifest's sha256. */
  async getModel(name: string, ref: number | string): Promise<ModelVersion> {
    const { version, manifest } = await this.getManifest(name, ref);
    const entries = Object.entries(manifest.files);
    const bodies = await mapLimit(entries, this.ctx.concurrency, ([file, entry]) =>
      readVerified(
        this.ctx.backend,
        layout.versionFile(name, version, file),
        file,
        entry,
        `model "${name}" version ${version}`,
      ),
    );
    const files: Record<string, Uint8Array> = {};
    entries.forEach(([file], i) => {
      files[file] = bodies[i] as Uint8Array;
    });
    return { name, version, manifest, files };
  }

  /** Reads one file of a version, verified. */
  async readModelFile(name: string, ref: number | string, file: string): Promise<Uint8Array> {
    const { version, manifest } = await this.getManifest(name, ref);
    const entry = manifest.files[file];
    if (!entry) {
      throw new NotFoundError(
        `model "${name}" version ${version} has no file "${file}" (it has ${Object.keys(manifest.files).join(', ')})`,
        'file',
      );
    }
    return readVerified(
      this.ctx.backend,
      layout.versionFile(name, version, file),
      file,
      entry,
      `model "${name}" version ${version}`,
    );
  }

  /**
   * Writes a version's files (verified) and its manifest into `dir`, e.g. to load `model.onnx` from disk.
   * Files appear complete or not at all.
   */
  async materialize(name: string, ref: number | string, dir: string): Promise<MaterializedModel> {
    const model = await this.getModel(name, ref);
    const paths: Record<string, string> = {};
    const write = async (file: string, body: Uint8Array) => {
      const target = join(dir, ...file.split('/'));
      const temp = `${target}.tmp-${randomUUID()}`;
      await mkdir(dirname(target), { recursive: true });
      await writeFile(temp, body);
      await rename(temp, target).catch(async (error) => {
        await rm(temp, { force: true });
        throw error;
      });
      return target;
    };
    for (const [file, body] of Object.entries(model.files)) paths[file] = await write(file, body);
    paths[MANIFEST_FILE] = await write(MANIFEST_FILE, encodeJson(model.manifest));
    return { name, version: model.version, manifest: model.manifest, dir, paths };
  }

  /** The models in the store, by name. */
  async listModels(): Promise<string[]> {
    const children = await this.ctx.backend.listChildren(layout.models());
    return children.filter((child) => STORE_NAME.test(child));
  }

  /**
   * Lists versions newest first, `limit` per page (default 50). One listing of the version folders, then
   * only the page's manifests are read, in parallel. A manifest that cannot be read is reported in the
   * entry's `problem`; folders of registrations that never completed are skipped.
   */
  async listVersions(
    name: string,
    options: { limit?: number; cursor?: string | null } = {},
  ): Promise<VersionPage> {
    assertName(name);
    const limit = options.limit ?? 50;
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new InvalidManifestError(`invalid page size ${limit}: use a positive integer`);
    }
    const candidates = await this.candidateVersions(name);
    if (candidates.length === 0 && !(await this.modelExists(name))) throw await this.missingModel(name);
    let start = 0;
    if (options.cursor) {
      const below = Number(options.cursor);
      if (!Number.isSafeInteger(below)) {
        throw new InvalidManifestError(
          `invalid cursor ${JSON.stringify(options.cursor)}: pass the nextCursor a listing returned`,
        );
      }
      start = candidates.findIndex((v) => v < below);
      if (start === -1) start = candidates.length;
    }
    const { versions, scanned } = await this.collectVersions(name, candidates.slice(start), limit);
    const last = versions[versions.length - 1];
    const nextCursor =
      start + scanned < candidates.length && last !== undefined ? String(last.version) : null;
    return { name, versions, nextCursor };
  }

  /** Versions whose lineage matches every given filter, newest first. Unreadable manifests are skipped. */
  async findVersions(name: string, query: VersionQuery): Promise<ModelManifest[]> {
    assertName(name);
    const candidates = await this.candidateVersions(name);
    const { versions } = await this.collectVersions(name, candidates, candidates.length);
    return versions
      .map((v) => v.manifest)
      .filter((m): m is ModelManifest => {
        if (!m) return false;
        const ids = lineageIds(m);
        return (
          (query.gitCommit === undefined || ids.gitCommit === query.gitCommit) &&
          (query.pullRequest === undefined || ids.pullRequest === query.pullRequest) &&
          (query.executionId === undefined || ids.executionId === query.executionId) &&
          (query.datasetSha256 === undefined || ids.datasetSha256 === query.datasetSha256)
        );
      });
  }

  /** The highest version that exists, if any. */
  async latestVersion(name: string): Promise<number | undefined> {
    assertName(name);
    const { versions } = await this.collectVersions(name, await this.candidateVersions(name), 1);
    return versions[0]?.version;
  }

  /**
   * Version folders, complete or not, newest first. A delimiter listing gives one entry per version
   * however many files each holds; existence is then decided by reading manifests.
   */
  private async candidateVersions(name: string): Promise<number[]> {
    const children = await this.ctx.backend.listChildren(layout.versions(name));
    return children
      .filter((child) => /^[1-9]\d*$/.test(child))
      .map(Number)
      .sort((a, b) => b - a);
  }

  /** Reads manifests of `candidates` in order until `want` versions that exist are found. */
  private async collectVersions(
    name: string,
    candidates: number[],
    want: number,
  ): Promise<{ versions: VersionListing[]; scanned: number }> {
    const versions: VersionListing[] = [];
    let scanned = 0;
    while (versions.length < want && scanned < candidates.length) {
      const batch = candidates.slice(scanned, scanned + (want - versions.length));
      scanned += batch.length;
      const read = await mapLimit(
        batch,
        this.ctx.concurrency,
        async (version): Promise<VersionListing | undefined> => {
          try {
            const manifest = await this.tryManifest(name, version);
            return manifest ? { version, manifest, problem: null } : undefined;
          } catch (error) {
            if (error instanceof CorruptManifestError)
              return { version, manifest: null, problem: error.message };
            throw error;
          }
        },
      );
      for (const entry of read) if (entry) versions.push(entry);
    }
    return { versions, scanned };
  }

  /** A version's manifest, or undefined when the version does not exist (cached: versions never change). */
  async tryManifest(name: string, version: number): Promise<ModelManifest | undefined> {
    const cacheKey = `${name}@${version}`;
    const cached = this.manifests.get(cacheKey);
    if (cached) return cached;
    const key = layout.manifest(name, version);
    const manifest = await readParsed(this.ctx.backend, key, (found) =>
      parseStoredManifest(found.body, key, name, version),
    );
    if (!manifest) return undefined;
    this.manifests.set(cacheKey, manifest); // versions never change, so caching is safe
    return manifest;
  }

  /** Whether the model was ever registered. */
  async modelExists(name: string): Promise<boolean> {
    if (await this.ctx.backend.get(layout.modelRecord(name))) return true;
    return (await this.candidateVersions(name)).length > 0;
  }

  /** The error for a model that does not exist, naming the models that do. */
  async missingModel(name: string): Promise<NotFoundError> {
    const known = await this.listModels().catch(() => []);
    return new NotFoundError(
      `model "${name}" does not exist in ${this.ctx.backend.uri}` +
        (known.length > 0 ? ` (models: ${known.join(', ')})` : ' (the store has no models yet)') +
        '; check the name or the --store URI',
      'model',
    );
  }
}

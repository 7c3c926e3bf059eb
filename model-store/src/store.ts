import { layout, MANIFEST_FILE, type ModelManifest } from '@slipway/contracts';
import { Aliases, type AliasMove, type AliasMoveOptions, type AliasRecord } from './aliases.js';
import type { ObjectInfo, StorageBackend } from './backend.js';
import { readClaim } from './claims.js';
import { type StoreContext, safeRecord } from './context.js';
import { Datasets, type StoredDataset } from './datasets.js';
import { executionArea, listExecutions, type ObjectArea } from './executions.js';
import { type DatasetManifest, encodeJson } from './manifest.js';
import { assertExecutionId } from './names.js';
import { type RegisterModelInput, type RegisterResult, Registrations } from './registration.js';
import { type RejectionRecord, Rejections } from './rejections.js';
import { ServerAnnouncements } from './servers.js';
import { mapLimit } from './util.js';
import {
  listVerifications,
  recordVerification,
  type VerificationInput,
  type VerificationRecord,
} from './verifications.js';
import {
  type MaterializedModel,
  type ModelVersion,
  type VersionPage,
  type VersionQuery,
  Versions,
} from './versions.js';

/** What `gc` removed (or would remove with `dryRun`). */
export interface GcReport {
  dryRun: boolean;
  graceMs: number;
  removed: {
    kind: 'model-version' | 'dataset-version' | 'execution-marker' | 'rejected-version';
    name: string;
    id: string;
    keys: string[];
  }[];
  interruptedWrites: number;
  inFlight: { kind: 'model-version' | 'dataset-version'; name: string; id: string }[];
}

/** Tunables; the defaults suit production. */
export interface ModelStoreOptions {
  /** Recorded as `updatedBy` / claim actor when a call gives none. */
  actor?: string;
  /** How long a registration waits for a concurrent one with the same execution id to commit. Default 30 s. */
  executionWaitMs?: number;
  /** Parallel reads/writes per call. Default 16. */
  concurrency?: number;
  now?: () => Date;
}

const DAY_MS = 86_400_000;

/**
 * The model store: immutable versions, moving aliases and lineage over any `StorageBackend`.
 *
 * @example
 * const store = await openStore('file:///var/slipway/store');
 * const { version } = await store.registerModel({ name: 'sentiment', files: './out', manifest });
 * await store.setAlias('sentiment', 'production', version, { expected: null, reason: 'first release' });
 */
export class ModelStore {
  private readonly actor: string;
  private readonly executionWaitMs: number;
  private readonly concurrency: number;
  private readonly now: () => Date;
  private readonly datasets: Datasets;
  private readonly versions: Versions;
  private readonly rejections: Rejections;
  private readonly registrations: Registrations;
  private readonly aliases: Aliases;

  constructor(
    readonly backend: StorageBackend,
    options: ModelStoreOptions = {},
  ) {
    this.actor = options.actor ?? 'unknown';
    this.executionWaitMs = options.executionWaitMs ?? 30_000;
    this.concurrency = options.concurrency ?? 16;
    this.now = options.now ?? (() => new Date());
    const ctx: StoreContext = {
      backend,
      actor: this.actor,
      executionWaitMs: this.executionWaitMs,
      concurrency: this.concurrency,
      now: this.now,
    };
    this.datasets = new Datasets(ctx);
    this.versions = new Versions(ctx, async (name, alias) => (await this.getAlias(name, alias)).version);
    this.rejections = new Rejections(ctx, this.versions);
    this.registrations = new Registrations(ctx, this.versions);
    this.aliases = new Aliases(ctx, this.versions, this.rejections);
  }

  /** The store's URI (`file:///…` or `s3://bucket/prefix/`). */
  get uri(): string {
    return this.backend.uri;
  }

  /** The endpoints serving each model, as they announce themselves (`servers.ts`). */
  get servers(): ServerAnnouncements {
    return new ServerAnnouncements(this.backend, this.now);
  }

  /** Releases the backend's connections. */
  async close(): Promise<void> {
    await this.backend.close?.();
  }

  // ---------------------------------------------------------------- datasets (datasets.ts)

  /**
   * Stores a dataset version under its content hash (contracts' `sha256OfFiles(train, test)` unless
   * `sha256` is given). Storing the same content again is a no-op (`created: false`).
   */
  async putDataset(
    name: string,
    input: { train: Uint8Array | string; test: Uint8Array | string; manifest?: object; sha256?: string },
  ): Promise<{ sha256: string; created: boolean; manifest: DatasetManifest }> {
    return this.datasets.put(name, input);
  }

  /** Reads a dataset version, verifying both files against its manifest. */
  async getDataset(name: string, sha256: string): Promise<StoredDataset> {
    return this.datasets.get(name, sha256);
  }

  /** The stored versions (content hashes) of a dataset. */
  async listDatasetVersions(name: string): Promise<string[]> {
    return this.datasets.listVersions(name);
  }

  // ---------------------------------------------------------------- registration (registration.ts)

  /**
   * Registers a new immutable version: claims the next version number with a create-only write (retrying
   * on conflict), uploads the files create-only, and writes the manifest last, create-only. The version
   * exists once its manifest does. Idempotent per execution id.
   */
  async registerModel(input: RegisterModelInput): Promise<RegisterResult> {
    return this.registrations.register(input);
  }

  // ---------------------------------------------------------------- reading versions (versions.ts)

  /** Resolves a version reference (number, numeric string, `latest`, or alias) to a version number. */
  async resolveVersion(name: string, ref: number | string): Promise<number> {
    return this.versions.resolveVersion(name, ref);
  }

  /** Reads a version's manifest without reading its files. */
  async getManifest(
    name: string,
    ref: number | string,
  ): Promise<{ version: number; manifest: ModelManifest }> {
    return this.versions.getManifest(name, ref);
  }

  /** Reads a version with every file verified against the manifest's sha256. */
  async getModel(name: string, ref: number | string): Promise<ModelVersion> {
    return this.versions.getModel(name, ref);
  }

  /** Reads one file of a version, verified. */
  async readModelFile(name: string, ref: number | string, file: string): Promise<Uint8Array> {
    return this.versions.readModelFile(name, ref, file);
  }

  /**
   * Writes a version's files (verified) and its manifest into `dir`, e.g. to load `model.onnx` from disk.
   * Files appear complete or not at all.
   */
  async materialize(name: string, ref: number | string, dir: string): Promise<MaterializedModel> {
    return this.versions.materialize(name, ref, dir);
  }

  /** The models in the store, by name. */
  async listModels(): Promise<string[]> {
    return this.versions.listModels();
  }

  /** Lists versions newest first, `limit` per page (default 50); see `Versions.listVersions`. */
  async listVersions(
    name: string,
    options: { limit?: number; cursor?: string | null } = {},
  ): Promise<VersionPage> {
    return this.versions.listVersions(name, options);
  }

  /** Versions whose lineage matches every given filter, newest first. Unreadable manifests are skipped. */
  async findVersions(name: string, query: VersionQuery): Promise<ModelManifest[]> {
    return this.versions.findVersions(name, query);
  }

  /** The highest version that exists, if any. */
  async latestVersion(name: string): Promise<number | undefined> {
    return this.versions.latestVersion(name);
  }

  // ---------------------------------------------------------------- rejections (rejections.ts)

  /**
   * Records that a version was rejected at approval (create-only: the first record stands, a retry gets
   * it back); see `Rejections.record`.
   */
  async recordRejection(
    name: string,
    version: number,
    rejection: { executionId?: string | null; by: string; reason: string; at?: string },
  ): Promise<{ record: RejectionRecord; created: boolean }> {
    return this.rejections.record(name, version, rejection);
  }

  /** The rejection of a version, or undefined when it was never rejected. */
  async getRejection(name: string, version: number): Promise<RejectionRecord | undefined> {
    return this.rejections.get(name, version);
  }

  /** Every rejected version of a model, by version number. */
  async listRejections(name: string): Promise<Map<number, RejectionRecord>> {
    return this.rejections.list(name);
  }

  // ---------------------------------------------------------------- verifications (verifications.ts)

  /** Records a verification of an existing version (create-only; see `verifications.ts`). */
  async recordVerification(
    name: string,
    version: number,
    input: VerificationInput,
  ): Promise<VerificationRecord> {
    await this.getManifest(name, version);
    return recordVerification(this.backend, name, version, input, {
      by: this.actor,
      at: this.now().toISOString(),
    });
  }

  /** Every verification of a version, oldest first. */
  async listVerifications(name: string, version: number): Promise<VerificationRecord[]> {
    return listVerifications(this.backend, name, version);
  }

  // ---------------------------------------------------------------- aliases (aliases.ts)

  /** Reads an alias; the version it names always exists. */
  async getAlias(name: string, alias: string): Promise<AliasRecord> {
    return this.aliases.get(name, alias);
  }

  /** Every alias of a model. */
  async listAliases(name: string): Promise<AliasRecord[]> {
    return this.aliases.list(name);
  }

  /** An alias's moves, newest first (a cleared alias keeps its history). */
  async aliasHistory(name: string, alias: string): Promise<AliasMove[]> {
    return this.aliases.history(name, alias);
  }

  /**
   * Moves an alias to an existing version by compare-and-swap. With `expected` (a version, or null for
   * "not set yet") the move fails with ConflictError unless the alias is there; without it the move
   * re-reads and retries until it lands.
   */
  async setAlias(
    name: string,
    alias: string,
    version: number,
    options: AliasMoveOptions = {},
  ): Promise<AliasRecord> {
    return this.aliases.set(name, alias, version, options);
  }

  /** Unsets an alias by compare-and-swap, keeping its history (see `Aliases.clear`). */
  async clearAlias(name: string, alias: string, options: AliasMoveOptions = {}): Promise<void> {
    return this.aliases.clear(name, alias, options);
  }

  /**
   * Moves an alias back to the version it had before its current one was set (repeated rollbacks walk
   * further back). Compare-and-swap on the version read, like `setAlias`.
   */
  async rollbackAlias(name: string, alias: string, options: AliasMoveOptions = {}): Promise<AliasRecord> {
    return this.aliases.rollback(name, alias, options);
  }

  // ---------------------------------------------------------------- gc

  /**
   * Removes the files of registrations that never completed and are older than `graceMs` (default 24 h):
   * version folders without a manifest (their claims are kept, marked abandoned, so numbers are never
   * reused), dataset folders without a manifest, execution markers naming a version that never appeared,
   * and a backend's interrupted-write leftovers. Completed versions are never touched.
   *
   * With `executionId`, only that execution's registrations and marker are considered: what a resumed
   * execution does when the process that ran it died mid-registration (pass `graceMs: 0`; it is safe
   * only when nothing else registers for that execution).
   */
  async gc(
    options: { graceMs?: number; dryRun?: boolean; executionId?: string; rejected?: boolean } = {},
  ): Promise<GcReport> {
    const graceMs = options.graceMs ?? DAY_MS;
    const dryRun = options.dryRun ?? false;
    const only = options.executionId;
    if (only !== undefined) assertExecutionId(only);
    const cutoff = this.now().getTime() - graceMs;
    const report: GcReport = { dryRun, graceMs, removed: [], interruptedWrites: 0, inFlight: [] };
    const remove = async (keys: string[]) => {
      if (!dryRun) await mapLimit(keys, this.concurrency, (key) => this.backend.delete(key));
    };

    for (const name of await this.listModels()) {
      const versionsPrefix = layout.versions(name);
      const byVersion = groupBy(await this.backend.list(versionsPrefix), versionsPrefix);
      const claimsPrefix = layout.claims(name);
      const claimed = (await this.backend.list(claimsPrefix))
        .map((o) => /^(\d+)\.json$/.exec(o.key.slice(claimsPrefix.length))?.[1])
        .filter((v): v is string => v !== undefined);
      const candidates = new Set([...byVersion.keys(), ...claimed]);
      for (const id of [...candidates].sort((a, b) => Number(a) - Number(b))) {
        const objects = byVersion.get(id) ?? [];
        if (objects.some((o) => o.key.endsWith(`/${MANIFEST_FILE}`) && o.key.split('/').length === 5))
          continue;
        const version = Number(id);
        const claim = await readClaim(this.backend, name, version).catch(() => undefined);
        if (only !== undefined && claim?.record.executionId !== only) continue;
        const claimedAt = claim ? Date.parse(claim.record.claimedAt) : Number.NaN;
        const newest = Math.max(
          Number.isNaN(claimedAt) ? 0 : claimedAt,
          ...objects.map((o) => o.lastModified.getTime()),
        );
        if (newest > cutoff) {
          report.inFlight.push({ kind: 'model-version', name, id });
          continue;
        }
        if (claim?.record.state === 'abandoned' && objects.length === 0) continue;
        if (!dryRun && claim && claim.record.state === 'open') {
          const abandoned = { ...claim.record, state: 'abandoned', abandonedAt: this.now().toISOString() };
          // Lost race: the registration moved on meanwhile; leave it alone.
          if (
            (await this.backend.putIfMatch(
              layout.claim(name, version),
              encodeJson(abandoned),
              claim.etag,
            )) === undefined
          ) {
            continue;
          }
        }
        const keys = objects.map((o) => o.key);
        await remove(keys);
        report.removed.push({ kind: 'model-version', name, id, keys });
      }

      if (options.rejected && only === undefined) await this.gcRejected(name, cutoff, dryRun, report);

      const markersPrefix = layout.executionMarkers(name);
      for (const marker of await this.backend.list(markersPrefix)) {
        if (marker.lastModified.getTime() > cutoff) continue;
        if (only !== undefined && marker.key !== layout.executionMarker(name, only)) continue;
        const found = await this.backend.get(marker.key);
        const version = found ? safeRecord(found.body)?.version : undefined;
        if (typeof version === 'number' && (await this.backend.get(layout.manifest(name, version)))) continue;
        await remove([marker.key]);
        report.removed.push({
          kind: 'execution-marker',
          name,
          id: marker.key.slice(markersPrefix.length, -'.json'.length),
          keys: [marker.key],
        });
      }
    }

    if (only !== undefined) return report;
    const datasets = groupBy(await this.backend.list(layout.datasets()), layout.datasets(), 2);
    for (const [id, objects] of datasets) {
      if (objects.some((o) => o.key.endsWith(`/${MANIFEST_FILE}`))) continue;
      const [name = '', sha = ''] = id.split('/');
      if (Math.max(...objects.map((o) => o.lastModified.getTime())) > cutoff) {
        report.inFlight.push({ kind: 'dataset-version', name, id: sha });
        continue;
      }
      const keys = objects.map((o) => o.key);
      await remove(keys);
      report.removed.push({ kind: 'dataset-version', name, id: sha, keys });
    }

    if (!dryRun && this.backend.sweepInterruptedWrites) {
      report.interruptedWrites = await this.backend.sweepInterruptedWrites(graceMs);
    }
    return report;
  }

  /**
   * Removes versions rejected before `cutoff` that no alias names. The manifest goes first, so the
   * version stops existing before its files do; the claim is marked abandoned (the number is never
   * reused) and the rejection record stays, so the model's history still shows the rejection.
   */
  private async gcRejected(name: string, cutoff: number, dryRun: boolean, report: GcReport): Promise<void> {
    const rejections = await this.listRejections(name);
    if (rejections.size === 0) return;
    const aliased = new Set((await this.listAliases(name)).map((a) => a.version));
    for (const [version, rejection] of [...rejections].sort(([a], [b]) => a - b)) {
      if (aliased.has(version) || Date.parse(rejection.at) > cutoff) continue;
      const prefix = layout.version(name, version);
      const objects = await this.backend.list(prefix);
      const manifestKey = layout.manifest(name, version);
      if (!objects.some((o) => o.key === manifestKey)) continue; // removed before
      const keys = [manifestKey, ...objects.map((o) => o.key).filter((k) => k !== manifestKey)];
      // The execution's marker names this version: it goes with it.
      const marker = rejection.executionId ? layout.executionMarker(name, rejection.executionId) : undefined;
      const markerBody = marker ? await this.backend.get(marker) : undefined;
      if (marker && markerBody && safeRecord(markerBody.body)?.version === version) keys.push(marker);
      if (!dryRun) {
        // Re-check just before deleting: an alias moved onto it since (with --force) keeps it.
        if ((await this.listAliases(name)).some((a) => a.version === version)) continue;
        await this.backend.delete(manifestKey);
        this.versions.forget(name, version);
        await mapLimit(keys.slice(1), this.concurrency, (key) => this.backend.delete(key));
        const claim = await readClaim(this.backend, name, version).catch(() => undefined);
        if (claim && claim.record.state === 'open') {
          const abandoned = { ...claim.record, state: 'abandoned', abandonedAt: this.now().toISOString() };
          await this.backend.putIfMatch(layout.claim(name, version), encodeJson(abandoned), claim.etag);
        }
      }
      report.removed.push({ kind: 'rejected-version', name, id: String(version), keys });
    }
  }

  // ---------------------------------------------------------------- execution records (executions.ts)

  /** Free-form objects of one execution (`executions/<id>/…`), e.g. the local runtime's history. */
  executions(executionId: string): ObjectArea {
    return executionArea(this.backend, executionId);
  }

  /** Ids of executions with stored objects (see `executions.ts`). */
  async listExecutions(): Promise<string[]> {
    return listExecutions(this.backend);
  }
}

/** Groups listed objects by the first `depth` path segments after `prefix`. */
function groupBy(objects: ObjectInfo[], prefix: string, depth = 1): Map<string, ObjectInfo[]> {
  const groups = new Map<string, ObjectInfo[]>();
  for (const object of objects) {
    const parts = object.key.slice(prefix.length).split('/');
    if (parts.length <= depth) continue;
    const id = parts.slice(0, depth).join('/');
    const group = groups.get(id) ?? [];
    group.push(object);
    groups.set(id, group);
  }
  return groups;
}

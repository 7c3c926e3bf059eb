import type { ModelManifest } from '@slipway/contracts';
import { Aliases, type AliasMove, type AliasMoveOptions, type AliasRecord } from './aliases.js';
import type { StorageBackend } from './backend.js';
import type { StoreContext } from './context.js';
import { Datasets, type StoredDataset } from './datasets.js';
import { executionArea, listExecutions, type ObjectArea } from './executions.js';
import { collectGarbage, type GcOptions, type GcParts, type GcReport } from './gc.js';
import type { DatasetManifest } from './manifest.js';
import { type RegisterModelInput, type RegisterResult, Registrations } from './registration.js';
import { type RejectionRecord, Rejections } from './rejections.js';
import { ServerAnnouncements } from './servers.js';
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

/**
 * The model store: immutable versions, moving aliases and lineage over any `StorageBackend`.
 *
 * @example
 * const store = await openStore('file:///var/slipway/store');
 * const { version } = await store.registerModel({ name: 'sentiment', files: './out', manifest });
 * await store.setAlias('sentiment', 'production', version, { expected: null, reason: 'first release' });
 */
export class ModelStore {
  private readonly ctx: StoreContext;
  private readonly datasets: Datasets;
  private readonly registrations: Registrations;
  /** Versions, aliases and rejections, which gc reads too. */
  private readonly parts: GcParts;

  constructor(
    readonly backend: StorageBackend,
    options: ModelStoreOptions = {},
  ) {
    const ctx: StoreContext = {
      backend,
      actor: options.actor ?? 'unknown',
      executionWaitMs: options.executionWaitMs ?? 30_000,
      concurrency: options.concurrency ?? 16,
      now: options.now ?? (() => new Date()),
    };
    this.ctx = ctx;
    this.datasets = new Datasets(ctx);
    const versions: Versions = new Versions(
      ctx,
      async (name, alias): Promise<number> => (await aliases.get(name, alias)).version,
    );
    const rejections = new Rejections(ctx, versions);
    const aliases: Aliases = new Aliases(ctx, versions, rejections);
    this.registrations = new Registrations(ctx, versions);
    this.parts = { versions, aliases, rejections };
  }

  /** The store's URI (`file:///…` or `s3://bucket/prefix/`). */
  get uri(): string {
    return this.backend.uri;
  }

  /** The endpoints serving each model, as they announce themselves (`servers.ts`). */
  get servers(): ServerAnnouncements {
    return new ServerAnnouncements(this.backend, this.ctx.now);
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
    return this.parts.versions.resolveVersion(name, ref);
  }

  /** Reads a version's manifest without reading its files. */
  async getManifest(
    name: string,
    ref: number | string,
  ): Promise<{ version: number; manifest: ModelManifest }> {
    return this.parts.versions.getManifest(name, ref);
  }

  /** Reads a version with every file verified against the manifest's sha256. */
  async getModel(name: string, ref: number | string): Promise<ModelVersion> {
    return this.parts.versions.getModel(name, ref);
  }

  /** Reads one file of a version, verified. */
  async readModelFile(name: string, ref: number | string, file: string): Promise<Uint8Array> {
    return this.parts.versions.readModelFile(name, ref, file);
  }

  /**
   * Writes a version's files (verified) and its manifest into `dir`, e.g. to load `model.onnx` from disk.
   * Files appear complete or not at all.
   */
  async materialize(name: string, ref: number | string, dir: string): Promise<MaterializedModel> {
    return this.parts.versions.materialize(name, ref, dir);
  }

  /** The models in the store, by name. */
  async listModels(): Promise<string[]> {
    return this.parts.versions.listModels();
  }

  /** Lists versions newest first, `limit` per page (default 50); see `Versions.listVersions`. */
  async listVersions(
    name: string,
    options: { limit?: number; cursor?: string | null } = {},
  ): Promise<VersionPage> {
    return this.parts.versions.listVersions(name, options);
  }

  /** Versions whose lineage matches every given filter, newest first. Unreadable manifests are skipped. */
  async findVersions(name: string, query: VersionQuery): Promise<ModelManifest[]> {
    return this.parts.versions.findVersions(name, query);
  }

  /** The highest version that exists, if any. */
  async latestVersion(name: string): Promise<number | undefined> {
    return this.parts.versions.latestVersion(name);
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
    return this.parts.rejections.record(name, version, rejection);
  }

  /** The rejection of a version, or undefined when it was never rejected. */
  async getRejection(name: string, version: number): Promise<RejectionRecord | undefined> {
    return this.parts.rejections.get(name, version);
  }

  /** Every rejected version of a model, by version number. */
  async listRejections(name: string): Promise<Map<number, RejectionRecord>> {
    return this.parts.rejections.list(name);
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
      by: this.ctx.actor,
      at: this.ctx.now().toISOString(),
    });
  }

  /** Every verification of a version, oldest first. */
  async listVerifications(name: string, version: number): Promise<VerificationRecord[]> {
    return listVerifications(this.backend, name, version);
  }

  // ---------------------------------------------------------------- aliases (aliases.ts)

  /** Reads an alias; the version it names always exists. */
  async getAlias(name: string, alias: string): Promise<AliasRecord> {
    return this.parts.aliases.get(name, alias);
  }

  /** Every alias of a model. */
  async listAliases(name: string): Promise<AliasRecord[]> {
    return this.parts.aliases.list(name);
  }

  /** An alias's moves, newest first (a cleared alias keeps its history). */
  async aliasHistory(name: string, alias: string): Promise<AliasMove[]> {
    return this.parts.aliases.history(name, alias);
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
    return this.parts.aliases.set(name, alias, version, options);
  }

  /** Unsets an alias by compare-and-swap, keeping its history (see `Aliases.clear`). */
  async clearAlias(name: string, alias: string, options: AliasMoveOptions = {}): Promise<void> {
    return this.parts.aliases.clear(name, alias, options);
  }

  /**
   * Moves an alias back to the version it had before its current one was set (repeated rollbacks walk
   * further back). Compare-and-swap on the version read, like `setAlias`.
   */
  async rollbackAlias(name: string, alias: string, options: AliasMoveOptions = {}): Promise<AliasRecord> {
    return this.parts.aliases.rollback(name, alias, options);
  }

  // ---------------------------------------------------------------- gc (gc.ts)

  /**
   * Removes what registrations that never completed left behind, older than `graceMs` (default 24 h),
   * and with `rejected` also rejected versions no alias names; see `collectGarbage`.
   */
  async gc(options: GcOptions = {}): Promise<GcReport> {
    return collectGarbage(this.ctx, this.parts, options);
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

import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { type FileEntry, layout, MANIFEST_FILE, type ModelManifest } from '@slipway/contracts';
import { abandonClaim, type ClaimRecord, highestClaim, readClaim } from './claims.js';
import { type StoreContext, safeRecord } from './context.js';
import { ConflictError, IntegrityError, InvalidManifestError } from './errors.js';
import { encodeJson, lineageIds, validateIncomingManifest } from './manifest.js';
import { assertExecutionId, assertFileName, assertName } from './names.js';
import { mapLimit, sha256Hex, sleep } from './util.js';
import type { Versions } from './versions.js';

/** What to register: the version's files (or a folder holding them) and the training job's manifest. */
export interface RegisterModelInput {
  name: string;
  /** File name -> bytes, or a folder whose files (except manifest.json) form the version. */
  files: Record<string, Uint8Array> | string;
  /** The manifest the training job wrote (`version: null`); extra fields are kept. */
  manifest: object;
  /** Registering twice with the same execution id returns the first version. Defaults to `manifest.lineage.executionId`. */
  executionId?: string | null;
  /** Who registers, for the claim record. */
  actor?: string;
  /** Called as the registration advances; awaited, so a caller can pace or observe it. */
  onProgress?: (event: RegisterProgress) => void | Promise<void>;
}

/** Progress of one registration. */
export type RegisterProgress =
  | { type: 'claimed'; version: number }
  | { type: 'uploaded'; version: number; file: string; bytes: number }
  | { type: 'committed'; version: number };

/** The outcome of `registerModel`: `created` is false when the execution id was already registered. */
export interface RegisterResult {
  version: number;
  manifest: ModelManifest;
  created: boolean;
}

/**
 * Registration of new immutable versions: claims, create-only uploads, the manifest last, and one version
 * per execution id (the execution marker at `models/<model>/by-execution/<id>.json`).
 */
export class Registrations {
  /** Per model, the lowest number this instance has not handed out yet (saves a listing per registration). */
  private readonly nextVersion = new Map<string, number>();
  private readonly recordedModels = new Set<string>();

  constructor(
    private readonly ctx: StoreContext,
    private readonly versions: Versions,
  ) {}

  /**
   * Registers a new immutable version: claims the next version number with a create-only write (retrying
   * on conflict), uploads the files create-only, and writes the manifest last, create-only. The version
   * exists once its manifest does. Idempotent per execution id.
   */
  async register(input: RegisterModelInput): Promise<RegisterResult> {
    const name = assertName(input.name);
    const draft = validateIncomingManifest(input.manifest, name);
    const lineageExecution = lineageIds(draft).executionId;
    const executionId = input.executionId === undefined ? lineageExecution : input.executionId;
    if (executionId !== null) assertExecutionId(executionId);
    if (executionId !== null && lineageExecution !== null && lineageExecution !== executionId) {
      throw new InvalidManifestError(
        `execution id "${executionId}" differs from the manifest's lineage.executionId "${lineageExecution}"; pass the same id or leave one out`,
      );
    }
    if (executionId !== null) {
      // Lineage is what findVersions queries: record the id there even if the trainer left it out.
      if (typeof draft.lineage !== 'object' || draft.lineage === null) draft.lineage = {};
      (draft.lineage as Record<string, unknown>).executionId = executionId;
    }
    const files = await this.collectFiles(name, input.files);
    draft.files = reconcileFiles(name, draft.files, files);

    if (executionId !== null) {
      const existing = await this.registeredByExecution(name, executionId);
      if (existing) return { ...existing, created: false };
    }

    if (!this.recordedModels.has(name)) {
      await this.ctx.backend.putIfAbsent(
        layout.modelRecord(name),
        encodeJson({ name, createdAt: this.ctx.now().toISOString() }),
      );
      this.recordedModels.add(name);
    }
    const owner = randomUUID();
    const actor = input.actor ?? this.ctx.actor;
    const claim = await this.claimVersion(name, { owner, executionId, actor });
    const version = claim.record.version;
    let markerWritten = false;
    const uploaded: string[] = [];
    try {
      await input.onProgress?.({ type: 'claimed', version });
      await mapLimit(Object.entries(files), 4, async ([file, body]) => {
        const key = layout.versionFile(name, version, file);
        if (!(await this.ctx.backend.putIfAbsent(key, body))) {
          throw new ConflictError(
            `${key} already exists although version ${version} of "${name}" was just claimed; ` +
              'the store holds files no claim accounts for: run `slipway models gc` and retry',
          );
        }
        uploaded.push(key);
        await input.onProgress?.({ type: 'uploaded', version, file, bytes: body.byteLength });
      });

      if (executionId !== null) {
        const outcome = await this.markExecution(name, executionId, version, owner);
        if (outcome.kind === 'existing') {
          await this.abandon(name, claim, uploaded);
          return { ...outcome.result, created: false };
        }
        markerWritten = true;
      }

      const current = await readClaim(this.ctx.backend, name, version);
      if (current?.record.owner !== owner || current.record.state !== 'open') {
        throw new ConflictError(
          `the claim on version ${version} of "${name}" was taken away (gc treated the registration as abandoned ` +
            'after its grace period); register again',
        );
      }
      const manifest = { ...draft, version } as unknown as ModelManifest;
      const manifestKey = layout.manifest(name, version);
      if (!(await this.ctx.backend.putIfAbsent(manifestKey, encodeJson(manifest)))) {
        throw new ConflictError(
          `${manifestKey} already exists; version ${version} of "${name}" was not overwritten`,
        );
      }
      this.versions.remember(name, version, manifest);
      await input.onProgress?.({ type: 'committed', version });
      return { version, manifest, created: true };
    } catch (error) {
      await this.abandon(name, claim, uploaded).catch(() => {});
      if (markerWritten && executionId !== null) {
        const key = layout.executionMarker(name, executionId);
        const marker = await this.ctx.backend.get(key).catch(() => undefined);
        if (marker && safeRecord(marker.body)?.owner === owner)
          await this.ctx.backend.delete(key).catch(() => {});
      }
      throw error;
    }
  }

  /** Reads files from a record or a folder, refusing names the layout cannot hold. */
  private async collectFiles(
    name: string,
    files: Record<string, Uint8Array> | string,
  ): Promise<Record<string, Uint8Array>> {
    const out: Record<string, Uint8Array> = {};
    if (typeof files === 'string') {
      let entries: string[];
      try {
        entries = (await readdir(files, { recursive: true, withFileTypes: true }))
          .filter((e) => e.isFile())
          .map((e) => relative(files, join(e.parentPath, e.name)).split(sep).join('/'));
      } catch (error) {
        throw new InvalidManifestError(
          `cannot read the files of model "${name}" from ${files}: ${(error as Error).message}; pass the training output folder`,
          { cause: error },
        );
      }
      for (const file of entries.sort()) {
        if (file === MANIFEST_FILE) continue;
        out[assertFileName(file)] = new Uint8Array(await readFile(join(files, file)));
      }
    } else {
      for (const [file, body] of Object.entries(files)) {
        if (file === MANIFEST_FILE) {
          throw new InvalidManifestError(
            `pass the manifest as "manifest", not as a file named ${MANIFEST_FILE}`,
          );
        }
        if (!(body instanceof Uint8Array)) {
          throw new InvalidManifestError(`file "${file}" of model "${name}" is not a Uint8Array`);
        }
        out[assertFileName(file)] = body;
      }
    }
    if (Object.keys(out).length === 0) {
      throw new InvalidManifestError(
        `no files given for model "${name}"; a version needs at least model.onnx`,
      );
    }
    return out;
  }

  /** Claims the next free version number with a create-only write; on conflict tries above the highest claim. */
  private async claimVersion(
    name: string,
    who: { owner: string; executionId: string | null; actor: string },
  ): Promise<{ record: ClaimRecord; etag: string }> {
    // Reserve in-process first, so concurrent registrations in one process never race each other.
    const reserve = (floor: number) => {
      const number = Math.max(floor, this.nextVersion.get(name) ?? 1);
      this.nextVersion.set(name, number + 1);
      return number;
    };
    let candidate = reserve(
      this.nextVersion.has(name) ? 1 : (await highestClaim(this.ctx.backend, name)) + 1,
    );
    for (let attempt = 0; attempt < 200; attempt++) {
      const record: ClaimRecord = {
        version: candidate,
        ...who,
        claimedAt: this.ctx.now().toISOString(),
        state: 'open',
      };
      const etag = await this.ctx.backend.putIfMatch(layout.claim(name, candidate), encodeJson(record), null);
      // A manifest without a claim (copied in by hand) still owns its number.
      if (etag !== undefined && !(await this.ctx.backend.get(layout.manifest(name, candidate)))) {
        return { record, etag };
      }
      // Another process got there first: jump above everything claimed so far.
      candidate = reserve((await highestClaim(this.ctx.backend, name)) + 1);
    }
    throw new ConflictError(
      `could not claim a version of "${name}" after 200 attempts: too many concurrent registrations; retry later`,
    );
  }

  /** Gives a claimed number up: marks the claim abandoned (numbers are never reused) and removes its files. */
  private async abandon(
    name: string,
    claim: { record: ClaimRecord; etag: string },
    keys: string[],
  ): Promise<void> {
    await abandonClaim(this.ctx, name, claim);
    await Promise.all(keys.map((key) => this.ctx.backend.delete(key)));
  }

  /** The version already registered for an execution id, if its manifest exists. */
  private async registeredByExecution(
    name: string,
    executionId: string,
  ): Promise<{ version: number; manifest: ModelManifest } | undefined> {
    const marker = await this.ctx.backend.get(layout.executionMarker(name, executionId));
    if (!marker) return undefined;
    const version = safeRecord(marker.body)?.version;
    if (typeof version !== 'number') return undefined;
    const manifest = await this.versions.tryManifest(name, version);
    return manifest ? { version, manifest } : undefined;
  }

  /**
   * Records which version an execution registered, create-only, before that version's manifest is written.
   * When another registration of the same execution got there first, waits for its manifest and returns it;
   * a marker whose manifest never appears (its writer died) is taken over.
   */
  private async markExecution(
    name: string,
    executionId: string,
    version: number,
    owner: string,
  ): Promise<
    { kind: 'marked' } | { kind: 'existing'; result: { version: number; manifest: ModelManifest } }
  > {
    const key = layout.executionMarker(name, executionId);
    const body = encodeJson({ version, executionId, owner, markedAt: this.ctx.now().toISOString() });
    const deadline = Date.now() + this.ctx.executionWaitMs;
    for (;;) {
      if (await this.ctx.backend.putIfAbsent(key, body)) return { kind: 'marked' };
      const marker = await this.ctx.backend.get(key);
      if (!marker) continue; // removed meanwhile (its writer failed): try again
      const other = safeRecord(marker.body)?.version;
      if (typeof other === 'number') {
        const manifest = await this.versions.tryManifest(name, other);
        if (manifest) return { kind: 'existing', result: { version: other, manifest } };
      }
      if (Date.now() > deadline) {
        if ((await this.ctx.backend.putIfMatch(key, body, marker.etag)) !== undefined)
          return { kind: 'marked' };
        continue;
      }
      await sleep(50);
    }
  }
}

function reconcileFiles(
  name: string,
  declared: unknown,
  files: Record<string, Uint8Array>,
): Record<string, FileEntry> {
  const computed: Record<string, FileEntry> = {};
  for (const [file, body] of Object.entries(files))
    computed[file] = { sha256: sha256Hex(body), bytes: body.byteLength };
  if (declared && typeof declared === 'object') {
    for (const [file, entry] of Object.entries(declared as Record<string, FileEntry>)) {
      const actual = computed[file];
      if (!actual) {
        throw new InvalidManifestError(
          `the manifest of model "${name}" lists "${file}" but no such file was given; pass every file the manifest lists`,
        );
      }
      if (actual.sha256 !== entry.sha256) {
        throw new IntegrityError(
          `(input) ${file}`,
          file,
          entry.sha256,
          actual.sha256,
          `cannot register model "${name}"`,
        );
      }
    }
  }
  return computed;
}

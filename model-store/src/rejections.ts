import { layout, recordId } from '@slipway/contracts';
import { readParsed, type StoreContext } from './context.js';
import { CorruptManifestError } from './errors.js';
import { encodeJson, parseRecord } from './manifest.js';
import { assertExecutionId, assertName, assertVersion } from './names.js';
import { mapLimit } from './util.js';
import type { Versions } from './versions.js';

/** A person's (or the approval timeout's) rejection of a version, at `models/<model>/rejections/<version>.json`. */
export interface RejectionRecord {
  version: number;
  executionId: string | null;
  /** Who rejected it; `timeout` when nobody decided in time, `''` when the decider is unknown. */
  by: string;
  reason: string;
  at: string;
}

/** Versions rejected at approval: one create-only record per version, kept when gc removes the version. */
export class Rejections {
  constructor(
    private readonly ctx: StoreContext,
    private readonly versions: Versions,
  ) {}

  /**
   * Records that a version was rejected at approval (create-only: the first record stands, a retry gets
   * it back). Rejected versions are marked in listings, `setAlias` refuses them without `force`,
   * rollbacks skip them, and `gc({ rejected: true })` may remove them when no alias names them.
   */
  async record(
    name: string,
    version: number,
    rejection: { executionId?: string | null; by: string; reason: string; at?: string },
  ): Promise<{ record: RejectionRecord; created: boolean }> {
    assertName(name);
    assertVersion(version);
    if (rejection.executionId) assertExecutionId(rejection.executionId);
    await this.versions.getManifest(name, version);
    const record: RejectionRecord = {
      version,
      executionId: rejection.executionId ?? null,
      by: rejection.by,
      reason: rejection.reason,
      at: rejection.at ?? this.ctx.now().toISOString(),
    };
    if (await this.ctx.backend.putIfAbsent(layout.rejection(name, version), encodeJson(record)))
      return { record, created: true };
    const existing = await this.get(name, version);
    return { record: existing ?? record, created: false };
  }

  /** The rejection of a version, or undefined when it was never rejected. */
  async get(name: string, version: number): Promise<RejectionRecord | undefined> {
    assertName(name);
    assertVersion(version);
    const key = layout.rejection(name, version);
    return readParsed(this.ctx.backend, key, (found) => parseRejection(found.body, key, version));
  }

  /** Every rejected version of a model, by version number. */
  async list(name: string): Promise<Map<number, RejectionRecord>> {
    assertName(name);
    const prefix = layout.rejections(name);
    const versions = (await this.ctx.backend.list(prefix))
      .map((o) => recordId(prefix, o.key))
      .filter((id): id is string => id !== undefined && /^[1-9]\d*$/.test(id))
      .map(Number);
    const records = await mapLimit(versions, this.ctx.concurrency, (v) => this.get(name, v));
    return new Map(records.filter((r) => r !== undefined).map((r) => [r.version, r]));
  }
}

function parseRejection(body: Uint8Array, key: string, version: number): RejectionRecord {
  const value = parseRecord(body, key);
  if (value.version !== version || typeof value.at !== 'string') {
    throw new CorruptManifestError(key, `expected a rejection record of version ${version} with "at"`);
  }
  return {
    version,
    executionId: typeof value.executionId === 'string' ? value.executionId : null,
    by: String(value.by ?? ''),
    reason: String(value.reason ?? ''),
    at: value.at,
  };
}

import { layout, recordId } from '@slipway/contracts';
import type { StorageBackend } from './backend.js';
import { readParsed, type StoreContext } from './context.js';
import { encodeJson, parseRecord } from './manifest.js';

/**
 * A version number's claim, at `models/<model>/claims/<version>.json`: written create-only before a
 * registration uploads anything, kept (marked abandoned) when the registration never completes, so a
 * number is never handed out twice.
 */
export interface ClaimRecord {
  version: number;
  owner: string;
  executionId: string | null;
  actor: string;
  claimedAt: string;
  state: 'open' | 'abandoned';
  abandonedAt?: string;
}

/** The claimed version numbers of a model, in listing order. */
export async function claimedVersions(backend: StorageBackend, name: string): Promise<number[]> {
  const prefix = layout.claims(name);
  return (await backend.list(prefix))
    .map((o) => recordId(prefix, o.key))
    .filter((id): id is string => id !== undefined && /^\d+$/.test(id))
    .map(Number);
}

/** The highest claimed version number of a model (0 when none). */
export async function highestClaim(backend: StorageBackend, name: string): Promise<number> {
  return Math.max(0, ...(await claimedVersions(backend, name)));
}

/** A claim and its tag, or undefined when the number was never claimed. */
export async function readClaim(
  backend: StorageBackend,
  name: string,
  version: number,
): Promise<{ record: ClaimRecord; etag: string } | undefined> {
  const key = layout.claim(name, version);
  return readParsed(backend, key, (found) => ({
    record: parseRecord(found.body, key) as unknown as ClaimRecord,
    etag: found.etag,
  }));
}

/**
 * Marks a claim abandoned by compare-and-swap on the tag it was read with; undefined when the claim
 * changed meanwhile (its registration moved on), else the new tag.
 */
export async function abandonClaim(
  ctx: StoreContext,
  name: string,
  claim: { record: ClaimRecord; etag: string },
): Promise<string | undefined> {
  const record: ClaimRecord = { ...claim.record, state: 'abandoned', abandonedAt: ctx.now().toISOString() };
  return ctx.backend.putIfMatch(layout.claim(name, claim.record.version), encodeJson(record), claim.etag);
}

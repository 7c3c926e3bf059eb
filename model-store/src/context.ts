import type { FileEntry } from '@slipway/contracts';
import type { StorageBackend, StoredObject } from './backend.js';
import { CorruptManifestError, IntegrityError } from './errors.js';
import { sha256Hex } from './util.js';

/** What every concern of the store shares: the backend and the store's settings (see `ModelStoreOptions`). */
export interface StoreContext {
  readonly backend: StorageBackend;
  /** Recorded as `updatedBy` / claim actor when a call gives none. */
  readonly actor: string;
  /** How long a registration waits for a concurrent one with the same execution id to commit. */
  readonly executionWaitMs: number;
  /** Parallel reads/writes per call. */
  readonly concurrency: number;
  readonly now: () => Date;
}

/**
 * Reads and parses a stored record. One that does not parse is read once more before it is called
 * corrupt: a read that raced a write (on storage whose writes are not atomic) can see a torn object
 * that the next read does not, and "restore it from a backup" would be the wrong advice.
 */
export async function readParsed<T>(
  backend: StorageBackend,
  key: string,
  parse: (found: StoredObject) => T,
): Promise<T | undefined> {
  const found = await backend.get(key);
  if (!found) return undefined;
  try {
    return parse(found);
  } catch (error) {
    if (!(error instanceof CorruptManifestError)) throw error;
    const again = await backend.get(key);
    return again ? parse(again) : undefined;
  }
}

/** Reads a file and checks it against the sha256 its manifest lists. */
export async function readVerified(
  backend: StorageBackend,
  key: string,
  file: string,
  entry: FileEntry | undefined,
  context: string,
): Promise<Uint8Array> {
  if (!entry) throw new CorruptManifestError(key, `the manifest does not list "${file}"`);
  const found = await backend.get(key);
  if (!found) throw new IntegrityError(key, file, entry.sha256, 'none (the file is missing)', context);
  const actual = sha256Hex(found.body);
  if (actual !== entry.sha256) throw new IntegrityError(key, file, entry.sha256, actual, context);
  return found.body;
}

/** A stored JSON object, or undefined when it does not parse (for records whose loss is harmless). */
export function safeRecord(body: Uint8Array): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(body));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

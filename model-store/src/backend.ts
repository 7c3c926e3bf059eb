/**
 * The storage primitives a backend implements. Everything else (version allocation, manifests,
 * checksums, aliases, lineage queries, gc) is written once on top of these in `store.ts`.
 */

/** An object's bytes and the opaque tag that `putIfMatch` compares against. */
export interface StoredObject {
  readonly body: Uint8Array;
  readonly etag: string;
}

/** One listed object. */
export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
  readonly lastModified: Date;
}

/** The few primitives a storage backend offers; keys are `/`-separated and never start with `/`. */
export interface StorageBackend {
  /** The store's URI, for messages (`file:///…` or `s3://bucket/prefix`). */
  readonly uri: string;
  /** Reads an object, or `undefined` when it does not exist. */
  get(key: string): Promise<StoredObject | undefined>;
  /** Writes an object, replacing any previous one. Readers never see a partial object. */
  put(key: string, body: Uint8Array): Promise<void>;
  /** Creates an object only if the key is free; returns false (and writes nothing) when it exists. */
  putIfAbsent(key: string, body: Uint8Array): Promise<boolean>;
  /**
   * Replaces an object only if its current tag is `etag` (or creates it only if absent when `etag` is null).
   * Returns the new tag, or `undefined` when the precondition did not hold.
   */
  putIfMatch(key: string, body: Uint8Array, etag: string | null): Promise<string | undefined>;
  /** Lists every object whose key starts with `prefix` (recursively), in key order. */
  list(prefix: string): Promise<ObjectInfo[]>;
  /** Lists the next path segment under `prefix` (which ends with `/`): the `X` of every `prefix + X + '/…'`. */
  listChildren(prefix: string): Promise<string[]>;
  /** Deletes an object; deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** Removes the backend's own leftovers of interrupted writes older than `olderThanMs`; returns how many. */
  sweepInterruptedWrites?(olderThanMs: number): Promise<number>;
  /** Releases connections. */
  close?(): Promise<void>;
}

import { layout } from '@slipway/contracts';
import type { ObjectInfo, StorageBackend, StoredObject } from './backend.js';
import { readParsed } from './context.js';
import { parseRecord } from './manifest.js';
import { assertExecutionId, assertFileName } from './names.js';
import { toBytes } from './util.js';

/** Free-form objects under one prefix (used for `executions/<id>/…`). Keys are relative to the prefix. */
export interface ObjectArea {
  readonly prefix: string;
  get(key: string): Promise<StoredObject | undefined>;
  getJson<T = unknown>(key: string): Promise<T | undefined>;
  put(key: string, body: Uint8Array | string): Promise<void>;
  putIfAbsent(key: string, body: Uint8Array | string): Promise<boolean>;
  /** Compare-and-swap; `etag` null means create-only. Returns the new etag, or undefined if the condition failed. */
  putIfMatch(key: string, body: Uint8Array | string, etag: string | null): Promise<string | undefined>;
  list(prefix?: string): Promise<ObjectInfo[]>;
  delete(key: string): Promise<void>;
}

/** Free-form objects of one execution (`executions/<id>/…`), e.g. the local runtime's history. */
export function executionArea(backend: StorageBackend, executionId: string): ObjectArea {
  const prefix = layout.execution(assertExecutionId(executionId));
  const full = (key: string) => prefix + assertFileName(key);
  return {
    prefix,
    get: async (key) => backend.get(full(key)),
    async getJson<T>(key: string) {
      return readParsed(backend, full(key), (found) => parseRecord(found.body, full(key)) as T);
    },
    put: async (key, body) => backend.put(full(key), toBytes(body)),
    putIfAbsent: async (key, body) => backend.putIfAbsent(full(key), toBytes(body)),
    putIfMatch: async (key, body, etag) => backend.putIfMatch(full(key), toBytes(body), etag),
    async list(sub = '') {
      const objects = await backend.list(prefix + sub);
      return objects.map((o) => ({ ...o, key: o.key.slice(prefix.length) }));
    },
    delete: async (key) => backend.delete(full(key)),
  };
}

/**
 * Ids of executions with stored objects. Finds an execution by an object directly under
 * `executions/<id>/`, so keep at least one object (e.g. `execution.json`) at that level.
 */
export function listExecutions(backend: StorageBackend): Promise<string[]> {
  return backend.listChildren(layout.executions());
}

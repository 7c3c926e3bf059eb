import { createHash, randomBytes } from 'node:crypto';
import { link, mkdir, readdir, readFile, rename, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ObjectInfo, StorageBackend, StoredObject } from '../backend.js';
import { StorageError } from '../errors.js';

/** A lock older than this, or held by a dead process on this host, is taken over. */
const STALE_LOCK_MS = 30_000;
const LOCK_WAIT_MS = 15_000;
const TEMP_MARK = '.tmp-';

function hash(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}

function code(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error
    ? String((error as NodeJS.ErrnoException).code)
    : undefined;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Stores objects as files under a root folder.
 * - Nothing is ever visible half-written: every write goes to a hidden temp file first, then is
 *   renamed (replace) or hard-linked (create-only: `link` fails with EEXIST if the key exists).
 * - Compare-and-swap takes a per-key lock file created with O_EXCL; a lock left by a dead process on this
 *   host, or older than 30 s, is taken over.
 * - Writes are not fsync'ed: a process crash never leaves a partial file, a power loss may lose recent writes.
 */
export class FileBackend implements StorageBackend {
  readonly uri: string;

  constructor(readonly root: string) {
    this.uri = pathToFileURL(root).href;
  }

  private path(key: string): string {
    return join(this.root, ...key.split('/'));
  }

  async get(key: string): Promise<StoredObject | undefined> {
    try {
      const body = new Uint8Array(await readFile(this.path(key)));
      return { body, etag: hash(body) };
    } catch (error) {
      const c = code(error);
      if (c === 'ENOENT' || c === 'EISDIR' || c === 'ENOTDIR') return undefined;
      throw this.failure('read', key, error);
    }
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    const target = this.path(key);
    const temp = await this.writeTemp(key, target, body);
    try {
      await rename(temp, target);
    } catch (error) {
      await unlink(temp).catch(() => {});
      throw this.failure('write', key, error);
    }
  }

  async putIfAbsent(key: string, body: Uint8Array): Promise<boolean> {
    const target = this.path(key);
    const temp = await this.writeTemp(key, target, body);
    try {
      await link(temp, target);
      return true;
    } catch (error) {
      if (code(error) === 'EEXIST') return false;
      throw this.failure('create', key, error);
    } finally {
      await unlink(temp).catch(() => {});
    }
  }

  async putIfMatch(key: string, body: Uint8Array, etag: string | null): Promise<string | undefined> {
    if (etag === null) return (await this.putIfAbsent(key, body)) ? hash(body) : undefined;
    const target = this.path(key);
    return this.withLock(key, target, async () => {
      const current = await this.get(key);
      if (current?.etag !== etag) return undefined;
      await this.put(key, body);
      return hash(body);
    });
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const slash = prefix.lastIndexOf('/');
    const base = prefix.slice(0, slash + 1);
    const found: ObjectInfo[] = [];
    const walk = async (relative: string): Promise<void> => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await readdir(this.path(relative || '.'), { withFileTypes: true });
      } catch (error) {
        const c = code(error);
        if (c === 'ENOENT' || c === 'ENOTDIR') return;
        throw this.failure('list', relative, error);
      }
      await Promise.all(
        entries.map(async (entry) => {
          if (entry.name.startsWith('.')) return; // temp and lock files
          const key = `${relative}${entry.name}`;
          if (entry.isDirectory()) {
            if (key.startsWith(prefix) || prefix.startsWith(`${key}/`)) await walk(`${key}/`);
          } else if (entry.isFile() && key.startsWith(prefix)) {
            try {
              const info = await stat(this.path(key));
              found.push({ key, size: info.size, lastModified: info.mtime });
            } catch (error) {
              if (code(error) !== 'ENOENT') throw this.failure('list', key, error);
            }
          }
        }),
      );
    };
    await walk(base);
    return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async listChildren(prefix: string): Promise<string[]> {
    try {
      const entries = await readdir(this.path(prefix || '.'), { withFileTypes: true });
      return entries
        .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
        .map((e) => e.name)
        .sort();
    } catch (error) {
      const c = code(error);
      if (c === 'ENOENT' || c === 'ENOTDIR') return [];
      throw this.failure('list', prefix, error);
    }
  }

  async delete(key: string): Promise<void> {
    const target = this.path(key);
    try {
      await unlink(target);
    } catch (error) {
      if (code(error) !== 'ENOENT') throw this.failure('delete', key, error);
    }
    // Drop directories left empty, so listings of children stay truthful.
    let dir = dirname(target);
    while (dir.startsWith(this.root + sep) && dir !== this.root) {
      try {
        await rmdir(dir);
      } catch {
        break;
      }
      dir = dirname(dir);
    }
  }

  async sweepInterruptedWrites(olderThanMs: number): Promise<number> {
    let removed = 0;
    const cutoff = Date.now() - olderThanMs;
    const walk = async (dir: string): Promise<void> => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) await walk(path);
        else if (entry.name.startsWith('.') && entry.name.includes(TEMP_MARK)) {
          const info = await stat(path).catch(() => undefined);
          if (info && info.mtimeMs < cutoff) {
            await unlink(path).catch(() => {});
            removed += 1;
          }
        }
      }
    };
    await walk(this.root);
    return removed;
  }

  private async writeTemp(key: string, target: string, body: Uint8Array): Promise<string> {
    const dir = dirname(target);
    const temp = join(
      dir,
      `.${target.slice(dir.length + 1)}${TEMP_MARK}${process.pid}-${randomBytes(6).toString('hex')}`,
    );
    try {
      await mkdir(dir, { recursive: true });
      await writeFile(temp, body, { flag: 'wx' });
      return temp;
    } catch (error) {
      await unlink(temp).catch(() => {});
      throw this.failure('write', key, error);
    }
  }

  private async withLock<T>(key: string, target: string, fn: () => Promise<T>): Promise<T> {
    const dir = dirname(target);
    const lock = join(dir, `.${target.slice(dir.length + 1)}.lock`);
    const deadline = Date.now() + LOCK_WAIT_MS;
    await mkdir(dir, { recursive: true }).catch((error) => {
      throw this.failure('lock', key, error);
    });
    for (;;) {
      try {
        await writeFile(lock, JSON.stringify({ pid: process.pid, host: hostname(), at: Date.now() }), {
          flag: 'wx',
        });
        break;
      } catch (error) {
        if (code(error) !== 'EEXIST') throw this.failure('lock', key, error);
      }
      if (await this.breakStaleLock(lock)) continue;
      if (Date.now() > deadline) {
        throw new StorageError(
          `timed out after ${LOCK_WAIT_MS} ms waiting for the lock ${lock} on ${key}; ` +
            'if no slipway process is using this store, delete that lock file and retry',
        );
      }
      await sleep(2 + Math.random() * 10);
    }
    try {
      return await fn();
    } finally {
      await unlink(lock).catch(() => {});
    }
  }

  /** Takes over a lock whose holder is gone. Returns true when the caller should try to lock again. */
  private async breakStaleLock(lock: string): Promise<boolean> {
    const judged = await stat(lock).catch(() => undefined);
    if (!judged) return true; // released meanwhile
    // An unreadable holder record is a lock being written right now: judge it by age only.
    const holder = await readFile(lock, 'utf8')
      .then((text) => JSON.parse(text) as { pid?: unknown; host?: unknown })
      .catch(() => ({}) as { pid?: unknown; host?: unknown });
    const deadHolder =
      holder.host === hostname() && typeof holder.pid === 'number' && !processAlive(holder.pid);
    if (!deadHolder && Date.now() - judged.mtimeMs < STALE_LOCK_MS) return false;
    const moved = `${lock}.stale-${randomBytes(6).toString('hex')}`;
    try {
      await rename(lock, moved);
    } catch {
      return true; // someone else took it over first
    }
    const taken = await stat(moved).catch(() => undefined);
    if (taken && taken.ino !== judged.ino) {
      // A fresh lock replaced the stale one between our checks: give it back.
      await link(moved, lock).catch(() => {});
    }
    await unlink(moved).catch(() => {});
    return true;
  }

  private failure(operation: string, key: string, error: unknown): StorageError {
    const c = code(error);
    const hint =
      c === 'EACCES' || c === 'EPERM'
        ? 'check the permissions of the store folder'
        : c === 'ENOSPC'
          ? 'free some disk space'
          : 'check the store folder';
    return new StorageError(
      `cannot ${operation} ${key} in ${this.uri}: ${error instanceof Error ? error.message : String(error)}; ${hint}`,
      { cause: error },
    );
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return code(error) === 'EPERM';
  }
}

import { hostname } from 'node:os';
import { layout, recordId } from '@slipway/contracts';
import type { StorageBackend } from './backend.js';
import { InvalidNameError } from './errors.js';
import { assertAlias, assertName } from './names.js';

/** The record a serving process keeps at `models/<model>/servers/<id>.json` while it serves. */
export interface ServerAnnouncement {
  readonly schema: typeof SERVER_SCHEMA;
  /** Unique per server: the host, the serving process's id and its port. */
  readonly id: string;
  readonly url: string;
  readonly model: string;
  readonly alias: string;
  /** The version it answers with now; null before its first load. */
  readonly version: number | null;
  readonly pid: number;
  /** The machine it runs on. */
  readonly host: string;
  /** Processes sharing the port (`slipway serve --workers`). */
  readonly workers: number;
  readonly startedAt: string;
  readonly updatedAt: string;
  /** After this, nobody vouches for the server any more: readers ignore the record. */
  readonly expiresAt: string;
}

/** What a server says about itself; the rest of the record is filled in. */
export interface ServerInfo {
  readonly url: string;
  readonly model: string;
  readonly alias: string;
  readonly version: number | null;
  readonly port: number;
  readonly workers?: number;
  /** Default: this process. */
  readonly pid?: number;
  /** Default: this machine's name. */
  readonly host?: string;
}

export const SERVER_SCHEMA = 'slipway.server/v1';
const SERVER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/**
 * The endpoints serving each model, as they announce themselves: a record per server, rewritten as a
 * heartbeat, ignored once expired, removed on a clean stop. The store's facade hands one out as
 * `store.servers`.
 * @example const live = await store.servers.list('sentiment'); // [{ url, version, pid, host, … }]
 */
export class ServerAnnouncements {
  constructor(
    private readonly backend: StorageBackend,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Writes (or rewrites) a server's record, valid for `ttlMs` from now. */
  async announce(
    info: ServerInfo,
    options: { readonly ttlMs: number; readonly startedAt?: string },
  ): Promise<ServerAnnouncement> {
    assertName(info.model);
    assertAlias(info.alias);
    const host = info.host ?? hostname();
    const pid = info.pid ?? process.pid;
    const now = this.now();
    const record: ServerAnnouncement = {
      schema: SERVER_SCHEMA,
      id: serverId(host, pid, info.port),
      url: info.url,
      model: info.model,
      alias: info.alias,
      version: info.version,
      pid,
      host,
      workers: info.workers ?? 1,
      startedAt: options.startedAt ?? now.toISOString(),
      updatedAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + options.ttlMs).toISOString(),
    };
    await this.backend.put(
      layout.server(record.model, record.id),
      new TextEncoder().encode(JSON.stringify(record)),
    );
    return record;
  }

  /** Removes a server's record (a clean stop); a missing one is not an error. */
  async withdraw(model: string, id: string): Promise<void> {
    await this.backend.delete(layout.server(assertName(model), assertServerId(id)));
  }

  /** The model's servers whose records have not expired, oldest first. Unreadable records are skipped. */
  async list(model: string): Promise<ServerAnnouncement[]> {
    const prefix = layout.servers(assertName(model));
    const now = this.now().getTime();
    const objects = (await this.backend.list(prefix)).filter((o) => o.key.endsWith('.json'));
    const found = await Promise.all(
      objects.map(async (o) => {
        const got = await this.backend.get(o.key);
        return got ? parseAnnouncement(got.body, model) : undefined;
      }),
    );
    return found
      .filter((r): r is ServerAnnouncement => r !== undefined && Date.parse(r.expiresAt) > now)
      .sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : 0));
  }
}

/**
 * The model's server records nobody has vouched for since before `before`: expired then, or unreadable
 * and last written then. gc removes them (a server killed outright never withdraws its own); a server
 * that is in fact alive writes its record again at its next beat.
 */
export async function staleServerRecords(
  backend: StorageBackend,
  model: string,
  before: number,
): Promise<{ id: string; key: string }[]> {
  const prefix = layout.servers(assertName(model));
  const stale: { id: string; key: string }[] = [];
  for (const object of await backend.list(prefix)) {
    const id = recordId(prefix, object.key);
    if (id === undefined) continue;
    const found = await backend.get(object.key);
    if (!found) continue;
    const record = parseAnnouncement(found.body, model);
    const vouchedUntil = record ? Date.parse(record.expiresAt) : object.lastModified.getTime();
    if (vouchedUntil < before) stale.push({ id, key: object.key });
  }
  return stale;
}

/** A running heartbeat: `update` when the served version changes, `stop` on a clean stop. */
export interface Heartbeat {
  readonly id: string;
  update(version: number | null): Promise<void>;
  /** Stops the beats and removes the record. */
  stop(): Promise<void>;
}

/**
 * Announces a server now and every `intervalMs` (default 10 s) until stopped; each record is valid for
 * three intervals, so a server killed outright drops out within 30 s. A failed write is reported to
 * `onError` and tried again at the next beat: serving never depends on it.
 * @example const beat = await startHeartbeat(store.servers, { url, model, alias, version, port });
 */
export async function startHeartbeat(
  servers: ServerAnnouncements,
  info: ServerInfo,
  options: { readonly intervalMs?: number; readonly onError?: (error: unknown) => void } = {},
): Promise<Heartbeat> {
  const intervalMs = options.intervalMs ?? 10_000;
  const ttlMs = intervalMs * 3;
  const onError = options.onError ?? (() => {});
  let current = info;
  let stopped = false;
  const first = await servers.announce(current, { ttlMs });
  let writing: Promise<unknown> = Promise.resolve();
  const beat = () => {
    writing = writing
      .then(() => (stopped ? undefined : servers.announce(current, { ttlMs, startedAt: first.startedAt })))
      .catch(onError);
    return writing;
  };
  const timer = setInterval(() => void beat(), intervalMs);
  timer.unref();
  return {
    id: first.id,
    async update(version) {
      current = { ...current, version };
      await beat();
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await writing;
      await servers.withdraw(info.model, first.id).catch(onError);
    },
  };
}

function serverId(host: string, pid: number, port: number): string {
  const cleaned =
    host
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/^[^A-Za-z0-9]+/, '')
      .slice(0, 150) || 'host';
  return `${cleaned}-${pid}-${port}`;
}

function assertServerId(id: string): string {
  if (!SERVER_ID.test(id) || id.includes('..'))
    throw new InvalidNameError(`invalid server id ${JSON.stringify(id)}`);
  return id;
}

function parseAnnouncement(body: Uint8Array, model: string): ServerAnnouncement | undefined {
  try {
    const r = JSON.parse(new TextDecoder().decode(body)) as Partial<ServerAnnouncement>;
    const ok =
      r.schema === SERVER_SCHEMA &&
      r.model === model &&
      typeof r.id === 'string' &&
      typeof r.url === 'string' &&
      typeof r.alias === 'string' &&
      (r.version === null || typeof r.version === 'number') &&
      typeof r.pid === 'number' &&
      typeof r.host === 'string' &&
      typeof r.workers === 'number' &&
      typeof r.startedAt === 'string' &&
      typeof r.updatedAt === 'string' &&
      typeof r.expiresAt === 'string' &&
      !Number.isNaN(Date.parse(r.expiresAt));
    return ok ? (r as ServerAnnouncement) : undefined;
  } catch {
    return undefined;
  }
}

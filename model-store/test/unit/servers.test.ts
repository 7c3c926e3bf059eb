import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { layout } from '@slipway/contracts';
import { FileBackend, ModelStore, type ServerAnnouncements, startHeartbeat } from '@slipway/model-store';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

describe('server announcements', () => {
  let root: string;
  let backend: FileBackend;
  let clock: Date;
  let servers: ServerAnnouncements;
  const info = {
    url: 'http://127.0.0.1:8080',
    model: 'tickets',
    alias: 'production',
    version: 3,
    port: 8080,
  };

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'slipway-servers-'));
    backend = new FileBackend(root);
    clock = new Date('2026-12-07T10:00:00.000Z');
    servers = new ModelStore(backend, { now: () => clock }).servers;
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('keeps one record per server under the model, with where it runs and what it serves', async () => {
    const record = await servers.announce({ ...info, workers: 4 }, { ttlMs: 30_000 });
    expect(record).toEqual({
      schema: 'slipway.server/v1',
      id: `${hostname().replace(/[^A-Za-z0-9._-]+/g, '-')}-${process.pid}-8080`,
      url: 'http://127.0.0.1:8080',
      model: 'tickets',
      alias: 'production',
      version: 3,
      pid: process.pid,
      host: hostname(),
      workers: 4,
      startedAt: '2026-12-07T10:00:00.000Z',
      updatedAt: '2026-12-07T10:00:00.000Z',
      expiresAt: '2026-12-07T10:00:30.000Z',
    });
    expect((await backend.list('models/')).map((o) => o.key)).toEqual([layout.server('tickets', record.id)]);
    expect(layout.server('tickets', record.id)).toBe(`models/tickets/servers/${record.id}.json`);
    // A second server (another port) is a second record; the same server rewrites its own.
    await servers.announce({ ...info, port: 8081, url: 'http://127.0.0.1:8081' }, { ttlMs: 30_000 });
    await servers.announce({ ...info, version: 4 }, { ttlMs: 30_000 });
    const listed = await servers.list('tickets');
    expect(listed.map((r) => [r.url, r.version])).toEqual([
      ['http://127.0.0.1:8080', 4],
      ['http://127.0.0.1:8081', 3],
    ]);
    expect(await servers.list('other')).toEqual([]);
  });

  it('ignores a record once it expired (a server killed outright) and one it cannot read', async () => {
    await servers.announce(info, { ttlMs: 30_000 });
    await backend.put(layout.server('tickets', 'garbage'), new TextEncoder().encode('{"schema":'));
    clock = new Date('2026-12-07T10:00:29.999Z');
    expect(await servers.list('tickets')).toHaveLength(1);
    clock = new Date('2026-12-07T10:00:30.000Z');
    expect(await servers.list('tickets')).toEqual([]);
  });

  it('a heartbeat renews the record, follows the served version and removes the record on stop', async () => {
    const errors: unknown[] = [];
    const beat = await startHeartbeat(servers, info, {
      intervalMs: 60_000,
      onError: (e) => errors.push(e),
    });
    expect((await servers.list('tickets')).map((r) => r.version)).toEqual([3]);
    clock = new Date('2026-12-07T10:00:20.000Z');
    await beat.update(4);
    const [renewed] = await servers.list('tickets');
    expect(renewed).toMatchObject({
      version: 4,
      startedAt: '2026-12-07T10:00:00.000Z',
      updatedAt: '2026-12-07T10:00:20.000Z',
      expiresAt: '2026-12-07T10:03:20.000Z',
    });
    await beat.stop();
    expect(await backend.list('models/')).toEqual([]);
    expect(errors).toEqual([]);
  });
});

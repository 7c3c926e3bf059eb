/**
 * DNS rebinding: a page on evil.example whose name is made to resolve to 127.0.0.1 sends requests with
 * `Host: evil.example`. The console answers only Host names it was started with, whatever `--host` is.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ConsoleServer, startConsole } from '@slipway/console';
import { type ModelStore, openStore } from '@slipway/model-store';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { pageToken } from '../helpers/console.js';

let dir: string;
let store: ModelStore;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-console-host-'));
  store = await openStore(`file://${dir}/store`);
});
afterAll(async () => {
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

/** A request to 127.0.0.1:`port` that names `host` in its Host header, as a rebound browser would. */
function raw(port: number, method: string, path: string, headers: Record<string, string>, body?: string) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe.each(['127.1', 'localhost'])('a console started with --host %s', (host) => {
  let server: ConsoleServer;
  let port: number;
  let token: string;
  beforeAll(async () => {
    server = await startConsole({ store, host, port: 0, actor: 'ana' });
    port = Number(new URL(server.url).port);
    token = await pageToken(`http://127.0.0.1:${port}`);
  });
  afterAll(async () => {
    await server?.close();
  });

  test('refuses Host: evil.example: no page, no token, no read, no approval', async () => {
    const page = await raw(port, 'GET', '/', { host: `evil.example:${port}` });
    expect(page.status).toBe(403);
    expect(page.body).not.toContain(token);
    expect(JSON.parse(page.body).error.message).toContain(`not "evil.example:${port}"`);
    expect((await raw(port, 'GET', '/api/executions', { host: 'evil.example' })).status).toBe(403);
    // Refused before the route is looked at: a 404 for the unknown execution would mean it got through.
    const approve = await raw(
      port,
      'POST',
      '/api/executions/20260101t000000-000000/approve',
      {
        host: `evil.example:${port}`,
        origin: `http://evil.example:${port}`,
        'content-type': 'application/json',
        'x-slipway-token': token,
      },
      '{}',
    );
    expect(approve.status).toBe(403);
  });

  test('answers the name it was started with and the loopback names, on its own port only', async () => {
    for (const name of [host, '127.0.0.1', 'localhost', '[::1]']) {
      expect((await raw(port, 'GET', '/api/info', { host: `${name}:${port}` })).status, name).toBe(200);
    }
    expect((await raw(port, 'GET', '/api/info', { host: `${host}:${port + 1}` })).status).toBe(403);
    expect((await raw(port, 'GET', '/api/info', { host: `user@127.0.0.1:${port}` })).status).toBe(403);
  });
});

test('a console beyond loopback is refused without allowRemote, before it listens', async () => {
  await expect(startConsole({ store, host: '0.0.0.0', port: 0 })).rejects.toThrow(
    /the console would listen on 0\.0\.0\.0 \(0\.0\.0\.0\), beyond loopback.*pass --allow-remote/,
  );
});

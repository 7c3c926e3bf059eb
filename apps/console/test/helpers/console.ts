import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ConsoleOptions, type ConsoleServer, startConsole } from '@slipway/console';
import { type ModelStore, openStore } from '@slipway/model-store';
import { LocalPipeline, storeDataset } from '@slipway/runner-local';

export interface ConsoleFixture {
  readonly dir: string;
  readonly store: ModelStore;
  readonly pipeline: LocalPipeline;
  readonly console: ConsoleServer;
  readonly dataset: { readonly name: string; readonly sha256: string };
  close(): Promise<void>;
}

/**
 * A console on an ephemeral loopback port over a fresh folder store holding the built-in sentiment
 * dataset, with its own local pipeline (short polls and retries, endpoint on an ephemeral port).
 * Everything is real: training child processes, onnxruntime, the inference endpoint.
 */
export async function consoleFixture(options: Partial<ConsoleOptions> = {}): Promise<ConsoleFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-console-'));
  const store = await openStore(`file://${dir}/store`);
  const { dataset } = await storeDataset(store, 'builtin:sentiment');
  let server: ConsoleServer | undefined;
  const pipeline = new LocalPipeline({
    store,
    port: 0,
    retryIntervalMs: 10,
    decisionPollMs: 50,
    servePollMs: 100,
    smokeTimeoutMs: 5_000,
    consoleUrl: (id) => server?.executionUrl(id) ?? '',
  });
  server = await startConsole({
    store,
    pipeline,
    port: 0,
    actor: 'ana',
    pollMs: 100,
    datasets: ['builtin:sentiment'],
    runDefaults: { thresholds: { minAccuracy: 0.6, maxRegression: 0.02, minClassF1: 0 } },
    ...options,
  });
  const console = server;
  return {
    dir,
    store,
    pipeline,
    console,
    dataset: { name: dataset.name, sha256: dataset.sha256 },
    close: async () => {
      await console.close();
      await pipeline.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A JSON request to the console the way its page makes it (same origin, with the page's token). */
export async function api(
  base: string,
  path: string,
  init: { method?: string; body?: unknown; token?: string | null; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: unknown }> {
  const method = init.method ?? (init.body === undefined ? 'GET' : 'POST');
  const headers: Record<string, string> = { ...init.headers };
  if (method === 'POST') {
    headers['content-type'] ??= 'application/json';
    if (init.token) headers['x-slipway-token'] = init.token;
  }
  const response = await fetch(`${base}${path}`, {
    method,
    headers,
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** The per-page token, read from the page as a browser would. */
export async function pageToken(base: string): Promise<string> {
  const html = await (await fetch(`${base}/`)).text();
  const token = /<meta name="slipway-token" content="([^"]+)">/.exec(html)?.[1];
  if (!token) throw new Error('the page carries no token');
  return token;
}

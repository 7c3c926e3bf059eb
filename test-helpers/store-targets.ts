import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type OpenStoreOptions, openStore } from '@slipway/model-store';
import { LOCAL_S3_CREDENTIALS, type LocalS3, startLocalS3 } from './s3-server.js';

/**
 * A backend the contract suite runs against. `freshUri()` names an empty store each time; `childEnv()`
 * is what a separate process needs to reach it (endpoint, credentials).
 */
export interface StoreTarget {
  readonly name: string;
  /** False when the target cannot run here (the real-bucket target without SLIPWAY_TEST_S3_URI). */
  readonly available: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  freshUri(): string;
  options(): OpenStoreOptions;
  childEnv(): Record<string, string>;
}

/** A folder in a temp dir. */
export function folderTarget(): StoreTarget {
  let root = '';
  let n = 0;
  return {
    name: 'folder',
    available: true,
    async start() {
      root = await mkdtemp(join(tmpdir(), 'slipway-store-'));
    },
    async stop() {
      if (root) await rm(root, { recursive: true, force: true });
    },
    freshUri: () => `file://${join(root, `store-${++n}`)}`,
    options: () => ({}),
    childEnv: () => ({}),
  };
}

/** s3rver on 127.0.0.1 behind the conditional-write proxy (see conditional-proxy.ts). */
export function localS3Target(): StoreTarget {
  let server: LocalS3 | undefined;
  let n = 0;
  const running = () => {
    if (!server) throw new Error('local S3 target not started');
    return server;
  };
  return {
    name: 's3 (local s3rver + conditional proxy)',
    available: true,
    async start() {
      server = await startLocalS3();
    },
    async stop() {
      await server?.stop();
    },
    freshUri: () => `s3://${running().bucket}/store-${++n}`,
    options: () => ({ endpoint: running().endpoint, credentials: { ...LOCAL_S3_CREDENTIALS } }),
    childEnv: () => ({
      AWS_ENDPOINT_URL_S3: running().endpoint,
      AWS_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
    }),
  };
}

/**
 * A real bucket named by SLIPWAY_TEST_S3_URI (e.g. s3://my-bucket/slipway-tests), reached with the default
 * credential chain (and AWS_ENDPOINT_URL_S3 if set). Each run writes under a fresh prefix and deletes it.
 */
function realS3Target(env: Record<string, string | undefined> = process.env): StoreTarget {
  const base = env.SLIPWAY_TEST_S3_URI?.replace(/\/+$/, '');
  const run = `run-${Date.now()}-${randomBytes(4).toString('hex')}`;
  let n = 0;
  return {
    name: `s3 (real bucket ${base ?? 'unset'})`,
    available: base !== undefined && base !== '',
    async start() {},
    async stop() {
      if (!base) return;
      const store = await openStore(`${base}/${run}`);
      for (const object of await store.backend.list('')) await store.backend.delete(object.key);
      await store.close();
    },
    freshUri: () => `${base}/${run}/store-${++n}`,
    options: () => ({}),
    childEnv: () => ({}),
  };
}

/** Every target: folder, local S3, and the real bucket when SLIPWAY_TEST_S3_URI names one. */
export function allTargets(): StoreTarget[] {
  return [folderTarget(), localS3Target(), realS3Target()];
}

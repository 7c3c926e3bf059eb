/**
 * A stalled S3 endpoint: a loopback TCP server that accepts connections and never answers. Every call
 * must end with an error naming the call that timed out, never hang (5 of 240 CLI processes once did).
 */
import { openStore, StorageError } from '@slipway/model-store';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LOCAL_S3_CREDENTIALS } from '../../../test-helpers/s3-server.js';
import { type StalledServer, startStalledServer } from '../../../test-helpers/stalled-server.js';

let stalled: StalledServer;

beforeAll(async () => {
  stalled = await startStalledServer();
});
afterAll(async () => {
  await stalled.stop();
});

it('a store whose S3 endpoint never answers fails the call with its name instead of hanging', async () => {
  const store = await openStore('s3://stalled-bucket/models', {
    endpoint: stalled.endpoint,
    credentials: LOCAL_S3_CREDENTIALS,
    awsLimits: { connectionTimeoutMs: 1_000, requestTimeoutMs: 1_000, maxAttempts: 2 },
  });
  try {
    const error = await store.getManifest('sentiment', 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as Error).message).toMatch(
      /^S3Client GetObjectCommand timed out after 2 attempts \(connection timeout 1000 ms, request timeout 1000 ms\): .*, to read s3:\/\/stalled-bucket\/models\/models\/sentiment\/versions\/1\/manifest\.json: check the network/,
    );
    // The standard retry mode tried again (with jitter) on the same stalled server.
    expect(stalled.sockets.size).toBeGreaterThanOrEqual(2);
  } finally {
    await store.close();
  }
});

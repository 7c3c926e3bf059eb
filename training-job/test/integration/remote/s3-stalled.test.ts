/**
 * The Fargate training container's S3 client against a stalled endpoint: a loopback TCP server that
 * accepts connections and never answers. Reading a dataset or writing the model must fail with the
 * call's name after the timeouts, never hang the task until its own (hours-long) timeout.
 */

import { afterAll, beforeAll, expect, it } from 'vitest';
import { type StalledServer, startStalledServer } from '../../../../test-helpers/stalled-server.js';
import { StorageError } from '../../../src/remote/errors.js';
import { openS3Storage } from '../../../src/remote/storage.js';

let stalled: StalledServer;
const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };

beforeAll(async () => {
  // The default credential chain reads these (on Fargate the task role answers instead).
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  stalled = await startStalledServer();
});
afterAll(async () => {
  await stalled.stop();
  for (const [name, value] of [
    ['AWS_ACCESS_KEY_ID', saved.id],
    ['AWS_SECRET_ACCESS_KEY', saved.secret],
  ] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

const limits = { connectionTimeoutMs: 1_000, requestTimeoutMs: 1_000, maxAttempts: 2 };

it('reading a dataset from a stalled S3 fails with the call named instead of hanging', async () => {
  const storage = await openS3Storage(
    { AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL_S3: stalled.endpoint },
    limits,
  );
  const before = stalled.sockets.size;
  const error = await storage
    .get('s3://slipway-models/datasets/spam/ab/train.jsonl')
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(StorageError);
  expect((error as Error).message).toMatch(
    /^could not read s3:\/\/slipway-models\/datasets\/spam\/ab\/train\.jsonl \(TimeoutError: S3Client GetObjectCommand timed out after 2 attempts \(connection timeout 1000 ms, request timeout 1000 ms\)/,
  );
  // The standard retry mode tried again on the same stalled server.
  expect(stalled.sockets.size - before).toBeGreaterThanOrEqual(2);
});

it('writing the model to a stalled S3 fails with the call named instead of hanging', async () => {
  const storage = await openS3Storage(
    { AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL: stalled.endpoint },
    limits,
  );
  const error = await storage
    .put('s3://slipway-models/runs/j/output/model.tar.gz', new Uint8Array([1, 2, 3]))
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(StorageError);
  expect((error as Error).message).toMatch(
    /^could not write s3:\/\/slipway-models\/runs\/j\/output\/model\.tar\.gz \(TimeoutError: S3Client PutObjectCommand timed out after 2 attempts/,
  );
});

/**
 * The Fargate training container's S3 client against a stalled endpoint: a loopback TCP server that
 * accepts connections and never answers. Reading a dataset or writing the model must fail with the
 * call's name after the timeouts, never hang the task until its own (hours-long) timeout.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { StorageError } from '../../../src/remote/errors.js';
import { openS3Storage } from '../../../src/remote/storage.js';

let server: Server;
let endpoint: string;
const sockets = new Set<Socket>();
const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };

beforeAll(async () => {
  // The default credential chain reads these (on Fargate the task role answers instead).
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.resume(); // read the request, answer nothing
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  endpoint = `http://127.0.0.1:${address.port}`;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
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
  const storage = await openS3Storage({ AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL_S3: endpoint }, limits);
  const before = sockets.size;
  const error = await storage
    .get('s3://slipway-models/datasets/spam/ab/train.jsonl')
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(StorageError);
  expect((error as Error).message).toMatch(
    /^could not read s3:\/\/slipway-models\/datasets\/spam\/ab\/train\.jsonl \(TimeoutError: S3Client GetObjectCommand timed out after 2 attempts \(connection timeout 1000 ms, request timeout 1000 ms\)/,
  );
  // The standard retry mode tried again on the same stalled server.
  expect(sockets.size - before).toBeGreaterThanOrEqual(2);
});

it('writing the model to a stalled S3 fails with the call named instead of hanging', async () => {
  const storage = await openS3Storage({ AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL: endpoint }, limits);
  const error = await storage
    .put('s3://slipway-models/runs/j/output/model.tar.gz', new Uint8Array([1, 2, 3]))
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(StorageError);
  expect((error as Error).message).toMatch(
    /^could not write s3:\/\/slipway-models\/runs\/j\/output\/model\.tar\.gz \(TimeoutError: S3Client PutObjectCommand timed out after 2 attempts/,
  );
});

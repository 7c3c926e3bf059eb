/**
 * Child-process entry of the local S3 server used by tests and the benchmark: s3rver on 127.0.0.1, with
 * atomic PUTs, behind the conditional-write proxy. Prints one JSON line `{endpoint, upstream}` when ready; stops on SIGTERM.
 *
 * Runs in its own process because s3rver's paginated listing needs `--openssl-legacy-provider` (its
 * continuation tokens use DES), which the test runner's own process should not have to carry.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { AtomicFilesystemStore } from './atomic-s3rver-store.js';
import { startConditionalProxy } from './conditional-proxy.js';

const buckets = (process.argv[2] ?? 'slipway-test').split(',').filter(Boolean);
const directory = await mkdtemp(join(tmpdir(), 'slipway-s3rver-'));
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory,
  configureBuckets: buckets.map((name) => ({ name })),
});
// Whole-object PUTs, as S3 has (see atomic-s3rver-store.ts).
server.store = server.context.store = new AtomicFilesystemStore(directory);
const address = await server.run();
const upstream = `http://127.0.0.1:${address.port}`;
const proxy = await startConditionalProxy(upstream);
process.stdout.write(`${JSON.stringify({ endpoint: proxy.endpoint, upstream })}\n`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await proxy.close();
  await server.close();
  await rm(directory, { recursive: true, force: true });
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// Stop with the parent, even if it dies without signalling.
process.stdin.on('end', stop);
process.stdin.resume();

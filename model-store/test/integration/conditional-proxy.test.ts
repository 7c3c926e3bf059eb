/**
 * The local S3 server's conditional-write enforcement, tested on its own: s3rver ignores If-None-Match and
 * If-Match, so the store's S3 tests are only meaningful because this proxy answers like S3 does.
 */
import { createHash } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_S3_CREDENTIALS, type LocalS3, startLocalS3 } from '../../../test-helpers/s3-server.js';

let s3: LocalS3;
let viaProxy: S3Client;
let direct: S3Client;

const client = (endpoint: string) =>
  new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: LOCAL_S3_CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });

beforeAll(async () => {
  s3 = await startLocalS3('proxy-test');
  viaProxy = client(s3.endpoint);
  direct = client(s3.upstream);
});
afterAll(async () => {
  viaProxy?.destroy();
  direct?.destroy();
  await s3?.stop();
});

const put = (
  c: S3Client,
  Key: string,
  Body: string,
  condition: { IfNoneMatch?: string; IfMatch?: string } = {},
) => c.send(new PutObjectCommand({ Bucket: 'proxy-test', Key, Body, ...condition }));

const read = async (Key: string) =>
  (await viaProxy
    .send(new GetObjectCommand({ Bucket: 'proxy-test', Key }))
    .then((o) => o.Body?.transformToString())) ?? '';

const failure = (error: unknown) => {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return { name: e.name, status: e.$metadata?.httpStatusCode };
};

describe('conditional-write proxy in front of s3rver', () => {
  it('is needed: s3rver alone accepts a second create-only write', async () => {
    await put(direct, 'direct/a', 'first', { IfNoneMatch: '*' });
    await put(direct, 'direct/a', 'second', { IfNoneMatch: '*' });
    expect(await read('direct/a')).toBe('second');
  });

  it('answers 412 PreconditionFailed to If-None-Match: * on an existing key, as S3 does', async () => {
    await put(viaProxy, 'create/a', 'first', { IfNoneMatch: '*' });
    const error = await put(viaProxy, 'create/a', 'second', { IfNoneMatch: '*' }).catch((e: unknown) => e);
    expect(failure(error)).toEqual({ name: 'PreconditionFailed', status: 412 });
    expect(await read('create/a')).toBe('first');
  });

  it('answers If-Match by ETag: 412 on a stale one, 404 NoSuchKey on a missing key, success on the current one', async () => {
    const first = await put(viaProxy, 'cas/a', 'v1');
    const second = await put(viaProxy, 'cas/a', 'v2', { IfMatch: first.ETag ?? '' });
    expect(second.ETag).not.toBe(first.ETag);
    const stale = await put(viaProxy, 'cas/a', 'v3', { IfMatch: first.ETag ?? '' }).catch((e: unknown) => e);
    expect(failure(stale)).toEqual({ name: 'PreconditionFailed', status: 412 });
    const missing = await put(viaProxy, 'cas/missing', 'x', { IfMatch: first.ETag ?? '' }).catch(
      (e: unknown) => e,
    );
    expect(failure(missing)).toEqual({ name: 'NoSuchKey', status: 404 });
    expect(await read('cas/a')).toBe('v2');
  });

  it('evaluates the condition and the write atomically under concurrency', async () => {
    const creates = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => put(viaProxy, 'race/create', `writer-${i}`, { IfNoneMatch: '*' })),
    );
    const created = creates.flatMap((o, i) => (o.status === 'fulfilled' ? [i] : []));
    expect(created).toHaveLength(1);
    expect(creates.filter((o) => o.status === 'rejected').map((o) => failure(o.reason).status)).toEqual(
      Array(9).fill(412),
    );
    expect(await read('race/create')).toBe(`writer-${created[0]}`);

    const base = await put(viaProxy, 'race/cas', 'base');
    const swaps = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        put(viaProxy, 'race/cas', `swapper-${i}`, { IfMatch: base.ETag ?? '' }),
      ),
    );
    const swapped = swaps.flatMap((o, i) => (o.status === 'fulfilled' ? [i] : []));
    expect(swapped).toHaveLength(1);
    expect(await read('race/cas')).toBe(`swapper-${swapped[0]}`);
  });

  it('passes unconditional writes, reads and paginated listings through', async () => {
    for (let i = 0; i < 5; i++) await put(viaProxy, `page/${i}`, String(i));
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const out = await viaProxy.send(
        new ListObjectsV2Command({
          Bucket: 'proxy-test',
          Prefix: 'page/',
          MaxKeys: 2,
          ContinuationToken: token,
        }),
      );
      keys.push(...(out.Contents ?? []).map((o) => o.Key ?? ''));
      token = out.NextContinuationToken;
    } while (token);
    expect(keys).toEqual(['page/0', 'page/1', 'page/2', 'page/3', 'page/4']);
  });
});

describe('atomic PUTs in front of s3rver', () => {
  // "Amazon S3 never adds partial objects; if you receive a success response, Amazon S3 added the entire
  // object" and a GET racing a PUT returns the old or the new object, never a mix:
  // https://docs.aws.amazon.com/AmazonS3/latest/userguide/Welcome.html#ConsistencyModel
  it('a GET racing PUTs of the same key returns one whole body with its own ETag, never a torn one', async () => {
    // Bodies of different sizes and contents, large enough that a write takes several chunks.
    const bodies = ['a', 'b', 'c', 'd'].map((ch, i) => ch.repeat(200_000 + i * 50_000));
    const etags = new Map(bodies.map((b) => [createHash('md5').update(b).digest('hex'), b]));
    await put(viaProxy, 'torn/key', bodies[0] ?? '');
    const torn: string[] = [];
    let reads = 0;
    let writing = true;
    const writer = (async () => {
      for (let round = 0; round < 30; round++) {
        await Promise.all(bodies.map((b) => put(viaProxy, 'torn/key', b)));
      }
      writing = false;
    })();
    const reader = async () => {
      while (writing) {
        // A body shorter than its Content-Length never ends: give up on it and count it as torn.
        const abortSignal = AbortSignal.timeout(20_000);
        try {
          const get = new GetObjectCommand({ Bucket: 'proxy-test', Key: 'torn/key' });
          const out = await viaProxy.send(get, { abortSignal });
          const body = (await out.Body?.transformToString()) ?? '';
          const etag = String(out.ETag).replaceAll('"', '');
          if (etags.get(etag) !== body) {
            torn.push(`ETag ${etag}, ${body.length} bytes starting ${JSON.stringify(body.slice(0, 3))}`);
          }
        } catch (error) {
          torn.push(`GET failed: ${(error as Error).name}: ${(error as Error).message}`);
        }
        reads += 1;
      }
    };
    await Promise.all([writer, reader(), reader(), reader(), reader()]);
    expect(reads).toBeGreaterThan(0);
    expect(torn).toEqual([]);
  }, 120_000);
});

/**
 * The local S3 server's conditional-write enforcement, tested on its own: s3rver ignores If-None-Match and
 * If-Match, so the store's S3 tests are only meaningful because this proxy answers like S3 does.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_S3_CREDENTIALS, type LocalS3, startLocalS3 } from '../helpers/s3-server.js';

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

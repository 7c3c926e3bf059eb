import { join } from 'node:path';
import { FileBackend, openStore, parseStoreUri, StoreConfigError } from '@slipway/model-store';
import { describe, expect, it } from 'vitest';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

describe('store URIs', () => {
  it('reads folders from file:// URIs and plain paths', () => {
    expect(parseStoreUri('file:///var/slipway/store')).toEqual({ kind: 'file', path: '/var/slipway/store' });
    expect(parseStoreUri('file://./.slipway/store', '/home/u/project')).toEqual({
      kind: 'file',
      path: '/home/u/project/.slipway/store',
    });
    expect(parseStoreUri('store', '/tmp/x')).toEqual({ kind: 'file', path: '/tmp/x/store' });
    expect(parseStoreUri('/abs/store')).toEqual({ kind: 'file', path: '/abs/store' });
  });

  it('reads bucket and prefix from s3:// URIs', () => {
    expect(parseStoreUri('s3://my-models/slipway/prod')).toEqual({
      kind: 's3',
      bucket: 'my-models',
      prefix: 'slipway/prod',
    });
    expect(parseStoreUri('s3://my-models')).toEqual({ kind: 's3', bucket: 'my-models', prefix: '' });
  });

  it.each([
    [
      'gs://bucket/x',
      /unknown store URI scheme "gs:\/\/" in "gs:\/\/bucket\/x": use file:\/\/\/path\/to\/folder .* or s3:\/\/bucket\/prefix/,
    ],
    ['s3://', /missing bucket in "s3:\/\/": use s3:\/\/<bucket>\/<prefix>/],
    ['s3:///prefix', /missing bucket/],
    ['s3://Bad_Bucket/x', /"Bad_Bucket" in "s3:\/\/Bad_Bucket\/x" is not a valid S3 bucket name/],
    ['s3://bucket/a//b', /invalid key prefix/],
    ['file://host/path', /use file:\/\/\/absolute\/path or file:\/\/\.\/relative\/path/],
    ['', /no store URI given: pass --store/],
  ])('refuses %j with the fix in the message', (uri, message) => {
    expect(() => parseStoreUri(uri)).toThrow(StoreConfigError);
    expect(() => parseStoreUri(uri)).toThrow(message);
  });

  it('opens the folder backend for file URIs, relative to cwd', async () => {
    const store = await openStore('file://./store', { cwd: '/tmp/somewhere' });
    expect(store.backend).toBeInstanceOf(FileBackend);
    expect((store.backend as FileBackend).root).toBe(join('/tmp/somewhere', 'store'));
    expect(store.uri).toBe('file:///tmp/somewhere/store');
  });

  it('opens the S3 backend without touching the network', async () => {
    const store = await openStore('s3://my-models/team', {
      endpoint: 'http://127.0.0.1:1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    expect(store.uri).toBe('s3://my-models/team/');
    await store.close();
  });
});

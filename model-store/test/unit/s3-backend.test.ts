/** The S3 adapter's mapping of SDK answers, with a fake client (the adapter's own unit test). */
import type { S3Client } from '@aws-sdk/client-s3';
import { StorageError, StoreConfigError } from '@slipway/model-store';
import { describe, expect, it } from 'vitest';
import { S3Backend } from '../../src/backends/s3.js';

const sdkError = (name: string, status: number, message = name) =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });

const backendAnswering = (
  answer: (command: { constructor: { name: string }; input: Record<string, unknown> }) => unknown,
) => {
  const sent: { command: string; input: Record<string, unknown> }[] = [];
  const client = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      sent.push({ command: command.constructor.name, input: command.input });
      const result = answer(command);
      if (result instanceof Error) throw result;
      return result;
    },
    destroy: () => {},
  } as unknown as S3Client;
  return { backend: new S3Backend(client, 'bucket', 'team/store'), sent };
};

describe('S3 backend', () => {
  it('writes create-only with If-None-Match: * and compare-and-swap with If-Match, under the prefix', async () => {
    const { backend, sent } = backendAnswering(() => ({ ETag: '"e2"' }));
    expect(await backend.putIfAbsent('a.json', new Uint8Array([1]))).toBe(true);
    expect(await backend.putIfMatch('a.json', new Uint8Array([2]), '"e1"')).toBe('"e2"');
    expect(sent.map((s) => [s.command, s.input.Key, s.input.IfNoneMatch, s.input.IfMatch])).toEqual([
      ['PutObjectCommand', 'team/store/a.json', '*', undefined],
      ['PutObjectCommand', 'team/store/a.json', undefined, '"e1"'],
    ]);
  });

  it.each([
    ['PreconditionFailed', 412],
    ['ConditionalRequestConflict', 409],
    ['NoSuchKey', 404],
  ])('reads %s (%i) on a conditional write as "condition did not hold"', async (name, status) => {
    const { backend } = backendAnswering(() => sdkError(name, status));
    expect(await backend.putIfAbsent('a.json', new Uint8Array([1]))).toBe(false);
    expect(await backend.putIfMatch('a.json', new Uint8Array([1]), '"e"')).toBeUndefined();
  });

  it('reads a missing key as undefined', async () => {
    const { backend } = backendAnswering(() => sdkError('NoSuchKey', 404));
    expect(await backend.get('a.json')).toBeUndefined();
  });

  it.each([
    [
      sdkError('NoSuchBucket', 404),
      /bucket "bucket" does not exist .*create it \(for example `aws s3 mb s3:\/\/bucket`\)/,
    ],
    [
      sdkError('CredentialsProviderError', 0, 'Could not load credentials from any providers'),
      /no AWS credentials found for s3:\/\/bucket\/team\/store\/: set AWS_PROFILE/,
    ],
    [
      sdkError('AccessDenied', 403),
      /access denied to s3:\/\/bucket\/team\/store\/a.json \(read\); grant s3:GetObject/,
    ],
    [sdkError('InvalidAccessKeyId', 403), /the AWS credentials were rejected by S3 \(InvalidAccessKeyId\)/],
  ])('turns %s into a StoreConfigError with the fix', async (error, message) => {
    const { backend } = backendAnswering(() => error);
    const thrown = await backend.get('a.json').catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(StoreConfigError);
    expect((thrown as Error).message).toMatch(message);
    expect((thrown as Error).cause).toBe(error);
  });

  it('reports an unreachable endpoint as a StorageError naming the key', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const { backend } = backendAnswering(() => refused);
    await expect(backend.list('models/')).rejects.toThrow(StorageError);
    await expect(backend.list('models/')).rejects.toThrow(
      /cannot reach S3 to list s3:\/\/bucket\/team\/store\/models\/ \(ECONNREFUSED\)/,
    );
  });

  it('follows continuation tokens when listing', async () => {
    const pages = [
      {
        Contents: [{ Key: 'team/store/a', Size: 1, LastModified: new Date(0) }],
        IsTruncated: true,
        NextContinuationToken: 't',
      },
      { Contents: [{ Key: 'team/store/b', Size: 2, LastModified: new Date(0) }], IsTruncated: false },
    ];
    const { backend, sent } = backendAnswering(() => pages.shift());
    expect((await backend.list('')).map((o) => [o.key, o.size])).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
    expect(sent.map((s) => s.input.ContinuationToken)).toEqual([undefined, 't']);
  });
});

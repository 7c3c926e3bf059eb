import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type PutObjectCommandInput,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { ObjectInfo, StorageBackend, StoredObject } from '../backend.js';
import { StorageError, StoreConfigError } from '../errors.js';

interface AwsLikeError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

function awsError(error: unknown): AwsLikeError {
  return typeof error === 'object' && error !== null ? (error as AwsLikeError) : {};
}

/**
 * True for S3's answers to a conditional write that did not hold: 412, 409 when another conditional write
 * raced it, and 404 NoSuchKey for `If-Match` on a key that no longer exists.
 */
function preconditionFailed(error: unknown): boolean {
  const e = awsError(error);
  const status = e.$metadata?.httpStatusCode;
  return (
    e.name === 'PreconditionFailed' ||
    e.name === 'NoSuchKey' ||
    e.name === 'ConditionalRequestConflict' ||
    status === 412 ||
    (status === 409 && e.name !== 'OperationAborted')
  );
}

/**
 * Stores objects in an S3 bucket under a key prefix. Create-only writes use `If-None-Match: *`,
 * compare-and-swap uses `If-Match: <ETag>`; S3 answers 412 (or 409 for a concurrent conditional write)
 * when the condition does not hold.
 */
export class S3Backend implements StorageBackend {
  readonly uri: string;
  private readonly prefix: string;

  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
    prefix: string,
  ) {
    this.prefix = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
    this.uri = `s3://${bucket}/${this.prefix}`;
  }

  async get(key: string): Promise<StoredObject | undefined> {
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }),
      );
      const body = out.Body ? await out.Body.transformToByteArray() : new Uint8Array();
      return { body, etag: out.ETag ?? '' };
    } catch (error) {
      const e = awsError(error);
      if (e.name === 'NoSuchKey' || (e.$metadata?.httpStatusCode === 404 && e.name !== 'NoSuchBucket')) {
        return undefined;
      }
      throw this.failure('read', key, error);
    }
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    await this.send('write', key, { Body: body });
  }

  async putIfAbsent(key: string, body: Uint8Array): Promise<boolean> {
    return (await this.putIfMatch(key, body, null)) !== undefined;
  }

  async putIfMatch(key: string, body: Uint8Array, etag: string | null): Promise<string | undefined> {
    try {
      const condition = etag === null ? { IfNoneMatch: '*' } : { IfMatch: etag };
      return (await this.send('write', key, { Body: body, ...condition }, true)) ?? '';
    } catch (error) {
      if (preconditionFailed(error)) return undefined;
      throw error;
    }
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const found: ObjectInfo[] = [];
    let token: string | undefined;
    do {
      const out = await this.listPage(prefix, token, undefined);
      for (const item of out.Contents ?? []) {
        if (!item.Key) continue;
        found.push({
          key: item.Key.slice(this.prefix.length),
          size: item.Size ?? 0,
          lastModified: item.LastModified ?? new Date(0),
        });
      }
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    return found;
  }

  async listChildren(prefix: string): Promise<string[]> {
    const children: string[] = [];
    let token: string | undefined;
    do {
      const out = await this.listPage(prefix, token, '/');
      for (const p of out.CommonPrefixes ?? []) {
        if (p.Prefix) children.push(p.Prefix.slice(this.prefix.length + prefix.length, -1));
      }
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    return children.sort();
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
    } catch (error) {
      throw this.failure('delete', key, error);
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private async listPage(prefix: string, token: string | undefined, delimiter: string | undefined) {
    try {
      return await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: this.prefix + prefix,
          ContinuationToken: token,
          Delimiter: delimiter,
        }),
      );
    } catch (error) {
      throw this.failure('list', prefix, error);
    }
  }

  private async send(
    operation: string,
    key: string,
    input: Omit<PutObjectCommandInput, 'Bucket' | 'Key'>,
    passPreconditionFailures = false,
  ): Promise<string | undefined> {
    try {
      const out = await this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: this.prefix + key, ...input }),
      );
      return out.ETag;
    } catch (error) {
      if (passPreconditionFailures && preconditionFailed(error)) throw error;
      throw this.failure(operation, key, error);
    }
  }

  /** Turns an SDK error into one of ours, with the fix in the message. */
  private failure(operation: string, key: string, error: unknown): Error {
    const e = awsError(error);
    const where = `s3://${this.bucket}/${this.prefix}${key}`;
    const name = e.name ?? '';
    const message = e.message ?? String(error);
    if (name === 'NoSuchBucket') {
      return new StoreConfigError(
        `bucket "${this.bucket}" does not exist (store ${this.uri}); create it (for example \`aws s3 mb s3://${this.bucket}\`) or fix the bucket in the store URI`,
        { cause: error },
      );
    }
    if (name === 'CredentialsProviderError' || /could not load credentials/i.test(message)) {
      return new StoreConfigError(
        `no AWS credentials found for ${this.uri}: set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), ` +
          'run `aws sso login`, or run where an IAM role provides them',
        { cause: error },
      );
    }
    if (
      ['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'TokenRefreshRequired'].includes(name)
    ) {
      return new StoreConfigError(
        `the AWS credentials were rejected by S3 (${name}) for ${this.uri}: refresh them or choose another profile with AWS_PROFILE`,
        { cause: error },
      );
    }
    if (name === 'AccessDenied' || e.$metadata?.httpStatusCode === 403) {
      return new StoreConfigError(
        `access denied to ${where} (${operation}); grant s3:GetObject, s3:PutObject, s3:DeleteObject and ` +
          `s3:ListBucket on ${this.uri} to these credentials, or use other credentials`,
        { cause: error },
      );
    }
    if (name === 'TimeoutError') {
      // The message already names the call (createAwsClient): say what it was for and what to check.
      return new StorageError(
        `${message}, to ${operation} ${where}: check the network, the region, and AWS_ENDPOINT_URL_S3 if you use an S3-compatible server`,
        { cause: error },
      );
    }
    const errno = (error as { code?: string } | undefined)?.code ?? name;
    if (
      ['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN', 'TimeoutError'].includes(errno)
    ) {
      return new StorageError(
        `cannot reach S3 to ${operation} ${where} (${errno}): check the network, the region, and ` +
          'AWS_ENDPOINT_URL_S3 if you use an S3-compatible server',
        { cause: error },
      );
    }
    return new StorageError(`S3 ${operation} of ${where} failed: ${name ? `${name}: ` : ''}${message}`, {
      cause: error,
    });
  }
}

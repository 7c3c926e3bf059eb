import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { type AwsCallLimits, createAwsClient } from '@slipway/contracts';
import { ContainerConfigError, StorageError } from './errors.js';
import { type ObjectStorage, parseS3Uri, type S3Environment } from './object-storage.js';

/** {@link ObjectStorage} on S3 with the SDK's default credential chain (on Fargate: the task role). */
export class S3ObjectStorage implements ObjectStorage {
  constructor(private readonly client: S3Client) {}

  /**
   * A client for `AWS_REGION`, at `AWS_ENDPOINT_URL_S3` (or `AWS_ENDPOINT_URL`) when one is set, with
   * slipway's connection and request timeouts and bounded retries: a stalled S3 fails the task with the
   * call's name instead of hanging it until the task's own timeout.
   */
  static fromEnvironment(env: S3Environment, limits: AwsCallLimits = {}): S3ObjectStorage {
    const region = env.AWS_REGION?.trim();
    if (!region) {
      throw new ContainerConfigError(
        'AWS_REGION is not set: Fargate sets it in every task; when running the container elsewhere, set it to the bucket’s region',
      );
    }
    const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
    return new S3ObjectStorage(
      createAwsClient(
        S3Client,
        {
          region,
          ...(endpoint
            ? {
                endpoint,
                // Local S3-compatible servers have no per-bucket host names and often reject the SDK's
                // default checksum headers; against AWS itself the defaults stay.
                forcePathStyle: true,
                requestChecksumCalculation: 'WHEN_REQUIRED',
                responseChecksumValidation: 'WHEN_REQUIRED',
              }
            : {}),
        },
        limits,
      ),
    );
  }

  async get(uri: string): Promise<Uint8Array | undefined> {
    const { bucket, key } = location(uri);
    try {
      const found = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return found.Body ? await found.Body.transformToByteArray() : new Uint8Array();
    } catch (error) {
      if (nameOf(error) === 'NoSuchKey') return undefined;
      throw storageError('read', uri, error);
    }
  }

  async put(uri: string, bytes: Uint8Array): Promise<void> {
    const { bucket, key } = location(uri);
    try {
      await this.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes }));
    } catch (error) {
      throw storageError('write', uri, error);
    }
  }
}

function location(uri: string): { bucket: string; key: string } {
  const parsed = parseS3Uri(uri);
  if (!parsed || parsed.key === '') {
    throw new StorageError(`"${uri}" is not an S3 object URI: use s3://<bucket>/<key>`);
  }
  return parsed;
}

function nameOf(error: unknown): string {
  return error instanceof Error ? error.name : 'Error';
}

function storageError(action: 'read' | 'write', uri: string, error: unknown): StorageError {
  const name = nameOf(error);
  const message = error instanceof Error ? error.message : String(error);
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  let hint: string;
  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(message)) {
    hint =
      'no AWS credentials were found: give the Fargate task definition a task role, or set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) elsewhere';
  } else if (name === 'AccessDenied' || status === 403) {
    hint =
      action === 'read'
        ? 'give the task role s3:GetObject on it; without s3:ListBucket on its prefix S3 also answers 403 for an object that does not exist'
        : 'give the task role s3:PutObject on it';
  } else if (name === 'NoSuchBucket') {
    hint = 'the bucket does not exist: check the URI against the deployed model store';
  } else {
    hint = 'check the URI, AWS_REGION and the network path to S3 (the VPC endpoint on Fargate)';
  }
  return new StorageError(`could not ${action} ${uri} (${name}: ${message}); ${hint}`, { cause: error });
}

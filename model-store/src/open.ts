import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AwsCallLimits, createAwsClient, importOptional } from '@slipway/contracts';
import type { StorageBackend } from './backend.js';
import { FileBackend } from './backends/file.js';
import { StoreConfigError } from './errors.js';
import { ModelStore, type ModelStoreOptions } from './store.js';

/** Static AWS credentials; leave them out to use the default provider chain (env, profile, SSO, IAM role). */
export interface StoreCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** How to open a store. Environment variables fill what is not given. */
export interface OpenStoreOptions extends ModelStoreOptions {
  /** Resolves relative folder paths (`file://./x`, `./x`). Default: the process's working directory. */
  cwd?: string;
  /** S3 endpoint of an S3-compatible server. Default: `AWS_ENDPOINT_URL_S3`, then `AWS_ENDPOINT_URL`. */
  endpoint?: string;
  /** Default: `AWS_REGION`, then `AWS_DEFAULT_REGION`, then us-east-1 (S3 redirects to the bucket's region). */
  region?: string;
  /** Path-style addressing; default true when an endpoint is set (local servers), false otherwise. */
  forcePathStyle?: boolean;
  credentials?: StoreCredentials;
  /** Timeouts and retries of the S3 client (see {@link AwsCallLimits}); defaults suit AWS. */
  awsLimits?: AwsCallLimits;
  /** Environment to read the defaults from. Default: `process.env`. */
  env?: Record<string, string | undefined>;
}

/** Where a store URI points. */
export type StoreLocation = { kind: 'file'; path: string } | { kind: 's3'; bucket: string; prefix: string };

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Parses `file:///abs`, `file://./rel`, a plain path, or `s3://bucket/prefix`. */
export function parseStoreUri(uri: string, cwd: string = process.cwd()): StoreLocation {
  if (typeof uri !== 'string' || uri.trim() === '') {
    throw new StoreConfigError(
      'no store URI given: pass --store file:///path/to/folder or s3://bucket/prefix (or set SLIPWAY_STORE)',
    );
  }
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(uri)?.[1]?.toLowerCase();
  if (scheme === undefined) return { kind: 'file', path: resolve(cwd, uri) };
  if (scheme === 'file') {
    const rest = uri.slice('file://'.length);
    if (rest.startsWith('/')) return { kind: 'file', path: fileURLToPath(`file://${rest}`) };
    if (rest.startsWith('./') || rest.startsWith('../') || rest === '.') {
      return { kind: 'file', path: resolve(cwd, decodeURIComponent(rest)) };
    }
    throw new StoreConfigError(
      `cannot read the folder in "${uri}": use file:///absolute/path or file://./relative/path`,
    );
  }
  if (scheme === 's3') {
    const rest = uri.slice('s3://'.length);
    const slash = rest.indexOf('/');
    const bucket = slash === -1 ? rest : rest.slice(0, slash);
    const prefix = slash === -1 ? '' : rest.slice(slash + 1).replace(/^\/+/, '');
    if (bucket === '') {
      throw new StoreConfigError(
        `missing bucket in "${uri}": use s3://<bucket>/<prefix>, e.g. s3://my-models/slipway`,
      );
    }
    if (!BUCKET.test(bucket) || bucket.includes('..')) {
      throw new StoreConfigError(
        `"${bucket}" in "${uri}" is not a valid S3 bucket name: use 3-63 lowercase letters, digits, "." or "-"`,
      );
    }
    if (prefix.split('/').some((part, i, all) => part === '..' || (part === '' && i < all.length - 1))) {
      throw new StoreConfigError(`invalid key prefix "${prefix}" in "${uri}": no empty or ".." segments`);
    }
    return { kind: 's3', bucket, prefix };
  }
  throw new StoreConfigError(
    `unknown store URI scheme "${scheme}://" in "${uri}": use file:///path/to/folder (or a plain path) for a local store, ` +
      'or s3://bucket/prefix for S3',
  );
}

/**
 * Opens a model store; the backend is chosen by the URI scheme.
 *
 * @example
 * const store = await openStore('s3://my-models/slipway');           // default AWS credential chain
 * const local = await openStore('file://./.slipway/store');          // a folder, relative to cwd
 *
 * An `s3://` URI needs `@aws-sdk/client-s3` (an optional peer dependency): without it this throws
 * contracts' `MissingDependencyError`, naming the package to install.
 */
export async function openStore(uri: string, options: OpenStoreOptions = {}): Promise<ModelStore> {
  const env = options.env ?? process.env;
  const location = parseStoreUri(uri, options.cwd);
  const storeOptions: ModelStoreOptions = { ...options, actor: options.actor ?? defaultActor(env) };
  let backend: StorageBackend;
  if (location.kind === 'file') {
    backend = new FileBackend(location.path);
  } else {
    // Loaded only when needed: the SDK costs a few hundred milliseconds to import, and it is an optional
    // peer dependency, installed by the programs that open S3 stores (a clear error when it is not).
    const { S3Client } = await importOptional(() => import('@aws-sdk/client-s3'), {
      name: '@aws-sdk/client-s3',
      peerOf: '@slipway/model-store',
      neededFor: `opening the S3 store ${uri}`,
    });
    // Only after the check: the backend imports the SDK itself, and would fail without the named error.
    const { S3Backend } = await import('./backends/s3.js');
    const endpoint = options.endpoint ?? env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
    const client = createAwsClient(
      S3Client,
      {
        region: options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
        followRegionRedirects: true,
        ...(endpoint ? { endpoint } : {}),
        forcePathStyle: options.forcePathStyle ?? endpoint !== undefined,
        ...(options.credentials ? { credentials: options.credentials } : {}),
        // Our own sha256 covers integrity; S3-compatible servers often reject the SDK's default checksum headers.
        ...(endpoint
          ? {
              requestChecksumCalculation: 'WHEN_REQUIRED' as const,
              responseChecksumValidation: 'WHEN_REQUIRED' as const,
            }
          : {}),
      },
      options.awsLimits,
    );
    backend = new S3Backend(client, location.bucket, location.prefix);
  }
  return new ModelStore(backend, storeOptions);
}

function defaultActor(env: Record<string, string | undefined>): string {
  if (env.SLIPWAY_ACTOR) return env.SLIPWAY_ACTOR;
  try {
    return userInfo().username;
  } catch {
    return env.USER ?? 'unknown';
  }
}

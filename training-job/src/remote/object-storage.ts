/**
 * Bytes addressed by URI: all the training container needs from S3 in the Fargate mode.
 *
 * @example const bytes = await storage.get('s3://models/datasets/spam/ab12…/train.jsonl');
 */
export interface ObjectStorage {
  /** The object's bytes, or undefined when there is no object at `uri`. */
  get(uri: string): Promise<Uint8Array | undefined>;
  /** Writes the object at `uri`, replacing one that is there. */
  put(uri: string, bytes: Uint8Array): Promise<void>;
}

/** The environment the S3 storage reads; credentials come from the SDK's default provider chain. */
export interface S3Environment {
  readonly AWS_REGION?: string;
  /** An S3-compatible endpoint (local servers in tests); path-style addressing is used with it. */
  readonly AWS_ENDPOINT_URL_S3?: string;
  readonly AWS_ENDPOINT_URL?: string;
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Splits `s3://bucket/key` into bucket and key; undefined when `uri` is not one. */
export function parseS3Uri(uri: string): { bucket: string; key: string } | undefined {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match) return undefined;
  const [, bucket = '', key = ''] = match;
  if (!BUCKET.test(bucket) || bucket.includes('..')) return undefined;
  return { bucket, key };
}

import type { AwsCallLimits } from '@slipway/contracts';
import type { ObjectStorage, S3Environment } from './object-storage.js';

/**
 * S3 as an {@link ObjectStorage}. The SDK is imported here, on first use, so the SageMaker path and
 * `slipway train` never pay for loading it.
 */
export async function openS3Storage(env: S3Environment, limits?: AwsCallLimits): Promise<ObjectStorage> {
  const { S3ObjectStorage } = await import('./s3.js');
  return S3ObjectStorage.fromEnvironment(env, limits);
}

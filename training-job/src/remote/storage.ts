import { type AwsCallLimits, importOptional } from '@slipway/contracts';
import type { ObjectStorage, S3Environment } from './object-storage.js';

/**
 * S3 as an {@link ObjectStorage}. The SDK is imported here, on first use, so the SageMaker path and
 * `slipway train` never pay for loading it. `@aws-sdk/client-s3` is an optional peer dependency, which
 * the training image installs (`training-job/image/package.json`); without it this throws contracts'
 * `MissingDependencyError`, naming the package to install.
 */
export async function openS3Storage(env: S3Environment, limits?: AwsCallLimits): Promise<ObjectStorage> {
  const { S3ObjectStorage } = await importOptional(() => import('./s3.js'), {
    name: '@aws-sdk/client-s3',
    peerOf: '@slipway/training-job',
    neededFor: 'training from S3 (the Fargate mode, SLIPWAY_DATASET_URI and SLIPWAY_OUTPUT_URI set)',
  });
  return S3ObjectStorage.fromEnvironment(env, limits);
}

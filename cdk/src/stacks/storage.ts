import { Aws, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { StageConfig } from '../config.js';

/** Properties of {@link StorageStack}. */
export interface StorageStackProps extends StackProps {
  readonly config: StageConfig;
}

/** The ECR repository names of a stage; image assets are published into the first two by name. */
export function repositoryNames(stage: string) {
  return {
    training: `slipway-${stage}/training`,
    inferenceBase: `slipway-${stage}/inference-base`,
    models: `slipway-${stage}/models`,
  } as const;
}

/**
 * What outlives every deploy: the model store bucket and the image repositories. Deployed first: the
 * training and inference image assets are published into these repositories before their stacks deploy.
 */
export class StorageStack extends Stack {
  /** The model store (`s3://<bucket>`): datasets, training runs, models, aliases, executions. */
  readonly modelStore: s3.Bucket;
  /** The training image (SageMaker and Fargate). */
  readonly trainingRepository: ecr.Repository;
  /** The inference function's base image, without a model. */
  readonly inferenceBaseRepository: ecr.Repository;
  /** Inference images with a model composed on top, one immutable tag per promoted version. */
  readonly modelImageRepository: ecr.Repository;

  constructor(scope: Construct, id: string, props: StorageStackProps) {
    super(scope, id, props);
    const { stage, bootstrapQualifier } = props.config;

    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        { expiration: Duration.days(365), abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.modelStore = new s3.Bucket(this, 'ModelStore', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Aliases move in place; versioning keeps every earlier record for a while, for recovery.
      versioned: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'model-store/',
      lifecycleRules: [
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
        { id: 'expire-noncurrent', noncurrentVersionExpiration: Duration.days(90) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const names = repositoryNames(stage);
    // cdk-assets publishes image assets with the bootstrap's image-publishing role, whose own policy
    // covers only the bootstrap repository: these repositories let it in by their policy.
    const publisher = new iam.ArnPrincipal(
      `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/cdk-${bootstrapQualifier}-image-publishing-role-${Aws.ACCOUNT_ID}-${Aws.REGION}`,
    );
    // No expiry: pull requests push their training images here (composed by `slipway start --aws`,
    // or built from a Dockerfile and pushed untagged by digest), and every registered version's lineage
    // names the image that trained it, which `slipway verify --aws` runs again. A count rule would
    // expire the stage's own trainer image after enough pull requests, and any rule would make older
    // versions unverifiable.
    this.trainingRepository = this.repository('TrainingRepository', names.training, undefined);
    this.inferenceBaseRepository = this.repository('InferenceBaseRepository', names.inferenceBase, 20);
    // No expiry: every Lambda version (and so every rollback target) points at one of these images.
    this.modelImageRepository = this.repository('ModelImageRepository', names.models, undefined);
    for (const repository of [this.trainingRepository, this.inferenceBaseRepository]) {
      repository.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'CdkAssetPublishing',
          principals: [publisher],
          actions: [
            'ecr:BatchCheckLayerAvailability',
            'ecr:BatchGetImage',
            'ecr:CompleteLayerUpload',
            'ecr:DescribeImages',
            'ecr:DescribeRepositories',
            'ecr:GetDownloadUrlForLayer',
            'ecr:InitiateLayerUpload',
            'ecr:PutImage',
            'ecr:UploadLayerPart',
          ],
        }),
      );
    }
    // Lambda pulls a function's image with its service principal; the bootstrap repository carries
    // the same statement for the same reason.
    for (const repository of [this.inferenceBaseRepository, this.modelImageRepository]) {
      repository.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'LambdaImageRetrieval',
          principals: [new iam.ServicePrincipal('lambda.amazonaws.com')],
          actions: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
          conditions: {
            StringLike: {
              'aws:sourceArn': `arn:${Aws.PARTITION}:lambda:${Aws.REGION}:${Aws.ACCOUNT_ID}:function:*`,
            },
          },
        }),
      );
    }
  }

  private repository(id: string, name: string, keep: number | undefined): ecr.Repository {
    return new ecr.Repository(this, id, {
      repositoryName: name,
      imageTagMutability: ecr.TagMutability.IMMUTABLE,
      imageScanOnPush: true,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules:
        keep === undefined ? [] : [{ description: `keep the last ${keep} images`, maxImageCount: keep }],
    });
  }
}

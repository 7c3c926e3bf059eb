import { ENV } from '@slipway/contracts';
import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { DockerImageAsset } from 'aws-cdk-lib/aws-ecr-assets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { StageConfig } from '../config.js';
import { INFERENCE_IMAGE, imageAssetOptions } from '../images.js';
import { suppress, XRAY_SUPPRESSION } from '../nag.js';

/** Properties of {@link InferenceStack}. */
export interface InferenceStackProps extends StackProps {
  readonly config: StageConfig;
}

/** The alias clients call and promotion moves. */
export const LIVE_ALIAS = 'live';

/**
 * The inference function, its `live` alias and Function URL.
 *
 * The template deploys the base image (code, no model), publishes it as a version and points `live` at
 * that version (never at `$LATEST`, which Lambda does not let an alias shift traffic from). Promotion
 * then owns both: it updates the function's code to a composed image (base + model layer), publishes a
 * version and moves `live` to it. CloudFormation leaves them alone afterwards, because it only changes
 * what its template changes: a later deploy with new inference code updates `$LATEST` to the new base
 * image, and the next promotion composes onto that base. Until the first promotion the function has no
 * model and its health check fails.
 */
export class InferenceStack extends Stack {
  readonly function: lambda.DockerImageFunction;
  readonly alias: lambda.Alias;
  /** The version published at deploy (the base image, no model): where `live` starts. */
  readonly baseVersion: lambda.Version;
  readonly url: lambda.FunctionUrl;
  /** The base image promotion composes onto (tag = content hash). */
  readonly baseImageUri: string;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: InferenceStackProps) {
    super(scope, id, props);
    const { config } = props;

    const image = new DockerImageAsset(this, 'BaseImage', imageAssetOptions(INFERENCE_IMAGE));
    this.baseImageUri = image.imageUri;
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: config.logRetentionDays as logs.RetentionDays,
    });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `slipway ${config.stage}: the inference function`,
    });
    this.logGroup.grantWrite(role);

    this.function = new lambda.DockerImageFunction(this, 'Function', {
      functionName: `slipway-${config.stage}-inference`,
      description: 'slipway inference: POST /predict, GET /health (the model comes with each promotion)',
      code: lambda.DockerImageCode.fromEcr(image.repository, { tagOrDigest: image.imageTag }),
      architecture: lambda.Architecture.X86_64,
      memorySize: config.inference.memoryMiB,
      timeout: Duration.seconds(30),
      role,
      logGroup: this.logGroup,
      tracing: lambda.Tracing.ACTIVE,
      // Stages sharing an account keep their EMF metrics apart.
      environment: { [ENV.metricsNamespace]: `slipway/${config.stage}`, [ENV.logLevel]: 'INFO' },
    });
    // An alias that may ever carry weights must point at a published version: Lambda refuses
    // AdditionalVersionWeights on an alias of $LATEST
    // (https://docs.aws.amazon.com/lambda/latest/dg/configuring-alias-routing.html).
    this.baseVersion = new lambda.Version(this, 'BaseVersion', {
      lambda: this.function,
      description: 'slipway base image (no model yet)',
    });
    this.alias = new lambda.Alias(this, 'Live', { aliasName: LIVE_ALIAS, version: this.baseVersion });
    this.url = this.alias.addFunctionUrl({
      authType: config.inference.publicUrl
        ? lambda.FunctionUrlAuthType.NONE
        : lambda.FunctionUrlAuthType.AWS_IAM,
    });

    suppress(role, [XRAY_SUPPRESSION]);
    suppress(this.function, [
      {
        id: 'Serverless-LambdaDLQ',
        reason:
          'Invoked synchronously through its Function URL only; there are no asynchronous events to keep.',
      },
      {
        id: 'Serverless-LambdaAsyncFailureDestination',
        reason:
          'Invoked synchronously through its Function URL only; there are no asynchronous events to keep.',
      },
    ]);
  }
}

import type { Duration } from 'aws-cdk-lib';
import type * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { type Suppression, suppress, XRAY_SUPPRESSION } from '../nag.js';

/** Properties of {@link StepFunction}. */
export interface StepFunctionProps {
  /** The shared steps image. */
  readonly image: ecrAssets.DockerImageAsset;
  /** The entry point, e.g. `steps/evaluate/lambda.handler`. */
  readonly handler: string;
  readonly functionName: string;
  readonly description: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly environment: Readonly<Record<string, string>>;
  /** Everything the function may do besides writing its own logs and traces. */
  readonly statements: readonly iam.PolicyStatement[];
  readonly logRetention: logs.RetentionDays;
  /** Accepted cdk-nag findings of `statements` (wildcards), each with its reason. */
  readonly suppressions?: readonly Suppression[];
}

/**
 * One function of the steps image: its own role (its logs, its traces, then exactly `statements`), its
 * own log group with a retention, and its entry point chosen by CMD.
 */
export class StepFunction extends Construct {
  readonly function: lambda.DockerImageFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: StepFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.functionName}: ${props.description}`,
      ...(props.statements.length > 0
        ? { inlinePolicies: { Step: new iam.PolicyDocument({ statements: [...props.statements] }) } }
        : {}),
    });
    this.logGroup.grantWrite(this.role);
    this.function = new lambda.DockerImageFunction(this, 'Function', {
      functionName: props.functionName,
      description: props.description,
      code: lambda.DockerImageCode.fromEcr(props.image.repository, {
        tagOrDigest: props.image.imageTag,
        cmd: [props.handler],
      }),
      architecture: lambda.Architecture.X86_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      tracing: lambda.Tracing.ACTIVE,
      environment: { ...props.environment },
    });
    suppress(this.role, [...(props.suppressions ?? []), XRAY_SUPPRESSION]);
    suppress(this.function, [
      {
        id: 'Serverless-LambdaDLQ',
        reason:
          'Invoked synchronously (by the state machine, or through its Function URL); the caller sees and handles every failure.',
      },
      {
        id: 'Serverless-LambdaAsyncFailureDestination',
        reason:
          'Invoked synchronously (by the state machine, or through its Function URL); the caller sees and handles every failure.',
      },
    ]);
  }
}

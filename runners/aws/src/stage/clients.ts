import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { ECRClient } from '@aws-sdk/client-ecr';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { createAwsClient } from '@slipway/contracts';

/** The slices of the SDK clients the AWS commands use. */
export interface AwsClients {
  readonly cloudformation: Pick<CloudFormationClient, 'send'>;
  readonly sfn: Pick<SFNClient, 'send'>;
  readonly logs: Pick<CloudWatchLogsClient, 'send'>;
  /** The registry token for the stage's training repository (`slipway start --aws` composes images there). */
  readonly ecr: Pick<ECRClient, 'send'>;
}

/**
 * SDK clients on the default credential chain (environment, profile, SSO, role), with slipway's timeouts
 * and retries (createAwsClient). Loaded on demand: the
 * SDK costs a few hundred milliseconds to import and local commands never need it.
 */
export async function createAwsClients(region: string | undefined): Promise<AwsClients> {
  const [{ CloudFormationClient }, { SFNClient }, { CloudWatchLogsClient }, { ECRClient }] =
    await Promise.all([
      import('@aws-sdk/client-cloudformation'),
      import('@aws-sdk/client-sfn'),
      import('@aws-sdk/client-cloudwatch-logs'),
      import('@aws-sdk/client-ecr'),
    ]);
  const config = region === undefined ? {} : { region };
  return {
    cloudformation: createAwsClient(CloudFormationClient, config),
    sfn: createAwsClient(SFNClient, config),
    logs: createAwsClient(CloudWatchLogsClient, config),
    ecr: createAwsClient(ECRClient, config),
  };
}

/**
 * A Step Functions client alone (the console's AWS view needs no other), with slipway's timeouts and
 * retries, for `region` or the default chain's.
 */
export async function createStepFunctionsClient(region: string | undefined): Promise<AwsClients['sfn']> {
  const { SFNClient } = await import('@aws-sdk/client-sfn');
  return createAwsClient(SFNClient, region === undefined ? {} : { region });
}

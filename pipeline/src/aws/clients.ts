import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { SFNClient } from '@aws-sdk/client-sfn';

/** The slices of the SDK clients the AWS commands use. */
export interface AwsClients {
  readonly cloudformation: Pick<CloudFormationClient, 'send'>;
  readonly sfn: Pick<SFNClient, 'send'>;
  readonly logs: Pick<CloudWatchLogsClient, 'send'>;
}

/**
 * SDK clients on the default credential chain (environment, profile, SSO, role). Loaded on demand: the
 * SDK costs a few hundred milliseconds to import and local commands never need it.
 */
export async function createAwsClients(region: string | undefined): Promise<AwsClients> {
  const [{ CloudFormationClient }, { SFNClient }, { CloudWatchLogsClient }] = await Promise.all([
    import('@aws-sdk/client-cloudformation'),
    import('@aws-sdk/client-sfn'),
    import('@aws-sdk/client-cloudwatch-logs'),
  ]);
  const config = region === undefined ? {} : { region };
  return {
    cloudformation: new CloudFormationClient(config),
    sfn: new SFNClient(config),
    logs: new CloudWatchLogsClient(config),
  };
}

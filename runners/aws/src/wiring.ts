// Builds the AWS adapters from their configuration with SDK clients on the default credential chain
// (the function's role). The Lambda entry points call these once per container.
import type { Logger } from '@aws-lambda-powertools/logger';
import { createAwsClient } from '@slipway/contracts';
import type { ModelStore } from '@slipway/model-store';
import type { Deployer } from '@slipway/steps';
import { createAwsApprovalHandler } from './approval/notify.js';
import {
  createApprovalLinksHandler,
  type FunctionUrlEvent,
  type FunctionUrlResult,
} from './approval-links/handler.js';
import type { ApprovalLinksConfig, ApprovalNotifyConfig, ImageDeployConfig } from './config.js';
import { ecrAuthorization } from './ecr.js';
import { lambdaImageDeployer } from './lambda-deployer.js';
import { storeModelImageBuilder } from './model-image.js';
import { RegistryClient } from './oci/registry.js';
import { readSigningSecret } from './secret.js';

/** The Promote function's deployer: model image into ECR, then the inference function's alias. */
export async function createImageDeployer(
  config: ImageDeployConfig,
  deps: { readonly store: ModelStore; readonly endpoint: string | null; readonly logger: Logger },
): Promise<Deployer> {
  const [{ ECRClient }, { LambdaClient }, { CloudWatchClient }] = await Promise.all([
    import('@aws-sdk/client-ecr'),
    import('@aws-sdk/client-lambda'),
    import('@aws-sdk/client-cloudwatch'),
  ]);
  const registry = new RegistryClient({
    registry: config.repository.registry,
    authorization: ecrAuthorization(createAwsClient(ECRClient, {})),
  });
  return lambdaImageDeployer({
    lambda: createAwsClient(LambdaClient, {}),
    images: storeModelImageBuilder({
      store: deps.store,
      registry,
      baseImage: config.baseImage,
      repository: config.repository.repository,
    }),
    functionName: config.functionName,
    alias: config.alias,
    endpoint: deps.endpoint,
    ...(config.canary === null
      ? {}
      : {
          canary: {
            cloudwatch: createAwsClient(CloudWatchClient, {}),
            alarmName: config.canary.alarmName,
            seconds: config.canary.seconds,
          },
        }),
    log: (message, detail = {}) => deps.logger.info(message, detail),
  });
}

/** The Approval function's handler on AWS: token kept in the store, SNS message with signed links. */
export async function createAwsApprovalFunction(
  config: ApprovalNotifyConfig,
  store: ModelStore,
): Promise<(event: unknown) => Promise<{ notified: true }>> {
  const [{ SNSClient }, { SecretsManagerClient }] = await Promise.all([
    import('@aws-sdk/client-sns'),
    import('@aws-sdk/client-secrets-manager'),
  ]);
  return createAwsApprovalHandler({
    store,
    sns: createAwsClient(SNSClient, {}),
    topicArn: config.topicArn,
    linksUrl: config.linksUrl,
    secret: await readSigningSecret(createAwsClient(SecretsManagerClient, {}), config.secretArn),
    linkTtlSeconds: config.linkTtlSeconds,
  });
}

/** The approval links function's handler. */
export async function createApprovalLinksFunction(
  config: ApprovalLinksConfig,
  store: ModelStore,
  logger: Logger,
): Promise<(event: FunctionUrlEvent) => Promise<FunctionUrlResult>> {
  const [{ SFNClient }, { SecretsManagerClient }] = await Promise.all([
    import('@aws-sdk/client-sfn'),
    import('@aws-sdk/client-secrets-manager'),
  ]);
  return createApprovalLinksHandler({
    store,
    sfn: createAwsClient(SFNClient, {}),
    secret: await readSigningSecret(createAwsClient(SecretsManagerClient, {}), config.secretArn),
    log: (message, detail) => logger.error(message, detail),
  });
}

// Which environment variables a configuration reader asks for: the check that each function reads the
// names contracts' FUNCTION_ENV lists for it (and so the names the CDK app sets).
import { ENV, type EnvName } from '@slipway/contracts';

const ECR = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
/** A well-formed value for every name, so that every reader reads every variable it knows. */
export const ENV_VALUES: Record<EnvName, string> = {
  [ENV.storeUri]: 's3://slipway-models/store',
  [ENV.endpointUrl]: 'https://abc.lambda-url.eu-west-1.on.aws/',
  [ENV.endpointAuth]: 'AWS_IAM',
  [ENV.smokeTestTimeoutMs]: '240000',
  [ENV.inferenceFunctionName]: 'slipway-dev-inference',
  [ENV.inferenceAlias]: 'live',
  [ENV.inferenceBaseImageUri]: `${ECR}/slipway-inference:base`,
  [ENV.modelImageRepositoryUri]: `${ECR}/slipway-models`,
  [ENV.canaryAlarmName]: 'slipway-dev-inference-errors',
  [ENV.canarySeconds]: '300',
  [ENV.approvalTopicArn]: 'arn:aws:sns:eu-west-1:123456789012:approvals',
  [ENV.approvalLinksUrl]: 'https://links.lambda-url.eu-west-1.on.aws/',
  [ENV.approvalSecretArn]: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:signing',
  [ENV.approvalLinkTtlSeconds]: '86400',
  [ENV.modelDir]: '/opt/model',
  [ENV.maxBodyBytes]: '1000000',
  [ENV.maxTextChars]: '10000',
  [ENV.maxBatchSize]: '64',
  [ENV.maxRunBatch]: '64',
  [ENV.metrics]: 'on',
  [ENV.metricsNamespace]: 'slipway/dev',
  [ENV.serviceName]: 'inference',
  [ENV.logLevel]: 'INFO',
  [ENV.logText]: 'false',
  [ENV.modelName]: 'spam',
  [ENV.datasetName]: 'spam',
  [ENV.datasetUri]: 's3://slipway-models/store/datasets/spam/ab',
  [ENV.outputUri]: 's3://slipway-models/store/runs/spam-1/output',
  [ENV.hyperparameters]: '{}',
  [ENV.gitCommit]: 'abc123',
  [ENV.pullRequest]: '7',
  [ENV.executionId]: 'arn:aws:states:eu-west-1:123456789012:execution:slipway:1',
  [ENV.trainingImage]: `${ECR}/slipway-training@sha256:${'c'.repeat(64)}`,
  [ENV.trainingFamily]: 'slipway-dev-training',
  [ENV.trainingContainer]: 'train',
  [ENV.trainingRepositories]: `${ECR}/slipway-dev/training`,
};
// Set by Lambda itself, not by the deployment.
const RUNTIME = { AWS_REGION: 'eu-west-1' };

/** The names `read` asks for when every variable is set, the Lambda runtime's own left out. */
export function namesRead(
  read: (env: Record<string, string | undefined>) => unknown,
  without?: string,
): string[] {
  const seen = new Set<string>();
  const values: Record<string, string> = { ...ENV_VALUES, ...RUNTIME };
  if (without !== undefined) delete values[without];
  read(
    new Proxy(values, {
      get: (target, name) => {
        if (typeof name === 'string') seen.add(name);
        return typeof name === 'string' ? target[name] : undefined;
      },
    }) as Record<string, string | undefined>,
  );
  return [...seen].filter((name) => !(name in RUNTIME)).sort();
}

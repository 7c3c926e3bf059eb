import { ENV } from '@slipway/contracts';
import { StepConfigError } from '@slipway/steps';
import { RegistryError } from './errors.js';
import { type ImageReference, parseImageReference } from './oci/reference.js';

type Env = Readonly<Record<string, string | undefined>>;

/** The Promote function's image deployment settings (set together by the AWS stack). */
export interface ImageDeployConfig {
  /** `INFERENCE_FUNCTION_NAME`. */
  readonly functionName: string;
  /** `INFERENCE_ALIAS`. Default `live`. */
  readonly alias: string;
  /** `INFERENCE_BASE_IMAGE_URI`: the inference image without a model. */
  readonly baseImage: ImageReference;
  /** `MODEL_IMAGE_REPOSITORY_URI`: where model images go (`<registry>/<repository>`). */
  readonly repository: { readonly registry: string; readonly repository: string };
  /** `CANARY_ALARM_NAME` and `CANARY_SECONDS` (default 300); null without an alarm. */
  readonly canary: { readonly alarmName: string; readonly seconds: number } | null;
}

/**
 * Reads the image deployment settings; null when `INFERENCE_FUNCTION_NAME` is unset (the endpoint
 * follows the production alias itself, as `slipway serve` does).
 * @example const image = readImageDeployConfig(process.env);
 */
export function readImageDeployConfig(env: Env): ImageDeployConfig | null {
  const functionName = text(env, ENV.inferenceFunctionName);
  if (functionName === undefined) return null;
  const baseUri = required(
    env,
    ENV.inferenceBaseImageUri,
    'the inference base image, e.g. <account>.dkr.ecr.<region>.amazonaws.com/slipway-inference:base',
  );
  const repositoryUri = required(env, ENV.modelImageRepositoryUri, 'the ECR repository model images go to');
  const baseImage = image(ENV.inferenceBaseImageUri, baseUri);
  const target = image(ENV.modelImageRepositoryUri, repositoryUri);
  if (target.reference !== 'latest' || /[@]|:[^/]*$/.test(repositoryUri.slice(target.registry.length))) {
    throw new StepConfigError(
      `${ENV.modelImageRepositoryUri} must name a repository without tag or digest, got ${JSON.stringify(repositoryUri)}`,
    );
  }
  if (target.registry !== baseImage.registry) {
    throw new StepConfigError(
      `${ENV.inferenceBaseImageUri} (${baseImage.registry}) and ${ENV.modelImageRepositoryUri} (${target.registry}) must be on the same registry: base layers are mounted, not copied across registries`,
    );
  }
  const alarmName = text(env, ENV.canaryAlarmName);
  const rawSeconds = text(env, ENV.canarySeconds);
  const seconds = rawSeconds === undefined ? 300 : Number(rawSeconds);
  if (rawSeconds !== undefined && (!/^\d+$/.test(rawSeconds) || seconds < 1 || seconds > 840)) {
    throw new StepConfigError(
      `${ENV.canarySeconds} must be an integer from 1 to 840 (the Promote function runs at most 15 minutes), got ${JSON.stringify(rawSeconds)}`,
    );
  }
  return {
    functionName,
    alias: text(env, ENV.inferenceAlias) ?? 'live',
    baseImage,
    repository: { registry: target.registry, repository: target.repository },
    canary: alarmName === undefined ? null : { alarmName, seconds },
  };
}

/** The Approval function's AWS notification settings. */
export interface ApprovalNotifyConfig {
  /** `APPROVAL_TOPIC_ARN`: the approvers' SNS topic. */
  readonly topicArn: string;
  /** `APPROVAL_LINKS_URL`: the links function's URL. */
  readonly linksUrl: string;
  /** `APPROVAL_SECRET_ARN`: the link signing secret. */
  readonly secretArn: string;
  /** `APPROVAL_LINK_TTL_SECONDS`: how long links work. Default 86 400 (24 h). */
  readonly linkTtlSeconds: number;
}

/** Reads the Approval function's notification settings; null when `APPROVAL_TOPIC_ARN` is unset (the request is logged). */
export function readApprovalNotifyConfig(env: Env): ApprovalNotifyConfig | null {
  const topicArn = text(env, ENV.approvalTopicArn);
  if (topicArn === undefined) return null;
  const linksUrl = required(env, ENV.approvalLinksUrl, "the approval links function's URL");
  if (!/^https?:\/\/[^/]/.test(linksUrl)) {
    throw new StepConfigError(
      `${ENV.approvalLinksUrl} must be an http(s) URL, got ${JSON.stringify(linksUrl)}`,
    );
  }
  const raw = text(env, ENV.approvalLinkTtlSeconds);
  const linkTtlSeconds = raw === undefined ? 86_400 : Number(raw);
  if (raw !== undefined && (!/^\d+$/.test(raw) || linkTtlSeconds < 60)) {
    throw new StepConfigError(
      `${ENV.approvalLinkTtlSeconds} must be an integer of at least 60, got ${JSON.stringify(raw)}`,
    );
  }
  return {
    topicArn,
    linksUrl,
    secretArn: required(
      env,
      ENV.approvalSecretArn,
      'the Secrets Manager secret approval links are signed with',
    ),
    linkTtlSeconds,
  };
}

/** The approval links function's settings. */
export interface ApprovalLinksConfig {
  readonly secretArn: string;
  readonly storeUri: string;
}

/** Reads the links function's settings (`APPROVAL_SECRET_ARN`, `STORE_URI`). */
export function readApprovalLinksConfig(env: Env): ApprovalLinksConfig {
  const storeUri = required(env, ENV.storeUri, 'the model store the state machine uses (s3://bucket/prefix)');
  return {
    secretArn: required(
      env,
      ENV.approvalSecretArn,
      'the Secrets Manager secret approval links are signed with',
    ),
    storeUri,
  };
}

function image(name: string, value: string): ImageReference {
  try {
    return parseImageReference(value);
  } catch (error) {
    if (error instanceof RegistryError)
      throw new StepConfigError(`${name}: ${error.message}`, { cause: error });
    throw error;
  }
}

function required(env: Env, name: string, what: string): string {
  const value = text(env, name);
  if (value === undefined) throw new StepConfigError(`${name} is not set: set it to ${what}`);
  return value;
}

function text(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

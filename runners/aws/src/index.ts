// The AWS adapters: promotion by container image (OCI registry client, ECR auth, Lambda deployer) and
// approval on AWS (task token record, SNS message with signed links, the links function, settlement).
// SDK clients are passed in; the SDK modules themselves load on first use.

export { type LinkCheck, type LinkClaims, signLinkToken, verifyLinkToken } from './approval/link-token.js';
export {
  type AwsApprovalDeps,
  approvalLinks,
  approvalMessage,
  awsApprovalCommands,
  createAwsApprovalHandler,
  executionConsoleUrl,
  executionName,
  type SnsApi,
} from './approval/notify.js';
export {
  APPROVAL_TOKEN_FILE,
  APPROVAL_TOKEN_SCHEMA,
  type ApprovalDecision,
  type ApprovalOutput,
  type ApprovalTokenRecord,
  readApprovalToken,
  readDecision,
  recordApprovalToken,
  type SettleInput,
  type SettleOutcome,
  type SfnApi,
  settleApproval,
} from './approval/settle.js';
export {
  type ApprovalLinksDeps,
  createApprovalLinksHandler,
  type FunctionUrlEvent,
  type FunctionUrlResult,
} from './approval-links/handler.js';
export {
  type ApprovalLinksConfig,
  type ApprovalNotifyConfig,
  type ImageDeployConfig,
  readApprovalLinksConfig,
  readApprovalNotifyConfig,
  readImageDeployConfig,
} from './config.js';
export { type EcrApi, ecrAuthorization } from './ecr.js';
export { ApprovalSettleError, RegistryError, RequestSigningError, TrainingTaskError } from './errors.js';
export {
  type CanaryOptions,
  type CloudWatchApi,
  type LambdaApi,
  type LambdaImageDeployerOptions,
  lambdaImageDeployer,
} from './lambda-deployer.js';
export {
  type ModelImageBuilder,
  type StoreModelImageOptions,
  storeModelImageBuilder,
} from './model-image.js';
export { type ComposedImage, type ComposeImageInput, composeImage, type Descriptor } from './oci/compose.js';
export { buildFileLayer, type FileLayer } from './oci/layer.js';
export { formatImageReference, type ImageReference, isDigest, parseImageReference } from './oci/reference.js';
export {
  type FetchedManifest,
  MEDIA_TYPES,
  RegistryClient,
  type RegistryClientOptions,
  sha256Digest,
} from './oci/registry.js';
export { readSigningSecret, type SecretsApi } from './secret.js';
export { type Fetch, type SignedFetchOptions, type SigningCredentials, signedFetch } from './sigv4-fetch.js';
export * from './stage/index.js';
export {
  checkTrainingImage,
  composeTrainingImage,
  filesDigest,
  readBuiltTrainer,
  TRAINER_ROOT,
  TRAINING_IMAGE_LABELS,
  type TrainingImageInput,
} from './training-image.js';
export {
  createTrainingTaskHandler,
  type EcsApi,
  imageFamily,
  parseTrainingTaskEvent,
  readTrainingTaskConfig,
  resolveTrainingTask,
  type TrainingTask,
  type TrainingTaskConfig,
  type TrainingTaskEvent,
} from './training-task.js';
export { createApprovalLinksFunction, createAwsApprovalFunction, createImageDeployer } from './wiring.js';

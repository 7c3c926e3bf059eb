export { APP_CONTEXT, addStage, type SlipwayStage, stackName } from './app.js';
export {
  DEFAULT_CONFIG_PATH,
  parseConfig,
  readConfig,
  type SlipwayConfig,
  type SlipwayConfigInput,
  STAGE_NAMES,
  type StageConfig,
  type StageName,
  stageConfig,
  withContextOverrides,
} from './config.js';
export { alarmNames } from './constructs/monitoring.js';
export { VerifyOnAws, verifyJobNamePrefix } from './constructs/verify-on-aws.js';
export { ConfigError, SlipwayCdkError } from './errors.js';
export {
  DEFINITION_FILE,
  type ImageSpec,
  INFERENCE_IMAGE,
  REPO_ROOT,
  STEP_HANDLERS,
  STEPS_IMAGE,
  TRAINING_IMAGE,
} from './images.js';
export { applyNagChecks } from './nag.js';
export { GITHUB_ISSUER } from './stacks/github.js';
export { LIVE_ALIAS } from './stacks/inference.js';
export { repositoryNames } from './stacks/storage.js';
export { TRAINING_CONTAINER_NAME } from './stacks/training.js';

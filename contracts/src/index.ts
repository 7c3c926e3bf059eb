export { CANDIDATE_ALIAS, PRODUCTION_ALIAS } from './aliases.js';
export { type AwsCallLimits, createAwsClient, DEFAULT_AWS_CALL_LIMITS } from './aws-client.js';
export { type ApprovalDecisionRecord, asDecisionRecord } from './decision.js';
export {
  ENV,
  type EnvName,
  FUNCTION_ENV,
  type FunctionEnv,
  REBUILD_ENV,
  TRAINING_ENV,
  type TrainingEnv,
} from './env.js';
export {
  ERROR_CODES,
  type ErrorCode,
  type ErrorMapping,
  EXIT_CODES,
  type ExitCode,
  type ExitName,
  errorMapping,
  exitNameForError,
  httpStatusForError,
} from './errors.js';
export {
  DEFAULT_THRESHOLDS,
  type ExecutionInput,
  IMAGE_BY_DIGEST,
  IMAGE_BY_DIGEST_RULE,
  MODEL_NAME,
  MODEL_NAME_PATTERN,
  MODEL_NAME_RULE,
} from './execution-input.js';
export type { HistoryEvent } from './history.js';
export { wellFormedStrings } from './json.js';
export {
  ARTIFACT_FILE,
  executionLayout,
  layout,
  MANIFEST_FILE,
  recordId,
  STORE_AREAS,
  STORE_NAME,
  STORE_NAME_RULE,
  type StoreArea,
} from './layout.js';
export { describeTrainer, type RebuildLineage, rebuildLineage } from './lineage.js';
export {
  type ClassMetrics,
  DATASET_SCHEMA,
  type FileEntry,
  type Lineage,
  type Metrics,
  MODEL_SCHEMA,
  type ModelManifest,
  type SelfTestCase,
  type SplitRecord,
  type TrainerRecord,
  type TrainingEnvironment,
} from './manifest.js';
export { importOptional, MissingDependencyError, type OptionalDependency } from './optional-dependency.js';
export { ownRecord } from './own-record.js';
export { PIPELINE_OUTPUTS, STACK_OUTPUTS, type StackOutputName, VERIFY_OUTPUTS } from './stack-outputs.js';
export {
  APPROVAL_TIMEOUT_CAUSE,
  FAIL_STATES,
  type FailStateName,
  failStateOfError,
  isFailState,
  REJECTED_ERROR,
  STATES,
  type StateName,
} from './states.js';

export {
  type Compute,
  checkHyperparameters,
  computeSchema,
  type ExecutionInput,
  type ExecutionInputDraft,
  executionInputSchema,
  parseExecutionInput,
  type Thresholds,
  type Trainer,
  thresholdOverridesSchema,
  trainerSchema,
  upgradeRecordedInput,
} from './input.js';
export { storeDataset, storeUploadedDataset, type UploadedFile } from './local/datasets.js';
export { LocalPipeline, type LocalPipelineOptions } from './local/pipeline.js';
export { type LocalRebuildOptions, localRebuild } from './local/rebuild.js';
export { approveExecution, rejectExecution } from './runtime/decisions.js';
export {
  type AslDefinition,
  type AslState,
  checkDefinition,
  DEFINITION_PATH,
  longestApprovalTimeout,
  parseResource,
  placeholders,
  RETRYABLE_ERRORS,
  readDefinitionText,
  substitute,
  type TaskResource,
} from './runtime/definition.js';
export {
  DefinitionError,
  ExecutionInputError,
  ExecutionNotFoundError,
  ExecutionStateError,
} from './runtime/errors.js';
export {
  ExecutionJournal,
  type ExecutionRecord,
  type ExecutionStatus,
  FAILPOINT_REACHED,
  type HistoryEvent,
  type JournalOptions,
  listExecutions,
  readExecution,
  readExecutionRecord,
} from './runtime/history.js';
export {
  type ExecutionHandle,
  type ExecutionOutcome,
  type LambdaHandler,
  LOCAL_FUNCTION_NAMES,
  LOCAL_TRAINING_TASK_FUNCTION,
  LocalRuntime,
  type LocalRuntimeOptions,
  localSubstitutions,
  newExecutionId,
} from './runtime/runtime.js';
export { sweepScratchDirs } from './runtime/scratch.js';
export { type Decision, type PendingToken, TokenRegistry } from './runtime/tokens.js';
export { TrainingJobFailedError } from './runtime/trainer.js';

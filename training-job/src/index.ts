export { type ContainerEnv, type ContainerOptions, runTrainingContainer } from './container.js';
export * from './data/index.js';
export {
  type CommandModelRecord,
  type CommandTrainer,
  channelDataset,
  recordCommandModel,
} from './job/command.js';
export {
  EXIT_WITH_PARENT_IMPORT,
  isAlive,
  type ProcessRef,
  processStartTime,
  stillRunning,
  stopProcessGroup,
  thisProcess,
} from './job/processes.js';
export { type ProgramOutcome, type ProgramRun, runTrainingProgram } from './job/run.js';
export { layOutTrainingRoot, sageMakerEnvironment, type TrainingInputs } from './job/sagemaker.js';
export { assessModel } from './model/assess.js';
export type { Classifier, Prediction } from './model/classifier.js';
export {
  CLASSES_METADATA_KEY,
  checkModelContract,
  declaredClasses,
  describeValue,
} from './model/contract.js';
export { ModelContractError, ModelFileError } from './model/errors.js';
export { computeMetrics } from './model/metrics.js';
export {
  OnnxClassifier,
  openModel,
  ortReason,
  type RawPredictions,
  readManifest,
  type SessionOptions,
  sha256,
  toPredictions,
} from './model/onnx-classifier.js';
export { ReferenceClassifier } from './model/reference.js';
export { buildOnnxModel, modelMetadata, type TextModel } from './onnx/graph.js';
export { decodeModel } from './onnx/proto.js';
export { ContainerConfigError, StorageError } from './remote/errors.js';
export type { ObjectStorage } from './remote/object-storage.js';
export { ModelExportError, TrainingError } from './train/errors.js';
export {
  DEFAULT_HYPERPARAMETERS,
  HYPERPARAMETER_SPECS,
  type Hyperparameters,
  resolveHyperparameters,
} from './train/hyperparameters.js';
export {
  splitRecord,
  TRAIN_THREADS_ENV,
  type TrainingProgress,
  type TrainOptions,
  type TrainResult,
  trainingEnvironment,
  trainingThreads,
  trainModel,
  writeModelDir,
  writeModelFiles,
} from './train/train.js';
export { onnxruntimeVersion, trainerVersion } from './versions.js';

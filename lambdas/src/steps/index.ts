// The pipeline's step functions: Evaluate, Register, Approval, Promote (and RollBack), SmokeTest.
// Each exports a plain core (`runX`), its event schema and a handler factory (`createXHandler(deps)`);
// the Lambda entry points (`<step>/lambda.ts`) read the environment at load and are not exported here.
export { type Artifact, artifactKey, readArtifact } from './artifact.js';
export {
  type PromoteStepConfig,
  readPromoteStepConfig,
  readSmokeTestStepConfig,
  readStoreStepConfig,
  type SmokeTestStepConfig,
  type StoreStepConfig,
} from './config.js';
export {
  ArtifactError,
  DeployError,
  EvaluationError,
  type EventIssue,
  InvalidEventError,
  ProductionMovedError,
  RollbackError,
  StepConfigError,
  StepError,
} from './errors.js';

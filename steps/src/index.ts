// The pipeline's step functions: Evaluate, Register, Approval, Promote (and RollBack), SmokeTest.
// Each exports a plain core (`runX`), its event schema and a handler factory (`createXHandler(deps)`);
// the Lambda entry points (`<step>/lambda.ts`) read the environment at load and are not exported here.
export {
  APPROVAL_REQUEST_FILE,
  APPROVAL_REQUEST_SCHEMA,
  type ApprovalDeps,
  type ApprovalEvent,
  type ApprovalNotice,
  type ApprovalRequestRecord,
  approvalEventSchema,
  createApprovalHandler,
  defaultApprovalCommands,
  type Notifier,
  readApprovalRequest,
  readDecisions,
  runApproval,
} from './approval/index.js';
export { type Artifact, artifactKey, readArtifact } from './artifact.js';
export {
  type EndpointAuth,
  type PromoteStepConfig,
  readEndpointAuth,
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
  StepConfigError,
  StepError,
} from './errors.js';
export {
  createEvaluateHandler,
  type EvaluateDeps,
  type EvaluateEvent,
  evaluateEventSchema,
  runEvaluate,
} from './evaluate/index.js';
export type { LatencyReport, TestRow } from './evaluate/measure.js';
export {
  type CompactEvaluation,
  compactEvaluationSchema,
  compactReport,
  EVALUATION_FILE,
  EVALUATION_SCHEMA,
  type EvaluationReport,
  type ModelEvaluation,
  readEvaluationReport,
  type Sample,
} from './evaluate/report.js';
export {
  type ClassChange,
  type Confusion,
  classChanges,
  type ReportReview,
  reviewReport,
  topConfusions,
} from './evaluate/review.js';
export {
  type GateScores,
  judge,
  type ProductionScores,
  type Thresholds,
  type Verdict,
  type VerdictCheck,
} from './evaluate/verdict.js';
export {
  createPromoteHandler,
  type Deployer,
  type Deployment,
  type DeployRequest,
  fixedEndpointDeployer,
  type PromoteDeps,
  type PromoteEvent,
  type PromoteOutput,
  promoteEventSchema,
  type RejectEvent,
  type RejectOutput,
  type RollbackEvent,
  type RollbackOutput,
  runPromote,
  runReject,
  runRollback,
} from './promote/index.js';
export {
  createRegisterHandler,
  type RegisterDeps,
  type RegisterEvent,
  type RegisterOutput,
  registerEventSchema,
  runRegister,
} from './register/index.js';
export {
  createSmokeTestHandler,
  runSmokeTest,
  type SmokeFailure,
  type SmokeTestDeps,
  type SmokeTestEvent,
  type SmokeTestOutput,
  smokeTestEventSchema,
} from './smoke-test/index.js';
export { readStateData, STATE_DATA_WRITERS, type StateData } from './state-data.js';
export {
  compareLineages,
  comparePredictions,
  type RebuildRequest,
  type Rebuilt,
  TrainerUnavailableError,
  type VerifyDeps,
  verifyVersion,
} from './verify/index.js';

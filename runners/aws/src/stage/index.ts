// The AWS side of the pipeline as the CLI drives it: the stage's stack outputs, executions on Step
// Functions (status, and the one reader of their history), their logs, and the pull request comment. The SDK clients load on first use.
export { type AwsClients, createAwsClients, createStepFunctionsClient } from './clients.js';
export * from './comment.js';
export * from './errors.js';
export * from './executions.js';
export * from './history.js';
export * from './logs.js';
export * from './rebuild.js';
export * from './stage.js';

// The AWS side of the pipeline as the CLI drives it: the stage's stack outputs, executions on Step
// Functions, their logs, and the pull request comment. The SDK clients load on first use.
export { type AwsClients, createAwsClients } from './clients.js';
export * from './comment.js';
export * from './errors.js';
export * from './executions.js';
export * from './logs.js';
export * from './stage.js';

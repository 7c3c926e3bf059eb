// The local web console: executions, evaluation reports, approvals and models, served by `slipway console`.
export type * from './api-types.js';
export { AwsExecutionSource, type AwsExecutionSourceOptions, type SfnClientLike } from './aws-source.js';
export { type ConsoleFlags, type ConsoleIo, runConsoleCommand } from './cli.js';
export { type ExecutionData, stateViews, summarize } from './derive.js';
export { AwsSourceError, ConsoleError, ConsoleRequestError, ConsoleStartError } from './errors.js';
export { type DrawableDefinition, layoutDefinition, transitions } from './graph.js';
export { LocalExecutionSource } from './local-source.js';
export { type ConsoleOptions, type ConsoleServer, startConsole } from './server.js';
export type { ExecutionSource } from './source.js';

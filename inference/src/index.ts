export {
  type AppRequest,
  type AppResponse,
  errorBody,
  InferenceApp,
  type InferenceAppOptions,
} from './app.js';
export { type DocsPage, renderDocs } from './docs.js';
export {
  InferenceConfigError,
  InferenceError,
  ModelLoadError,
  ModelSourceError,
  SelfTestFailedError,
} from './errors.js';
export { ModelHolder, type ModelLease } from './holder.js';
export { defaultLimits, type InferenceLimits, resolveLimits } from './limits.js';
export {
  type LoadModelOptions,
  loadModel,
  type ModelInfo,
  type ModelOpener,
  type ServedModel,
} from './model.js';
export {
  buildOpenApi,
  curlCommand,
  type ExampleTexts,
  examplesFrom,
  GENERIC_EXAMPLE,
} from './openapi.js';
export { type ApiSchemas, buildSchemas, type ErrorCode, errorCodes } from './schemas.js';
export { type HttpServerHandle, type HttpServerOptions, listen } from './server.js';
export { type InferenceServer, type InferenceServerOptions, startInferenceServer } from './service.js';
export {
  type AliasStore,
  folderSource,
  type ModelSource,
  type StoreAliasSourceOptions,
  storeAliasSource,
} from './source.js';
export {
  createTelemetry,
  type MetricsSettings,
  type RequestRecord,
  type Telemetry,
  type TelemetryOptions,
} from './telemetry.js';
export { ModelWatcher, type ModelWatcherOptions, type WatchEvent } from './watcher.js';

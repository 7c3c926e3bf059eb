// The Lambda adapter (`@slipway/inference/lambda`): the inference core behind API Gateway and Function
// URL events, configured from the function's environment. The node server and the core are `.`.
export { type LambdaConfig, readLambdaConfig } from './config.js';
export {
  createLambdaHandler,
  type InferenceLambdaHandler,
  type LambdaContextLike,
  type LambdaHttpResult,
} from './lambda.js';
export { type InferenceLambda, initInferenceLambda } from './service.js';

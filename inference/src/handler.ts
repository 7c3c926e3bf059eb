// The inference Lambda's entry point (`handler.handler` in the image). The model loads here, in the
// init phase, so the first invocation does not pay for it; a model that fails its self-test stops init.
import { openModel } from '@slipway/training-job';
import { readLambdaConfig } from './config.js';
import { initInferenceLambda } from './service.js';

const lambda = await initInferenceLambda(readLambdaConfig(process.env), openModel);

/** Answers API Gateway (REST and HTTP API) and Function URL events. */
export const handler = lambda.handler;

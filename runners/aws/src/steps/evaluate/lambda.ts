// The Evaluate function's entry point: dependencies are built once per container, at init.
import { openStore } from '@slipway/model-store';
import { createEvaluateHandler } from '@slipway/steps';
import { FUNCTION_CONFIG } from '../../function-config.js';
import { stepLogger, withStepLog } from '../../step-log.js';

const { storeUri } = FUNCTION_CONFIG.evaluate(process.env);

/** Evaluates a training artifact against production (event: the Evaluate state's Payload). */
export const handler = withStepLog(
  stepLogger('evaluate'),
  createEvaluateHandler({ store: await openStore(storeUri) }),
);

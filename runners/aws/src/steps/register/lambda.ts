// The Register function's entry point: dependencies are built once per container, at init.
import { openStore } from '@slipway/model-store';
import { createRegisterHandler } from '@slipway/steps';
import { FUNCTION_CONFIG } from '../../function-config.js';
import { stepLogger, withStepLog } from '../../step-log.js';

const { storeUri } = FUNCTION_CONFIG.register(process.env);

/** Registers the evaluated artifact as a new version (event: the Register state's Payload). */
export const handler = withStepLog(
  stepLogger('register'),
  createRegisterHandler({ store: await openStore(storeUri), actor: 'slipway-pipeline' }),
);

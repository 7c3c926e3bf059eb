// The Register function's entry point: dependencies are built once per container, at init.
import { openStore } from '@slipway/model-store';
import { createRegisterHandler } from '@slipway/steps';
import { FUNCTION_CONFIG } from '../../function-config.js';

const { storeUri } = FUNCTION_CONFIG.register(process.env);

/** Registers the evaluated artifact as a new version (event: the Register state's Payload). */
export const handler = createRegisterHandler({ store: await openStore(storeUri), actor: 'slipway-pipeline' });

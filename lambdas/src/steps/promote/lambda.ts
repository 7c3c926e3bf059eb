// The Promote function's entry point: dependencies are built once per container, at init.
import { openStore } from '@slipway/model-store';
import { readPromoteStepConfig } from '../config.js';
import { createPromoteHandler, fixedEndpointDeployer } from './index.js';

const { storeUri, endpoint } = readPromoteStepConfig(process.env);

/** Promotes or rolls back production (event: the Promote or RollBack state's Payload). */
export const handler = createPromoteHandler({
  store: await openStore(storeUri),
  // The endpoint follows the production alias itself until an image deployer replaces this.
  deployer: fixedEndpointDeployer(endpoint),
});

// The Promote function's entry point: dependencies are built once per container, at init.
import { openStore } from '@slipway/model-store';
import { createPromoteHandler, fixedEndpointDeployer } from '@slipway/steps';
import { FUNCTION_CONFIG } from '../../function-config.js';
import { stepLogger, withStepLog } from '../../step-log.js';
import { createImageDeployer } from '../../wiring.js';

const { storeUri, endpoint, image } = FUNCTION_CONFIG.promote(process.env);
const store = await openStore(storeUri);
const logger = stepLogger('promote');

/** Promotes or rolls back production (event: the Promote or RollBack state's Payload). */
export const handler = withStepLog(
  logger,
  createPromoteHandler({
    store,
    // On AWS the model goes into the inference function's image; without INFERENCE_FUNCTION_NAME the
    // endpoint follows the production alias itself (slipway serve hot-swaps when it moves).
    deployer:
      image === null
        ? fixedEndpointDeployer(endpoint)
        : await createImageDeployer(image, { store, endpoint, logger }),
  }),
);

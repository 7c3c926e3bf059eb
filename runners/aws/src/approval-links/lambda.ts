// The approval links function's entry point (Lambda Function URL, payload 2.0): dependencies are built
// once per container, at init.
import { openStore } from '@slipway/model-store';
import { FUNCTION_CONFIG } from '../function-config.js';
import { stepLogger } from '../step-log.js';
import { createApprovalLinksFunction } from '../wiring.js';

const config = FUNCTION_CONFIG.approvalLinks(process.env);

/** Shows the confirmation page (GET) and settles the Approval task (POST). */
export const handler = await createApprovalLinksFunction(
  config,
  await openStore(config.storeUri),
  stepLogger('approvalLinks'),
);

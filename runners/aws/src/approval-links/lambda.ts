// The approval links function's entry point (Lambda Function URL, payload 2.0): dependencies are built
// once per container, at init.
import { openStore } from '@slipway/model-store';
import { readApprovalLinksConfig } from '../config.js';
import { createApprovalLinksFunction } from '../wiring.js';

const config = readApprovalLinksConfig(process.env);

/** Shows the confirmation page (GET) and settles the Approval task (POST). */
export const handler = await createApprovalLinksFunction(config, await openStore(config.storeUri));

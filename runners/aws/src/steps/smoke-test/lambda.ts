// The SmokeTest function's entry point: configuration is read once per container, at init.

import { createSmokeTestHandler } from '@slipway/steps';
import { FUNCTION_CONFIG } from '../../function-config.js';
import { signedFetch } from '../../sigv4-fetch.js';
import { stepLogger, withStepLog } from '../../step-log.js';

const { auth, ...config } = FUNCTION_CONFIG.smokeTest(process.env);

/** Checks the endpoint serves the promoted version and agrees with the evaluation (event: the SmokeTest state's Payload). */
export const handler = withStepLog(
  stepLogger('smokeTest'),
  createSmokeTestHandler({
    ...config,
    // A Function URL with IAM auth answers 403 to unsigned requests; the function's role signs them.
    ...(auth.type === 'AWS_IAM' ? { fetch: signedFetch(auth.region) } : {}),
  }),
);

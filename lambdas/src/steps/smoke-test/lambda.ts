// The SmokeTest function's entry point: configuration is read once per container, at init.
import { readSmokeTestStepConfig } from '../config.js';
import { createSmokeTestHandler } from './index.js';

/** Checks the endpoint serves the promoted version and agrees with the evaluation (event: the SmokeTest state's Payload). */
export const handler = createSmokeTestHandler(readSmokeTestStepConfig(process.env));

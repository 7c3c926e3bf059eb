import type { FUNCTION_ENV } from '@slipway/contracts';
import {
  readEndpointAuth,
  readPromoteStepConfig,
  readSmokeTestStepConfig,
  readStoreStepConfig,
} from '@slipway/steps';
import { readApprovalLinksConfig, readApprovalNotifyConfig, readImageDeployConfig } from './config.js';
import { readTrainingTaskConfig } from './training-task.js';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Each step function's configuration, read once at init from its environment: what its entry point
 * calls, and what a test holds to the names `FUNCTION_ENV` (contracts) says the function reads.
 * @example const { storeUri } = FUNCTION_CONFIG.evaluate(process.env);
 */
export const FUNCTION_CONFIG = {
  evaluate: (env: Env) => readStoreStepConfig(env),
  register: (env: Env) => readStoreStepConfig(env),
  approval: (env: Env) => ({ ...readStoreStepConfig(env), notify: readApprovalNotifyConfig(env) }),
  promote: (env: Env) => ({ ...readPromoteStepConfig(env), image: readImageDeployConfig(env) }),
  smokeTest: (env: Env) => ({ ...readSmokeTestStepConfig(env), auth: readEndpointAuth(env) }),
  approvalLinks: (env: Env) => readApprovalLinksConfig(env),
  trainingTask: (env: Env) => readTrainingTaskConfig(env),
} as const satisfies Record<Exclude<keyof typeof FUNCTION_ENV, 'inference'>, (env: Env) => unknown>;

// Each entry point reads its configuration through FUNCTION_CONFIG; this holds the names those readers
// touch to FUNCTION_ENV (contracts), the list the CDK app's environment is checked against.
import { ENV, FUNCTION_ENV } from '@slipway/contracts';
import { StepConfigError } from '@slipway/steps';
import { describe, expect, it } from 'vitest';
import { ENV_VALUES, namesRead } from '../../../../test-helpers/env-reads.js';
import { FUNCTION_CONFIG } from '../../src/function-config.js';

describe('each function reads the environment FUNCTION_ENV names for it', () => {
  it.each(Object.keys(FUNCTION_CONFIG) as (keyof typeof FUNCTION_CONFIG)[])('%s', (fn) => {
    const { required, optional } = FUNCTION_ENV[fn];
    expect(namesRead(FUNCTION_CONFIG[fn])).toEqual([...required, ...optional].sort());
    for (const name of required) {
      expect(() => namesRead(FUNCTION_CONFIG[fn], name), `${fn} without ${name}`).toThrow(name);
    }
  });

  it('every function but inference (which reads its own, in inference/) has its reader here', () => {
    expect([...Object.keys(FUNCTION_CONFIG), 'inference'].sort()).toEqual(Object.keys(FUNCTION_ENV).sort());
  });

  it('a missing required name is a StepConfigError that names it', () => {
    expect(() => FUNCTION_CONFIG.approvalLinks({ [ENV.storeUri]: ENV_VALUES[ENV.storeUri] })).toThrow(
      new StepConfigError(
        `${ENV.approvalSecretArn} is not set: set it to the Secrets Manager secret approval links are signed with`,
      ),
    );
  });
});

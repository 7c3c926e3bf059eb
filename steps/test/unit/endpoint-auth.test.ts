import { describe, expect, it } from 'vitest';
import { readEndpointAuth, StepConfigError } from '../../src/index.js';

describe('readEndpointAuth', () => {
  it('reads AWS_IAM with the region Lambda sets, and NONE', () => {
    expect(readEndpointAuth({ ENDPOINT_AUTH: 'AWS_IAM', AWS_REGION: 'eu-west-1' })).toEqual({
      type: 'AWS_IAM',
      region: 'eu-west-1',
    });
    expect(readEndpointAuth({ ENDPOINT_AUTH: 'NONE', AWS_REGION: 'eu-west-1' })).toEqual({ type: 'NONE' });
  });

  it('treats an unset or blank ENDPOINT_AUTH as NONE (the local runtime sets none)', () => {
    expect(readEndpointAuth({})).toEqual({ type: 'NONE' });
    expect(readEndpointAuth({ ENDPOINT_AUTH: ' ' })).toEqual({ type: 'NONE' });
  });

  it.each([
    [
      { ENDPOINT_AUTH: 'aws_iam', AWS_REGION: 'eu-west-1' },
      'ENDPOINT_AUTH must be AWS_IAM (SigV4-signed requests, for a Function URL with IAM auth) or NONE, got "aws_iam"; ' +
        "set it to the inference Function URL's auth type",
    ],
    [
      { ENDPOINT_AUTH: 'IAM' },
      'ENDPOINT_AUTH must be AWS_IAM (SigV4-signed requests, for a Function URL with IAM auth) or NONE, got "IAM"',
    ],
    [
      { ENDPOINT_AUTH: 'AWS_IAM' },
      "ENDPOINT_AUTH is AWS_IAM but AWS_REGION is not set: set it to the inference function's region (Lambda sets it itself)",
    ],
  ])('fails fast naming the variable (%#)', (env, message) => {
    const read = () => readEndpointAuth(env);
    expect(read).toThrow(StepConfigError);
    expect(read).toThrow(message);
  });
});

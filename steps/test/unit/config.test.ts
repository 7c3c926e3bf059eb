import { describe, expect, it } from 'vitest';
import {
  readPromoteStepConfig,
  readSmokeTestStepConfig,
  readStoreStepConfig,
  StepConfigError,
} from '../../src/index.js';

describe('step configuration', () => {
  it('reads STORE_URI, ENDPOINT_URL and SMOKE_TEST_TIMEOUT_MS', () => {
    expect(readStoreStepConfig({ STORE_URI: 's3://models/slipway' })).toEqual({
      storeUri: 's3://models/slipway',
    });
    expect(
      readPromoteStepConfig({ STORE_URI: 'file:///srv/store', ENDPOINT_URL: 'https://x.lambda-url.aws/' }),
    ).toEqual({
      storeUri: 'file:///srv/store',
      endpoint: 'https://x.lambda-url.aws/',
    });
    expect(readPromoteStepConfig({ STORE_URI: 's3://m/p' }).endpoint).toBeNull();
    expect(readSmokeTestStepConfig({})).toEqual({ timeoutMs: 30_000 });
    expect(readSmokeTestStepConfig({ SMOKE_TEST_TIMEOUT_MS: '5000' })).toEqual({ timeoutMs: 5000 });
  });

  it.each([
    [() => readStoreStepConfig({}), 'STORE_URI is not set: set it to the model store the state machine uses'],
    [() => readStoreStepConfig({ STORE_URI: '  ' }), 'STORE_URI is not set'],
    [
      () => readStoreStepConfig({ STORE_URI: 'bucket/prefix' }),
      'STORE_URI must start with s3:// or file://, got "bucket/prefix"',
    ],
    [
      () => readPromoteStepConfig({ STORE_URI: 's3://m/p', ENDPOINT_URL: 'localhost:8080' }),
      'ENDPOINT_URL must be an http(s) URL, got "localhost:8080"',
    ],
    [
      () => readSmokeTestStepConfig({ SMOKE_TEST_TIMEOUT_MS: '30s' }),
      'SMOKE_TEST_TIMEOUT_MS must be a positive integer (milliseconds), got "30s"',
    ],
  ])('fails fast naming the variable (%#)', (read, message) => {
    expect(read).toThrow(StepConfigError);
    expect(read).toThrow(message);
  });
});

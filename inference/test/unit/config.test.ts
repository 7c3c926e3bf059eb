import { FUNCTION_ENV } from '@slipway/contracts';
import { describe, expect, it } from 'vitest';
import { namesRead } from '../../../test-helpers/env-reads.js';
import { readLambdaConfig } from '../../src/aws-lambda.js';
import { InferenceConfigError, resolveLimits } from '../../src/index.js';

describe('readLambdaConfig', () => {
  it('has defaults for everything: the model at /opt/model, metrics on, text not logged', () => {
    expect(readLambdaConfig({})).toEqual({
      modelDir: '/opt/model',
      limits: { maxBodyBytes: 1_048_576, maxTextChars: 10_000, maxBatchSize: 64 },
      maxRunBatch: 64,
      metrics: { namespace: 'slipway', service: 'inference' },
      logLevel: 'INFO',
      logText: false,
    });
  });

  it('reads every variable', () => {
    expect(
      readLambdaConfig({
        MODEL_DIR: '/mnt/m',
        MAX_BODY_BYTES: '2048',
        MAX_TEXT_CHARS: '500',
        MAX_BATCH_SIZE: '8',
        MAX_RUN_BATCH: '4',
        METRICS_NAMESPACE: 'acme',
        SERVICE_NAME: 'reviews',
        LOG_LEVEL: 'debug',
        LOG_TEXT: 'true',
      }),
    ).toEqual({
      modelDir: '/mnt/m',
      limits: { maxBodyBytes: 2048, maxTextChars: 500, maxBatchSize: 8 },
      maxRunBatch: 4,
      metrics: { namespace: 'acme', service: 'reviews' },
      logLevel: 'DEBUG',
      logText: true,
    });
    expect(readLambdaConfig({ METRICS: 'off' }).metrics).toBe(false);
  });

  it.each([
    [
      { MAX_BATCH_SIZE: '0' },
      'invalid limits in the environment: MAX_BATCH_SIZE must be a positive integer, got "0"',
    ],
    [
      { MAX_TEXT_CHARS: '1e3' },
      'invalid limits in the environment: MAX_TEXT_CHARS must be a positive integer, got "1e3"',
    ],
    [{ MAX_RUN_BATCH: '-1' }, 'MAX_RUN_BATCH must be a positive integer, got "-1"'],
    [{ LOG_TEXT: 'yes' }, 'LOG_TEXT must be true or false, got "yes"'],
    [
      { LOG_LEVEL: 'loud' },
      'LOG_LEVEL must be one of DEBUG, INFO, WARN, ERROR, CRITICAL, SILENT, got "LOUD"',
    ],
    [{ METRICS: 'maybe' }, 'METRICS must be "on" or "off", got "maybe"'],
  ])('fails fast naming the variable: %j', (env, message) => {
    expect(() => readLambdaConfig(env)).toThrow(new InferenceConfigError(message));
  });
});

describe('resolveLimits', () => {
  it('keeps defaults for what is not overridden and rejects non-positive values', () => {
    expect(resolveLimits({ maxBatchSize: 2, maxTextChars: undefined })).toEqual({
      maxBodyBytes: 1_048_576,
      maxTextChars: 10_000,
      maxBatchSize: 2,
    });
    expect(() => resolveLimits({ maxBodyBytes: 0.5 })).toThrow(
      'limit maxBodyBytes must be a positive integer, got 0.5',
    );
  });
});

describe('the names readLambdaConfig reads', () => {
  it('are exactly the ones FUNCTION_ENV lists for the inference function (the CDK app sets no other)', () => {
    const { required, optional } = FUNCTION_ENV.inference;
    expect(namesRead(readLambdaConfig)).toEqual([...required, ...optional].sort());
  });
});

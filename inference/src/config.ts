import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import { ENV } from '@slipway/contracts';
import { InferenceConfigError } from './errors.js';
import { type InferenceLimits, resolveLimits } from './limits.js';
import type { MetricsSettings } from './telemetry.js';

/** Configuration of the inference Lambda, read once from its environment. */
export interface LambdaConfig {
  /** `MODEL_DIR`: folder holding model.onnx and manifest.json. Default `/opt/model` (the image's model layer). */
  readonly modelDir: string;
  /** `MAX_BODY_BYTES`, `MAX_TEXT_CHARS`, `MAX_BATCH_SIZE`. */
  readonly limits: InferenceLimits;
  /** `MAX_RUN_BATCH`: largest batch per onnxruntime run. Default 64. */
  readonly maxRunBatch: number;
  /** `METRICS_NAMESPACE` (default `slipway`) and `SERVICE_NAME` (default `inference`); `METRICS=off` disables. */
  readonly metrics: MetricsSettings | false;
  /** `LOG_LEVEL`: DEBUG, INFO, WARN, ERROR. Default INFO. */
  readonly logLevel: LogLevel;
  /** `LOG_TEXT=true` logs input texts; off by default because texts may be personal data. */
  readonly logText: boolean;
}

const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'] as const;

/**
 * Reads the Lambda configuration, failing fast with the variable's name when a value is malformed.
 * @example const config = readLambdaConfig(process.env);
 */
export function readLambdaConfig(env: Readonly<Record<string, string | undefined>>): LambdaConfig {
  const service = text(env, ENV.serviceName) ?? 'inference';
  const metricsSwitch = text(env, ENV.metrics)?.toLowerCase() ?? 'on';
  if (metricsSwitch !== 'on' && metricsSwitch !== 'off') {
    throw new InferenceConfigError(
      `${ENV.metrics} must be "on" or "off", got ${JSON.stringify(metricsSwitch)}`,
    );
  }
  const logLevel = (text(env, ENV.logLevel) ?? 'INFO').toUpperCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new InferenceConfigError(
      `${ENV.logLevel} must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(logLevel)}`,
    );
  }
  let limits: InferenceLimits;
  try {
    limits = resolveLimits({
      maxBodyBytes: integer(env, ENV.maxBodyBytes),
      maxTextChars: integer(env, ENV.maxTextChars),
      maxBatchSize: integer(env, ENV.maxBatchSize),
    });
  } catch (error) {
    throw new InferenceConfigError(`invalid limits in the environment: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return {
    modelDir: text(env, ENV.modelDir) ?? '/opt/model',
    limits,
    maxRunBatch: integer(env, ENV.maxRunBatch) ?? 64,
    metrics:
      metricsSwitch === 'off' ? false : { namespace: text(env, ENV.metricsNamespace) ?? 'slipway', service },
    logLevel: logLevel as LogLevel,
    logText: boolean(env, ENV.logText) ?? false,
  };
}

function text(env: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function integer(env: Readonly<Record<string, string | undefined>>, name: string): number | undefined {
  const value = text(env, name);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new InferenceConfigError(`${name} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return n;
}

function boolean(env: Readonly<Record<string, string | undefined>>, name: string): boolean | undefined {
  const value = text(env, name)?.toLowerCase();
  if (value === undefined) return undefined;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new InferenceConfigError(`${name} must be true or false, got ${JSON.stringify(value)}`);
}

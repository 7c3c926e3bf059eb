import { ENV } from '@slipway/contracts';
import { StepConfigError } from './errors.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Configuration shared by the steps that use the model store. */
export interface StoreStepConfig {
  /** `STORE_URI`: `s3://bucket/prefix` or `file:///path`, the same URI the state machine's `StoreUri` names. */
  readonly storeUri: string;
}

/** The Promote function's configuration. */
export interface PromoteStepConfig extends StoreStepConfig {
  /** `ENDPOINT_URL`: the inference endpoint the smoke test calls; unset means none. */
  readonly endpoint: string | null;
}

/** The SmokeTest function's configuration. */
export interface SmokeTestStepConfig {
  /** `SMOKE_TEST_TIMEOUT_MS`: how long to wait for the endpoint to serve the version. Default 30 000. */
  readonly timeoutMs: number;
}

/**
 * How the steps that call the inference endpoint authenticate (`ENDPOINT_AUTH`, as the CDK app sets it
 * from the Function URL's auth type): `AWS_IAM` signs requests with SigV4 in `region`; `NONE` (also when
 * unset, as in the local runtime) sends them as they are.
 */
export type EndpointAuth = { readonly type: 'NONE' } | { readonly type: 'AWS_IAM'; readonly region: string };

/**
 * Reads a store step's configuration once, failing fast with the variable's name.
 * @example const { storeUri } = readStoreStepConfig(process.env);
 */
export function readStoreStepConfig(env: Env): StoreStepConfig {
  const storeUri = text(env, ENV.storeUri);
  if (storeUri === undefined) {
    throw new StepConfigError(
      `${ENV.storeUri} is not set: set it to the model store the state machine uses (s3://bucket/prefix or file:///path)`,
    );
  }
  if (!/^(s3|file):\/\//.test(storeUri)) {
    throw new StepConfigError(
      `${ENV.storeUri} must start with s3:// or file://, got ${JSON.stringify(storeUri)}`,
    );
  }
  return { storeUri };
}

/** Reads the Promote function's configuration. */
export function readPromoteStepConfig(env: Env): PromoteStepConfig {
  const endpoint = text(env, ENV.endpointUrl) ?? null;
  if (endpoint !== null && !/^https?:\/\/[^/]/.test(endpoint)) {
    throw new StepConfigError(`${ENV.endpointUrl} must be an http(s) URL, got ${JSON.stringify(endpoint)}`);
  }
  return { ...readStoreStepConfig(env), endpoint };
}

/** Reads the SmokeTest function's configuration. */
export function readSmokeTestStepConfig(env: Env): SmokeTestStepConfig {
  const raw = text(env, ENV.smokeTestTimeoutMs);
  if (raw === undefined) return { timeoutMs: 30_000 };
  const timeoutMs = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(timeoutMs) || timeoutMs < 1) {
    throw new StepConfigError(
      `${ENV.smokeTestTimeoutMs} must be a positive integer (milliseconds), got ${JSON.stringify(raw)}`,
    );
  }
  return { timeoutMs };
}

/**
 * Reads `ENDPOINT_AUTH` (and, for `AWS_IAM`, the `AWS_REGION` Lambda sets), failing fast on other values.
 * @example const auth = readEndpointAuth(process.env); // { type: 'AWS_IAM', region: 'eu-west-1' }
 */
export function readEndpointAuth(env: Env): EndpointAuth {
  const auth = text(env, ENV.endpointAuth);
  if (auth === undefined || auth === 'NONE') return { type: 'NONE' };
  if (auth !== 'AWS_IAM') {
    throw new StepConfigError(
      `${ENV.endpointAuth} must be AWS_IAM (SigV4-signed requests, for a Function URL with IAM auth) or NONE, got ${JSON.stringify(auth)}; ` +
        "set it to the inference Function URL's auth type",
    );
  }
  const region = text(env, 'AWS_REGION');
  if (region === undefined) {
    throw new StepConfigError(
      `${ENV.endpointAuth} is AWS_IAM but AWS_REGION is not set: set it to the inference function's region (Lambda sets it itself)`,
    );
  }
  return { type: 'AWS_IAM', region };
}

function text(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

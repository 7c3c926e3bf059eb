/**
 * How every AWS SDK v3 client slipway creates is set up: connection and request timeouts, bounded
 * retries with jitter, and an error that names the call that failed. One place, for every client.
 */

/** Timeouts and retries of an AWS client; each has a default. */
export interface AwsCallLimits {
  /** Time to open a TCP (and TLS) connection. Default 5 s. */
  readonly connectionTimeoutMs?: number;
  /** Time from sending a request to its response's headers (the SDK's `requestTimeout`). Default 30 s. */
  readonly requestTimeoutMs?: number;
  /** Attempts per call, the first included, under the SDK's standard retry mode. Default 3. */
  readonly maxAttempts?: number;
}

/** The defaults: a stalled server fails a call in about 3 × 30 s, never hangs it. */
export const DEFAULT_AWS_CALL_LIMITS: Required<AwsCallLimits> = {
  connectionTimeoutMs: 5_000,
  requestTimeoutMs: 30_000,
  maxAttempts: 3,
};

/** The part of an SDK client this module touches (every `@aws-sdk/client-*` client has it). */
interface MiddlewareClient {
  readonly middlewareStack: {
    add(
      middleware: (
        next: (args: unknown) => Promise<unknown>,
        context: { clientName?: string; commandName?: string },
      ) => (args: unknown) => Promise<unknown>,
      options: { step: 'initialize'; name: string; override?: boolean },
    ): void;
  };
}

/**
 * Creates an SDK client with slipway's limits merged into `config`: `requestHandler` timeouts (passed
 * as options, which the SDK builds its NodeHttpHandler from) and `retryMode: 'standard'` with
 * `maxAttempts` (exponential backoff with full jitter, retrying throttling, 5xx and transient network
 * errors only). A call that times out fails with an error whose message names it, e.g. `S3Client
 * GetObjectCommand timed out after 3 attempts (connection timeout 5000 ms, request timeout 30000 ms)`.
 * See https://docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/node-configuring-requesthandler.html
 * and https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
 * @example const s3 = createAwsClient(S3Client, { region: 'eu-west-1' });
 */
export function createAwsClient<Args extends unknown[], Client>(
  ClientClass: new (...args: Args) => Client,
  config: NonNullable<Args[0]>,
  limits: AwsCallLimits = {},
): Client {
  const l = { ...DEFAULT_AWS_CALL_LIMITS, ...limits };
  const withLimits = {
    ...config,
    requestHandler: {
      connectionTimeout: l.connectionTimeoutMs,
      requestTimeout: l.requestTimeoutMs,
      // Without this the SDK only logs a warning when requestTimeout passes, and the call waits on.
      throwOnRequestTimeout: true,
    },
    retryMode: 'standard',
    maxAttempts: l.maxAttempts,
  };
  const client = new ClientClass(...([withLimits] as unknown as Args));
  (client as unknown as MiddlewareClient).middlewareStack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if (isTimeout(error)) {
          const call = `${context.clientName ?? 'AWS client'} ${context.commandName ?? 'call'}`;
          const e = error as Error & { $metadata?: { attempts?: number } };
          const attempts = e.$metadata?.attempts ?? l.maxAttempts;
          e.message =
            `${call} timed out after ${attempts} attempt${attempts === 1 ? '' : 's'} (connection timeout ` +
            `${l.connectionTimeoutMs} ms, request timeout ${l.requestTimeoutMs} ms): ${e.message}`;
        }
        throw error;
      }
    },
    { step: 'initialize', name: 'slipwayNameTimedOutCall', override: true },
  );
  return client;
}

function isTimeout(error: unknown): boolean {
  const e = error as { name?: string; code?: string } | undefined;
  return e?.name === 'TimeoutError' || e?.code === 'ETIMEDOUT' || e?.code === 'ECONNRESET_TIMEOUT';
}

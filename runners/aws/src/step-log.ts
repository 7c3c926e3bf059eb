import { Logger } from '@aws-lambda-powertools/logger';

/** The Lambda context powertools reads (function name, request id, cold start). */
type LambdaContext = Parameters<Logger['addContext']>[0];

/**
 * One step function's logger: powertools JSON lines on stdout, `service` slipway-steps and `step` on
 * every line. The level comes from the function's log level (POWERTOOLS_LOG_LEVEL or Lambda's own
 * logging controls), INFO by default.
 * @example const logger = stepLogger('register');
 */
export function stepLogger(step: string): Logger {
  return new Logger({ serviceName: 'slipway-steps', persistentKeys: { step } });
}

/** The keys one invocation's lines carry: the event's execution id, model and version, when it has them. */
function invocationKeys(event: unknown): {
  executionId?: string;
  model?: string;
  version?: number;
} {
  if (typeof event !== 'object' || event === null) return {};
  const { executionId, model, version } = event as Record<string, unknown>;
  return {
    ...(typeof executionId === 'string' ? { executionId } : {}),
    ...(typeof model === 'string' ? { model } : {}),
    ...(typeof version === 'number' ? { version } : {}),
  };
}

/**
 * Wraps a step's handler so each invocation logs through `logger` with its execution id, model and
 * version as keys: one line when it starts, one when it ends (`durationMs`; the version a result
 * names, as Register's does) or fails (the error's name, code and message). The error is rethrown
 * unchanged, so the definition's Retry and Catch still match its name. The event itself is never
 * logged: it can carry a task token.
 * @example export const handler = withStepLog(stepLogger('register'), createRegisterHandler(deps));
 */
export function withStepLog<E, R>(
  logger: Logger,
  handler: (event: E) => Promise<R>,
): (event: E, context?: LambdaContext) => Promise<R> {
  return async (event, context) => {
    logger.resetKeys();
    if (context !== undefined) logger.addContext(context);
    logger.appendKeys(invocationKeys(event));
    const started = performance.now();
    logger.info('step started');
    try {
      const result = await handler(event);
      const { version } = invocationKeys(result);
      logger.info('step finished', {
        durationMs: Math.round(performance.now() - started),
        ...(version === undefined ? {} : { resultVersion: version }),
      });
      return result;
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      const { code } = e as { code?: unknown };
      logger.error('step failed', {
        durationMs: Math.round(performance.now() - started),
        errorName: e.name,
        ...(typeof code === 'string' ? { errorCode: code } : {}),
        errorMessage: e.message,
      });
      throw error;
    }
  };
}

/**
 * Errors of the AWS commands. Each says what is wrong and what to do; the CLI prints the message and
 * exits with 1 (`failed`).
 */

/** The stage's stack is missing, unreadable, or lacks an output a command needs. */
export class AwsStageError extends Error {
  /** Stable across releases, for programs (contracts' error table). */
  readonly code = 'SLIPWAY_AWS';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An execution cannot be acted on: unknown, not waiting for approval, already decided, or failed. */
export class AwsExecutionError extends Error {
  /** Stable across releases, for programs (contracts' error table). */
  readonly code = 'SLIPWAY_AWS_EXECUTION';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The execution named does not exist (Step Functions answered `ExecutionDoesNotExist`). */
export class AwsExecutionNotFoundError extends Error {
  /** Stable across releases, for programs (contracts' error table): HTTP 404, exit `notFound`. */
  readonly code = 'SLIPWAY_AWS_EXECUTION_NOT_FOUND';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * A Step Functions call that failed, as one of the errors above: `ExecutionDoesNotExist` is
 * {@link AwsExecutionNotFoundError}; anything else an {@link AwsExecutionError} naming the call, the
 * service's answer and the IAM action the caller needs.
 */
export function stepFunctionsError(action: string, target: string, error: unknown): Error {
  const e = error as Error;
  if (e?.name === 'ExecutionDoesNotExist') {
    return new AwsExecutionNotFoundError(
      `no execution ${target}: list them with \`slipway executions --aws\``,
      {
        cause: error,
      },
    );
  }
  return new AwsExecutionError(
    `Step Functions ${action} failed (${e?.name}: ${e?.message}) for ${target}; check the AWS credentials and region, and that the role may call states:${action}`,
    { cause: error },
  );
}

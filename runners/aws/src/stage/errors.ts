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

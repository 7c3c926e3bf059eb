/** Base class of the console's errors. */
export class ConsoleError extends Error {
  /** Stable across releases, for programs (the CLI's exit codes). */
  readonly code: string = 'SLIPWAY_CONSOLE';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A request the console refuses; `status` and `code` become the HTTP answer. */
export class ConsoleRequestError extends ConsoleError {
  constructor(
    readonly status: number,
    override readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The console cannot start (port taken, bundle does not build). */
export class ConsoleStartError extends ConsoleError {}

/** Step Functions refused or failed a call the AWS view needed. */
export class AwsSourceError extends ConsoleError {}

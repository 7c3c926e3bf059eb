import type { ErrorCode } from '@slipway/contracts';

/** Base class of the console's errors. */
export abstract class ConsoleError extends Error {
  /** Stable across releases, for programs: see contracts' error table. */
  abstract readonly code: ErrorCode;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A request the console refuses; `status` and `reason` become the HTTP answer. */
export class ConsoleRequestError extends ConsoleError {
  readonly code = 'SLIPWAY_CONSOLE_REQUEST';

  constructor(
    readonly status: number,
    /** What the answer's `error.code` says (`not_found`, `conflict`, ...): the web page's contract. */
    readonly reason: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The console cannot start (port taken, bundle does not build). */
export class ConsoleStartError extends ConsoleError {
  readonly code = 'SLIPWAY_CONSOLE_START';
}

/** Step Functions refused or failed a call the AWS view needed. */
export class AwsSourceError extends ConsoleError {
  readonly code = 'SLIPWAY_AWS_SOURCE';
}

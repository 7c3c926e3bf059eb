/** Base class of the CDK app's errors. */
export class SlipwayCdkError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SlipwayCdkError';
  }
}

/** The stage configuration is missing, malformed or names an unknown stage. */
export class ConfigError extends SlipwayCdkError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConfigError';
  }
}

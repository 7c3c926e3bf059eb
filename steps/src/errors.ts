/**
 * The pipeline steps' error family. `name` is what the state machine's Catch/Retry rules match and what
 * an execution shows as its error, so these names are a contract; the message becomes the Cause.
 */

import type { ErrorCode } from '@slipway/contracts';

/** Base class of every error a pipeline step throws on purpose. */
export abstract class StepError extends Error {
  /** Stable across releases, for programs: see contracts' error table. */
  abstract readonly code: ErrorCode;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** One problem found in an event: where (a dotted path) and what. */
export interface EventIssue {
  readonly path: string;
  readonly message: string;
}

/** A step was invoked with an event that does not have the shape its state's Payload promises. */
export class InvalidEventError extends StepError {
  readonly code = 'SLIPWAY_INVALID_EVENT';

  constructor(
    readonly step: string,
    readonly issues: readonly EventIssue[],
  ) {
    super(
      `invalid ${step} event: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}; ` +
        `check the ${step} state's Parameters.Payload in contracts/state-machine.asl.json and the execution input`,
    );
  }
}

/** A step's Lambda configuration (environment variable) is missing or malformed. */
export class StepConfigError extends StepError {
  readonly code: ErrorCode = 'SLIPWAY_STEP_CONFIG';
}

/** The training artifact (model.tar.gz) is outside the store, missing, unreadable, or fails its checksums. */
export class ArtifactError extends StepError {
  readonly code: ErrorCode = 'SLIPWAY_ARTIFACT';
}

/** The evaluation cannot be run or its report cannot be found (empty or malformed test split, no report). */
export class EvaluationError extends StepError {
  readonly code: ErrorCode = 'SLIPWAY_EVALUATION';
}

/**
 * Production moved between the evaluation and the promotion: the candidate was compared with a model
 * that no longer serves, so it is not promoted over the newer one.
 */
export class ProductionMovedError extends StepError {
  readonly code = 'SLIPWAY_PRODUCTION_MOVED';

  constructor(
    message: string,
    readonly expected: number | null,
    readonly actual: number | null,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The deployer failed to put the promoted version behind the endpoint. */
export class DeployError extends StepError {
  readonly code: ErrorCode = 'SLIPWAY_DEPLOY';
}

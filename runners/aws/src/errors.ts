import { DeployError, StepError } from '@slipway/steps';

/**
 * The AWS adapters' errors. Registry failures are a kind of DeployError, so the Promote state's Catch
 * treats a failed image composition like any other failed deployment.
 */

/** The OCI registry refused or failed a request (the message names the request and the registry's answer). */
export class RegistryError extends DeployError {
  override readonly code = 'SLIPWAY_REGISTRY';

  constructor(
    message: string,
    readonly status: number | null = null,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** An approval could not be settled for a reason other than a person's or the clock's decision. */
export class ApprovalSettleError extends StepError {
  readonly code = 'SLIPWAY_APPROVAL_SETTLE';
}

/** A request to an IAM-authenticated endpoint could not be signed (most often: no AWS credentials). */
export class RequestSigningError extends StepError {
  readonly code = 'SLIPWAY_REQUEST_SIGNING';
}

/** The training task definition for an image could not be found, refused, or registered. */
export class TrainingTaskError extends StepError {
  readonly code = 'SLIPWAY_TRAINING_TASK';
}

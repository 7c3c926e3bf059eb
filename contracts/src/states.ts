/**
 * The state machine's state names (`contracts/state-machine.asl.json`): a contract for the runners, the
 * CLI, the console and tests, written here once (a test checks them against the definition).
 *
 * @example if (event.state === STATES.Approval) showApprovalForm();
 */
export const STATES = {
  Train: 'Train',
  StageTrainingImage: 'StageTrainingImage',
  TrainOnSageMaker: 'TrainOnSageMaker',
  TrainingTaskDefinition: 'TrainingTaskDefinition',
  TrainOnFargate: 'TrainOnFargate',
  LocateFargateModel: 'LocateFargateModel',
  Evaluate: 'Evaluate',
  Gate: 'Gate',
  Register: 'Register',
  Approval: 'Approval',
  ApprovalTimedOut: 'ApprovalTimedOut',
  RecordRejection: 'RecordRejection',
  Promote: 'Promote',
  SmokeTest: 'SmokeTest',
  SmokeTestPassed: 'SmokeTestPassed',
  RollBack: 'RollBack',
  Done: 'Done',
  TrainingFailed: 'TrainingFailed',
  EvaluationFailed: 'EvaluationFailed',
  EvaluationFailedGate: 'EvaluationFailedGate',
  RegistrationFailed: 'RegistrationFailed',
  ApprovalFailed: 'ApprovalFailed',
  Rejected: 'Rejected',
  PromotionRefused: 'PromotionRefused',
  PromotionFailed: 'PromotionFailed',
} as const;

export type StateName = (typeof STATES)[keyof typeof STATES];

/** The error a person's rejection fails the Approval task with (SendTaskFailure); the definition catches it. */
export const REJECTED_ERROR = 'Rejected';

/**
 * The cause the definition's ApprovalTimedOut state gives a rejection nobody decided in time (its
 * `Result.Cause`); RecordRejection records it as the decider when no decision record exists.
 */
export const APPROVAL_TIMEOUT_CAUSE = 'timeout';

/**
 * The named states an execution fails in: the error each Fail state raises (what DescribeExecution
 * reports as the execution's `error`, distinct for each) and what it means to a person.
 */
export const FAIL_STATES = {
  TrainingFailed: { error: 'TrainingFailed', meaning: 'training failed' },
  EvaluationFailed: { error: 'EvaluationFailed', meaning: 'the evaluation could not run' },
  EvaluationFailedGate: { error: 'GateFailed', meaning: 'the candidate did not pass the gate' },
  RegistrationFailed: { error: 'RegistrationFailed', meaning: 'the candidate could not be registered' },
  ApprovalFailed: { error: 'ApprovalFailed', meaning: 'the approval could not be requested or settled' },
  Rejected: { error: 'Rejected', meaning: 'the candidate was rejected' },
  PromotionRefused: { error: 'ProductionMoved', meaning: 'promotion was refused' },
  PromotionFailed: { error: 'PromotionFailed', meaning: 'promotion failed and was rolled back' },
} as const satisfies Partial<Record<StateName, { readonly error: string; readonly meaning: string }>>;

export type FailStateName = keyof typeof FAIL_STATES;

/** Whether `state` is one of the named failure states. */
export function isFailState(state: string): state is FailStateName {
  return Object.hasOwn(FAIL_STATES, state);
}

/** The Fail state that raises `error` (an ended execution's error), or null for any other error. */
export function failStateOfError(error: string): FailStateName | null {
  for (const [state, { error: raised }] of Object.entries(FAIL_STATES))
    if (raised === error) return state as FailStateName;
  return null;
}

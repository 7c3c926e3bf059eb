// Step Functions history events and stack outputs as the AWS APIs return them, for the CLI's unit tests.
// Shapes: https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html (HistoryEvent).
import type { CompactEvaluation } from '@slipway/lambdas';

export const REGION = 'eu-west-1';
export const STATE_MACHINE_ARN = `arn:aws:states:${REGION}:123456789012:stateMachine:slipway-dev-pipeline`;
export const executionArnOf = (name: string) =>
  `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${name}`;

export const evaluation: CompactEvaluation = {
  reportKey: 'executions/x/evaluation.json',
  verdict: { passed: true, reasons: [], summary: 'candidate accuracy 0.842 ≥ 0.600: passed' },
  candidate: { accuracy: 0.842, macroF1: 0.841, perClassF1: { positive: 0.852, negative: 0.83 } },
  production: { version: 3, accuracy: 0.833, macroF1: 0.832 },
  samples: [],
};

/** DescribeStacks' answer with the outputs the CLI reads. */
export function stackOutputs(storeUri: string, extra: Record<string, string> = {}) {
  const outputs: Record<string, string> = {
    StateMachineArn: STATE_MACHINE_ARN,
    StoreUri: storeUri,
    InferenceFunctionName: 'slipway-dev-inference',
    InferenceUrl: 'https://inference.lambda-url.eu-west-1.on.aws/',
    ApprovalLinksUrl: 'https://links.lambda-url.eu-west-1.on.aws/',
    ApprovalTopicArn: 'arn:aws:sns:eu-west-1:123456789012:approvals',
    LogGroupNames: '/aws/vendedlogs/states/slipway-dev-pipeline, /aws/lambda/slipway-dev-promote',
    ...extra,
  };
  return {
    Stacks: [
      {
        StackName: 'slipway-dev-pipeline',
        StackStatus: 'UPDATE_COMPLETE',
        Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
      },
    ],
  };
}

let clock = Date.parse('2025-03-01T12:00:00Z');

/** Builds history events in order: `enter('Evaluate')`, `exit('Evaluate', output)`, `submitted()`. */
export function historyOf(
  ...steps: ({ enter: string; input?: unknown } | { exit: string; output?: unknown } | 'submitted')[]
) {
  return steps.map((step, i) => {
    clock += 1000;
    const base = { id: i + 1, timestamp: new Date(clock) };
    if (step === 'submitted') return { ...base, type: 'TaskSubmitted' };
    if ('enter' in step) {
      return {
        ...base,
        type: 'TaskStateEntered',
        stateEnteredEventDetails: { name: step.enter, input: JSON.stringify(step.input ?? {}) },
      };
    }
    return {
      ...base,
      type: 'TaskStateExited',
      stateExitedEventDetails: { name: step.exit, output: JSON.stringify(step.output ?? {}) },
    };
  });
}

/** The history of an execution that reached Approval and whose approvers were notified. */
export function waitingHistory(version = 4) {
  return historyOf(
    { enter: 'Train' },
    { exit: 'Train' },
    { enter: 'TrainOnSageMaker' },
    { exit: 'TrainOnSageMaker' },
    { enter: 'Evaluate' },
    { exit: 'Evaluate', output: { evaluation: { report: evaluation } } },
    { enter: 'Gate' },
    { exit: 'Gate' },
    { enter: 'Register' },
    {
      exit: 'Register',
      output: { evaluation: { report: evaluation }, registration: { version, created: true } },
    },
    { enter: 'Approval' },
    'submitted',
  );
}

/** The history of an execution whose candidate failed the gate (the Fail state is entered, never exited). */
export function gateFailedHistory() {
  return historyOf(
    { enter: 'Train' },
    { exit: 'Train' },
    { enter: 'TrainOnSageMaker' },
    { exit: 'TrainOnSageMaker' },
    { enter: 'Evaluate' },
    { exit: 'Evaluate', output: { evaluation: { report: evaluation } } },
    { enter: 'Gate' },
    { exit: 'Gate' },
    { enter: 'EvaluationFailedGate' },
  );
}

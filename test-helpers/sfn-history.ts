// Step Functions history events and stack outputs as the AWS APIs return them, GetExecutionHistory's
// paging, and the records the steps write in the store, for the CLI's, the console's and runners/aws's tests.
// Shapes and paging: https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html

import type { ModelStore } from '@slipway/model-store';
import type { ExecutionRecords } from '@slipway/runner-aws';
import { type CompactEvaluation, EVALUATION_SCHEMA, type EvaluationReport } from '@slipway/steps';

const REGION = 'eu-west-1';
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

/**
 * The full report the Evaluate step stores as `executions/<id>/evaluation.json`, with the figures of
 * {@link evaluation} (only the fields the CLI and the PR comment read are filled in).
 */
function evaluationReport(executionId: string): EvaluationReport {
  const perClass = (f1: Record<string, number>) =>
    Object.fromEntries(Object.entries(f1).map(([c, v]) => [c, { f1: v, precision: v, recall: v }]));
  return {
    schema: EVALUATION_SCHEMA,
    model: 'sentiment',
    executionId,
    createdAt: '2025-03-01T12:00:00.000Z',
    verdict: evaluation.verdict,
    candidate: {
      metrics: { accuracy: 0.842, macroF1: 0.841, perClass: perClass(evaluation.candidate.perClassF1) },
    },
    production: {
      version: 3,
      metrics: { accuracy: 0.833, macroF1: 0.832, perClass: perClass({ positive: 0.84, negative: 0.826 }) },
    },
    samples: [],
  } as unknown as EvaluationReport;
}

/** Writes what the steps record in the store up to Evaluate (its report) or up to Approval (its request too). */
export async function recordSteps(
  store: ModelStore,
  executionArn: string,
  upTo: 'Evaluate' | 'Approval',
  version = 4,
): Promise<void> {
  const area = store.executions(executionArn);
  await area.put('evaluation.json', JSON.stringify(evaluationReport(executionArn)));
  if (upTo === 'Approval') {
    await area.put(
      'approval-request.json',
      JSON.stringify({
        schema: 'slipway.approval-request/v1',
        executionId: executionArn,
        model: 'sentiment',
        version,
        summary: evaluation.verdict.summary,
        approveCommand: 'slipway approve --aws x',
        rejectCommand: 'slipway reject --aws x --reason "<why>"',
        passed: true,
        candidate: { accuracy: 0.842, macroF1: 0.841 },
        production: evaluation.production,
        git: { commit: '0123456789abcdef0123', pullRequest: '17' },
        requestedAt: '2025-03-01T12:05:00.000Z',
      }),
    );
  }
}

/** Records answered in turn (the last one repeats), as an execution's steps write them over time. */
export function recordsInTurn(
  ...turns: {
    evaluation: CompactEvaluation | null;
    request: { version: number; requestedAt: string } | null;
  }[]
): ExecutionRecords {
  let n = 0;
  const current = () => turns[Math.min(n, turns.length - 1)];
  return {
    evaluation: async () => current()?.evaluation ?? null,
    approvalRequest: async () => {
      const request = current()?.request ?? null;
      n++; // one read of each record per poll; the request is read second
      return request;
    },
  };
}

/**
 * Answers one GetExecutionHistory request over `events` as the API documents it: oldest first (newest
 * first with `reverseOrder`), `maxResults` per page (default 100, 0 means the default, at most 1000;
 * `pageSize` makes pages shorter still, as "the actual number of results returned per call might be
 * fewer"), a `nextToken` while more remain, HTTP 400 `InvalidToken` for a token it did not issue, and no
 * state inputs or outputs when `includeExecutionData` is false.
 */
export function historyPage<E extends object>(
  events: readonly E[],
  input: {
    readonly maxResults?: number | undefined;
    readonly nextToken?: string | undefined;
    readonly reverseOrder?: boolean | undefined;
    readonly includeExecutionData?: boolean | undefined;
  },
  options: { readonly pageSize?: number } = {},
): { events: E[]; nextToken?: string } {
  const max = input.maxResults ?? 0;
  if (!Number.isInteger(max) || max < 0 || max > 1000)
    throw Object.assign(
      new Error(
        `1 validation error detected: Value '${max}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000`,
      ),
      {
        name: 'ValidationException',
        $metadata: { httpStatusCode: 400 },
      },
    );
  let start = 0;
  if (input.nextToken !== undefined) {
    const issued = /^page-(\d+)$/.exec(input.nextToken);
    if (!issued)
      throw Object.assign(new Error(`Invalid Token: '${input.nextToken}'`), {
        name: 'InvalidToken',
        $metadata: { httpStatusCode: 400 },
      });
    start = Number(issued[1]);
  }
  const ordered = input.reverseOrder ? [...events].reverse() : [...events];
  const size = Math.min(max === 0 ? 100 : max, options.pageSize ?? Number.POSITIVE_INFINITY);
  const page = ordered
    .slice(start, start + size)
    .map((event) => (input.includeExecutionData === false ? withoutData(event) : event));
  const next = start + size;
  return next < ordered.length ? { events: page, nextToken: `page-${next}` } : { events: page };
}

/** An event without its `input`/`output` fields, as includeExecutionData: false returns it. */
function withoutData<E extends object>(event: E): E {
  return Object.fromEntries(
    Object.entries(event).map(([key, value]) => {
      if (!key.endsWith('EventDetails') || typeof value !== 'object' || value === null) return [key, value];
      const { input: _input, output: _output, ...rest } = value as Record<string, unknown>;
      return [key, rest];
    }),
  ) as E;
}

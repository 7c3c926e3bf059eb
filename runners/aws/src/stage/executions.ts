import { type ExecutionInput, failStateOfError, STATES } from '@slipway/contracts';
import type { ModelStore } from '@slipway/model-store';
import type { CompactEvaluation } from '@slipway/steps';
import type { AwsClients } from './clients.js';
import { AwsExecutionError, stepFunctionsError } from './errors.js';
import { parseJson } from './history.js';

type Sfn = AwsClients['sfn'];

/** An execution's ARN from its name (or the ARN itself), for a state machine ARN. */
export function executionArn(stateMachineArn: string, id: string): string {
  if (id.startsWith('arn:')) {
    const owner = id.split(':').slice(0, -1).join(':').replace(':execution:', ':stateMachine:');
    if (owner !== stateMachineArn) {
      throw new AwsExecutionError(
        `execution ${id} belongs to ${owner}, not to this stage's state machine ${stateMachineArn}: pass the right --stage`,
      );
    }
    return id;
  }
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(id)) {
    throw new AwsExecutionError(
      `invalid execution name ${JSON.stringify(id)}: use the name \`slipway executions --aws\` lists, or the execution ARN`,
    );
  }
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${id}`;
}

/**
 * Starts an execution with a validated input; its name is `<model>-<runId>`.
 * @example await startAwsExecution(sfn, stateMachineArn, input)
 */
export async function startAwsExecution(
  sfn: Sfn,
  stateMachineArn: string,
  input: ExecutionInput,
): Promise<{ executionArn: string; name: string; startDate: Date | undefined }> {
  const { StartExecutionCommand } = await import('@aws-sdk/client-sfn');
  const name = `${input.model}-${input.runId}`.slice(0, 80);
  try {
    const started = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
    );
    return {
      executionArn: started.executionArn ?? executionArn(stateMachineArn, name),
      name,
      startDate: started.startDate,
    };
  } catch (error) {
    const err = error as Error;
    throw new AwsExecutionError(
      `StartExecution on ${stateMachineArn} failed (${err.name}: ${err.message})${err.name === 'AccessDeniedException' ? '; you need states:StartExecution on the state machine' : ''}`,
      { cause: error },
    );
  }
}

/** What an execution's history says so far. */
export interface ExecutionProgress {
  readonly status: string;
  /** The state it is in (running) or ended in. */
  readonly state: string | null;
  readonly waitingForApproval: boolean;
  readonly evaluation: CompactEvaluation | null;
  /** The registered version, once Register has run. */
  readonly version: number | null;
  readonly error: string | null;
  readonly cause: string | null;
  /** States exited, in order, with when they were entered and exited. */
  readonly exited: readonly {
    readonly name: string;
    readonly enteredAt: Date | null;
    readonly exitedAt: Date;
  }[];
  readonly startDate: Date | null;
  readonly stopDate: Date | null;
}

/**
 * What the pipeline's steps record in the store about an execution, read in place of its Step Functions
 * history: the history holds the Approval task's parameters, task token included, and IAM cannot withhold
 * them from whoever may call GetExecutionHistory. Both records are free of tokens.
 */
export interface ExecutionRecords {
  /** The Evaluate step's report (`executions/<id>/evaluation.json`), compacted; null before Evaluate. */
  evaluation(executionArn: string): Promise<CompactEvaluation | null>;
  /** The Approval step's request (`executions/<id>/approval-request.json`); null before Approval. */
  approvalRequest(
    executionArn: string,
  ): Promise<{ readonly version: number; readonly requestedAt: string } | null>;
}

/** The records of `store`, as the steps write them. */
export function storeExecutionRecords(store: ModelStore): ExecutionRecords {
  return {
    async evaluation(arn) {
      const { compactReport, EVALUATION_FILE, readEvaluationReport } = await import('@slipway/steps');
      const report = await readEvaluationReport(store, arn);
      return report === undefined
        ? null
        : compactReport(report, `${store.executions(arn).prefix}${EVALUATION_FILE}`);
    },
    async approvalRequest(arn) {
      const { readApprovalRequest } = await import('@slipway/steps');
      const request = await readApprovalRequest(store, arn);
      return request === undefined ? null : { version: request.version, requestedAt: request.requestedAt };
    },
  };
}

/** The named state an ended execution stopped in, from the error its Fail state raised (each is distinct). */
function finalStateOf(status: string, error: string | null): string | null {
  if (status === 'SUCCEEDED') return STATES.Done;
  return error === null ? null : failStateOfError(error);
}

/** An execution as DescribeExecution reports it, its input and output parsed. */
export interface AwsExecutionDescription {
  readonly name: string;
  readonly executionArn: string;
  readonly status: string;
  readonly startDate: Date | null;
  readonly stopDate: Date | null;
  readonly error: string | null;
  readonly cause: string | null;
  /** The execution's input (JSON parsed; text that is not JSON stays text), null when not shown. */
  readonly input: unknown;
  readonly output: unknown;
}

/**
 * Describes one execution (DescribeExecution). An execution that does not exist is an
 * `AwsExecutionNotFoundError`; any other refusal an `AwsExecutionError` naming the IAM action.
 * @example const { status } = await describeAwsExecution(sfn, executionArn(stateMachineArn, 'sentiment-pr-42'))
 */
export async function describeAwsExecution(sfn: Sfn, arn: string): Promise<AwsExecutionDescription> {
  const { DescribeExecutionCommand } = await import('@aws-sdk/client-sfn');
  try {
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
    return {
      name: d.name ?? arn.split(':').at(-1) ?? arn,
      executionArn: d.executionArn ?? arn,
      status: d.status ?? 'UNKNOWN',
      startDate: d.startDate ?? null,
      stopDate: d.stopDate ?? null,
      error: d.error ?? null,
      cause: d.cause ?? null,
      input: parseJson(d.input),
      output: parseJson(d.output),
    };
  } catch (error) {
    throw stepFunctionsError('DescribeExecution', arn, error);
  }
}

/**
 * Reads an execution's status (DescribeExecution) and what its steps recorded in the store; never its
 * history, which would show the approval's task token to anyone allowed to follow executions.
 */
export async function readAwsExecution(
  sfn: Sfn,
  arn: string,
  records: ExecutionRecords,
): Promise<ExecutionProgress> {
  const described = await describeAwsExecution(sfn, arn);
  const [evaluation, request] = await Promise.all([records.evaluation(arn), records.approvalRequest(arn)]);
  const { status, error } = described;
  // What the records prove has finished: Evaluate wrote its report; Register's version is in the
  // approval request. When they were written is known, how long each state took is not.
  const exited: { name: string; enteredAt: Date | null; exitedAt: Date }[] = [];
  if (evaluation !== null) exited.push({ name: STATES.Evaluate, enteredAt: null, exitedAt: new Date(0) });
  if (request !== null)
    exited.push({ name: STATES.Register, enteredAt: null, exitedAt: new Date(request.requestedAt) });
  const running = status === 'RUNNING';
  return {
    status,
    // While running, the records place it at Approval once the request is made; otherwise unknown.
    state: running ? (request !== null ? STATES.Approval : null) : finalStateOf(status, error),
    waitingForApproval: running && request !== null,
    evaluation,
    version: request?.version ?? null,
    error,
    cause: described.cause,
    exited,
    startDate: described.startDate,
    stopDate: described.stopDate,
  };
}

/** How long and how often to poll. */
export interface WaitOptions {
  /** Default 10 000 ms. */
  readonly pollMs?: number;
  /** Default 4 h (training can take long). */
  readonly timeoutMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  /** Called for each state that finished since the last poll. */
  readonly onExited?: (state: ExecutionProgress['exited'][number], progress: ExecutionProgress) => void;
}

/**
 * Polls an execution until it waits for approval (its approvers have been notified) or ends.
 * @example const progress = await waitForApprovalOrEnd(sfn, arn, storeExecutionRecords(store), { onExited: print })
 */
export async function waitForApprovalOrEnd(
  sfn: Sfn,
  arn: string,
  records: ExecutionRecords,
  options: WaitOptions = {},
): Promise<ExecutionProgress> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? 4 * 3_600_000;
  const deadline = now() + timeoutMs;
  let reported = 0;
  for (;;) {
    const progress = await readAwsExecution(sfn, arn, records);
    for (const state of progress.exited.slice(reported)) options.onExited?.(state, progress);
    reported = progress.exited.length;
    if (progress.status !== 'RUNNING' || progress.waitingForApproval) return progress;
    if (now() >= deadline) {
      throw new AwsExecutionError(
        `execution ${arn} is still running at ${progress.state ?? 'an unknown state'} after ${Math.round(timeoutMs / 60_000)} min; ` +
          'follow it with `slipway logs --follow` or wait again with a larger --timeout',
      );
    }
    await sleep(options.pollMs ?? 10_000);
  }
}

/** One execution of a listing. */
export interface AwsExecutionSummary {
  readonly name: string;
  readonly executionArn: string;
  readonly status: string;
  readonly startDate: string | null;
  readonly stopDate: string | null;
}

/** Lists the state machine's executions, newest first (a refusal is an `AwsExecutionError`). */
export async function listAwsExecutions(
  sfn: Sfn,
  stateMachineArn: string,
  options: { readonly status?: string; readonly limit?: number } = {},
): Promise<AwsExecutionSummary[]> {
  const { ListExecutionsCommand } = await import('@aws-sdk/client-sfn');
  const limit = options.limit ?? 20;
  const out: AwsExecutionSummary[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn
      .send(
        new ListExecutionsCommand({
          stateMachineArn,
          maxResults: Math.min(limit - out.length, 1000),
          ...(options.status ? { statusFilter: options.status as 'RUNNING' } : {}),
          ...(nextToken ? { nextToken } : {}),
        }),
      )
      .catch((error: unknown) => {
        throw stepFunctionsError('ListExecutions', stateMachineArn, error);
      });
    for (const e of page.executions ?? []) {
      out.push({
        name: e.name ?? '',
        executionArn: e.executionArn ?? '',
        status: e.status ?? 'UNKNOWN',
        startDate: e.startDate?.toISOString() ?? null,
        stopDate: e.stopDate?.toISOString() ?? null,
      });
    }
    nextToken = page.nextToken;
  } while (nextToken && out.length < limit);
  return out.slice(0, limit);
}

import type { DescribeExecutionCommandOutput, HistoryEvent as SfnHistoryEvent } from '@aws-sdk/client-sfn';
import type { CompactEvaluation } from '@slipway/lambdas';
import type { ExecutionInput } from '../input.js';
import type { AwsClients } from './clients.js';
import { AwsExecutionError } from './errors.js';

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

const parse = (text: string | undefined): unknown => {
  try {
    return text === undefined ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
};

/** Reads an execution's status and history (all pages) and sums them up. */
export async function readAwsExecution(sfn: Sfn, arn: string): Promise<ExecutionProgress> {
  const { DescribeExecutionCommand, GetExecutionHistoryCommand } = await import('@aws-sdk/client-sfn');
  let described: DescribeExecutionCommandOutput;
  try {
    described = await sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
  } catch (error) {
    const err = error as Error;
    throw new AwsExecutionError(
      err.name === 'ExecutionDoesNotExist'
        ? `no execution ${arn}: list them with \`slipway executions --aws\``
        : `DescribeExecution of ${arn} failed (${err.name}: ${err.message})`,
      { cause: error },
    );
  }
  const events: SfnHistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new GetExecutionHistoryCommand({
        executionArn: arn,
        maxResults: 1000,
        includeExecutionData: true,
        nextToken,
      }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);

  let state: string | null = null;
  let evaluation: CompactEvaluation | null = null;
  let version: number | null = null;
  let approvalSubmitted = false;
  const entered = new Map<string, Date>();
  const exited: { name: string; enteredAt: Date | null; exitedAt: Date }[] = [];
  for (const event of events) {
    const enter = event.stateEnteredEventDetails;
    const exit = event.stateExitedEventDetails;
    if (enter?.name) {
      state = enter.name;
      if (event.timestamp) entered.set(enter.name, event.timestamp);
      if (enter.name === 'Approval') approvalSubmitted = false;
    }
    if (event.type === 'TaskSubmitted' && state === 'Approval') approvalSubmitted = true;
    if (exit?.name) {
      exited.push({
        name: exit.name,
        enteredAt: entered.get(exit.name) ?? null,
        exitedAt: event.timestamp ?? new Date(0),
      });
      const output = parse(exit.output) as
        | { evaluation?: { report?: CompactEvaluation }; registration?: { version?: number } }
        | undefined;
      if (exit.name === 'Evaluate' && output?.evaluation?.report) evaluation = output.evaluation.report;
      if (exit.name === 'Register' && typeof output?.registration?.version === 'number') {
        version = output.registration.version;
      }
      if (exit.name === state) state = null;
    }
  }
  const status = described.status ?? 'UNKNOWN';
  return {
    status,
    state,
    waitingForApproval: status === 'RUNNING' && state === 'Approval' && approvalSubmitted,
    evaluation,
    version,
    error: described.error ?? null,
    cause: described.cause ?? null,
    exited,
    startDate: described.startDate ?? null,
    stopDate: described.stopDate ?? null,
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
 * @example const progress = await waitForApprovalOrEnd(sfn, arn, { onExited: print })
 */
export async function waitForApprovalOrEnd(
  sfn: Sfn,
  arn: string,
  options: WaitOptions = {},
): Promise<ExecutionProgress> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? 4 * 3_600_000;
  const deadline = now() + timeoutMs;
  let reported = 0;
  for (;;) {
    const progress = await readAwsExecution(sfn, arn);
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

/** Lists the state machine's executions, newest first. */
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
    const page = await sfn.send(
      new ListExecutionsCommand({
        stateMachineArn,
        maxResults: Math.min(limit - out.length, 1000),
        ...(options.status ? { statusFilter: options.status as 'RUNNING' } : {}),
        ...(nextToken ? { nextToken } : {}),
      }),
    );
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

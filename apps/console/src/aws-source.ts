import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  type GetExecutionHistoryCommand,
  type GetExecutionHistoryCommandOutput,
  ListExecutionsCommand,
  type ListExecutionsCommandOutput,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  type HistoryEvent as SfnEvent,
} from '@aws-sdk/client-sfn';
import { type HistoryEvent, REJECTED_ERROR, STATES } from '@slipway/contracts';
import type { ModelStore } from '@slipway/model-store';
import {
  type ApprovalDecision,
  approvalDecisions,
  convertHistory,
  parseJson,
  pendingToken,
  readApprovalToken,
  readDecision,
  readExecutionHistory,
  type SfnApi,
  settleApproval,
} from '@slipway/runner-aws';
import { upgradeRecordedInput } from '@slipway/runner-local';
import { type EvaluationReport, readEvaluationReport } from '@slipway/steps';
import type { DecisionView, ExecutionDetail, ExecutionSummary } from './api-types.js';
import { detail, type ExecutionData, summarize } from './derive.js';
import { AwsSourceError, ConsoleRequestError } from './errors.js';
import { type ExecutionSource, PollingFeed } from './source.js';

/** The Step Functions calls the console makes. */
export type SfnCommand =
  | ListExecutionsCommand
  | DescribeExecutionCommand
  | GetExecutionHistoryCommand
  | SendTaskSuccessCommand
  | SendTaskFailureCommand;

/** What the AWS view needs of a Step Functions client: an `SFNClient`, or a fake in tests. */
export interface SfnClientLike {
  send(command: SfnCommand): Promise<unknown>;
}

export interface AwsExecutionSourceOptions {
  readonly client: SfnClientLike;
  readonly stateMachineArn: string;
  /** The S3 model store the deployed steps write to; evaluation reports are read from it. */
  readonly store?: ModelStore;
  readonly states: Readonly<Record<string, { readonly Type: string }>>;
  /** How many executions the list shows. Default 50. */
  readonly limit?: number;
  /** Default 2,000 ms: each poll costs API calls. */
  readonly pollMs?: number;
  readonly onError?: (error: unknown) => void;
}

const ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/;
const NAME = /^[A-Za-z0-9_-]{1,80}$/;

/**
 * Executions of the deployed state machine. The approval's task token is read from the history: the
 * Approval state's `TaskScheduled` parameters carry it (`Payload.taskToken`), so approving is a
 * `SendTaskSuccess` and rejecting a `SendTaskFailure` with error `Rejected`, which the definition catches.
 */
export class AwsExecutionSource implements ExecutionSource {
  readonly kind = 'aws' as const;
  private readonly finished = new Map<string, ExecutionSummary>();
  private readonly feed: PollingFeed;

  constructor(private readonly options: AwsExecutionSourceOptions) {
    if (!ARN.test(options.stateMachineArn)) {
      throw new AwsSourceError(
        `"${options.stateMachineArn}" is not a state machine ARN; pass arn:aws:states:<region>:<account>:stateMachine:<name> (the stack's StateMachineArn output)`,
      );
    }
    this.feed = new PollingFeed(
      options.pollMs ?? 2_000,
      async () => (await this.list()).map((s) => ({ summary: s, fingerprint: JSON.stringify(s) })),
      options.onError,
    );
  }

  /** The ARN of an execution of this state machine, by name. */
  executionArn(name: string): string {
    if (!NAME.test(name))
      throw new ConsoleRequestError(400, 'bad_request', `"${name}" is not an execution name`);
    return `${this.options.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  }

  async list(): Promise<ExecutionSummary[]> {
    const page = (await this.call(
      new ListExecutionsCommand({
        stateMachineArn: this.options.stateMachineArn,
        maxResults: this.options.limit ?? 50,
      }),
    )) as ListExecutionsCommandOutput;
    const names = (page.executions ?? []).map((e) => e.name).filter((n): n is string => n !== undefined);
    const summaries = await mapLimit(names, 4, async (name) => {
      const cached = this.finished.get(name);
      if (cached) return cached;
      const { data, events } = await this.load(name, false);
      const summary = summarize(data, events);
      if (data.status !== 'RUNNING') this.finished.set(name, summary);
      return summary;
    });
    return summaries.sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0));
  }

  async detail(id: string): Promise<ExecutionDetail> {
    const { data, events, raw } = await this.load(id, true);
    const found: DecisionView[] = approvalDecisions(raw);
    // A rejection's cause does not say who rejected; the store's decision marker does.
    const store = this.options.store;
    if (store && found.some((d) => d.decision === 'reject' && d.by === '')) {
      const record = await readApprovalToken(store, this.executionArn(id)).catch(() => undefined);
      const marker =
        record && (await readDecision(store, record.executionId, record.nonce).catch(() => undefined));
      if (marker) for (const [i, d] of found.entries()) if (d.by === '') found[i] = { ...d, by: marker.by };
    }
    return detail(data, events ?? [], this.options.states, { decisions: found, jobs: [] });
  }

  async approve(id: string, by: string, comment: string): Promise<void> {
    if (await this.settleThroughStore(id, { decision: 'approve', by, comment })) return;
    const token = await this.waitingToken(id);
    const output = { approved: true, approvedBy: by, comment, decidedAt: new Date().toISOString() };
    await this.call(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(output) }));
  }

  async reject(id: string, by: string, reason: string): Promise<void> {
    if (await this.settleThroughStore(id, { decision: 'reject', by, reason })) return;
    const token = await this.waitingToken(id);
    // Without the store's decision record the Rejected state's cause is all that is kept: name the decider.
    const cause = `${reason || 'rejected'} (rejected by ${by})`;
    await this.call(new SendTaskFailureCommand({ taskToken: token, error: REJECTED_ERROR, cause }));
  }

  /**
   * Decides through the approval record the deployed Approval function keeps in the store, the one the
   * CLI and the e-mailed links use: its single-use marker means one decision wins, whoever makes it.
   * False when the store holds no record for the execution (then the history's token is used).
   */
  private async settleThroughStore(id: string, decision: ApprovalDecision): Promise<boolean> {
    const store = this.options.store;
    if (!store) return false;
    const arn = this.executionArn(id);
    const client = this.options.client;
    const sfn = { send: (command: SfnCommand) => client.send(command) } as unknown as SfnApi;
    const outcome = await settleApproval({ store, sfn, executionId: arn, decision, via: 'console' });
    switch (outcome.status) {
      case 'settled':
        return true;
      case 'not-requested':
        return false;
      case 'already-decided':
        throw new ConsoleRequestError(
          409,
          'conflict',
          `this approval was already decided: ${outcome.marker.decision} by ${outcome.marker.by} (via ${outcome.marker.via})`,
        );
      case 'closed':
        throw new ConsoleRequestError(
          409,
          'conflict',
          `the approval task is no longer open (${outcome.reason})`,
        );
      default:
        throw new ConsoleRequestError(409, 'conflict', 'the approval request changed; reload the page');
    }
  }

  async logs(): Promise<string> {
    return '';
  }

  async report(id: string): Promise<EvaluationReport | undefined> {
    // The deployed Evaluate step keys the report by $$.Execution.Id, the execution's ARN.
    return this.options.store ? readEvaluationReport(this.options.store, this.executionArn(id)) : undefined;
  }

  watch(listener: (execution: ExecutionSummary) => void): () => void {
    return this.feed.subscribe(listener);
  }

  async close(): Promise<void> {
    this.feed.stop();
  }

  private async waitingToken(id: string): Promise<string> {
    const { raw, data } = await this.load(id, true);
    if (data.status !== 'RUNNING')
      throw new ConsoleRequestError(409, 'conflict', `execution ${id} already ${data.status.toLowerCase()}`);
    const token = pendingToken(raw, STATES.Approval);
    if (!token) throw new ConsoleRequestError(409, 'conflict', 'this execution is not waiting for approval');
    return token;
  }

  private async load(
    name: string,
    always: boolean,
  ): Promise<{ data: ExecutionData; events: HistoryEvent[] | undefined; raw: SfnEvent[] }> {
    const arn = this.executionArn(name);
    const described = (await this.call(
      new DescribeExecutionCommand({ executionArn: arn }),
    )) as DescribeExecutionCommandOutput;
    const status = described.status ?? 'RUNNING';
    // A finished execution's row needs no history; its page does.
    const raw = always || status === 'RUNNING' ? await this.history(arn) : [];
    const events = always || status === 'RUNNING' ? convertHistory(raw) : undefined;
    const entered = events?.findLast((e) => e.type === 'StateEntered')?.state ?? null;
    return {
      data: {
        id: described.name ?? name,
        status,
        startedAt: (described.startDate ?? new Date(0)).toISOString(),
        stoppedAt: described.stopDate ? described.stopDate.toISOString() : null,
        currentState: entered,
        error: described.error ?? null,
        cause: described.cause ?? null,
        // An execution started by a client older than the rename carries compute as trainer.
        input: upgradeRecordedInput(parseJson(described.input)),
        output: parseJson(described.output),
      },
      events,
      raw,
    };
  }

  private history(arn: string): Promise<SfnEvent[]> {
    return readExecutionHistory(
      (command) => this.call(command) as Promise<GetExecutionHistoryCommandOutput>,
      arn,
    );
  }

  private async call(command: SfnCommand): Promise<unknown> {
    try {
      return await this.options.client.send(command);
    } catch (error) {
      const e = error as Error;
      const what = command.constructor.name.replace(/Command$/, '');
      if (e.name === 'ExecutionDoesNotExist')
        throw new ConsoleRequestError(404, 'not_found', `no such execution: ${e.message}`, { cause: e });
      if (e.name === 'TaskDoesNotExist' || e.name === 'TaskTimedOut' || e.name === 'InvalidToken')
        throw new ConsoleRequestError(
          409,
          'conflict',
          `the approval task is no longer open (${e.name}): ${e.message}`,
          {
            cause: e,
          },
        );
      throw new AwsSourceError(
        `Step Functions ${what} failed (${e.name}: ${e.message}); check the AWS credentials and region, and that the role may call states:${what}`,
        { cause: e },
      );
    }
  }
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

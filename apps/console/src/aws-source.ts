import type { HistoryEvent } from '@slipway/contracts';
import type { ModelStore } from '@slipway/model-store';
import {
  type ApprovalDecision,
  type AwsClients,
  AwsExecutionError,
  AwsExecutionNotFoundError,
  convertHistory,
  describeAwsExecution,
  executionArn,
  listAwsExecutions,
  readExecutionHistory,
  settleApproval,
} from '@slipway/runner-aws';
import { upgradeRecordedInput } from '@slipway/runner-local';
import { type EvaluationReport, readDecisions, readEvaluationReport } from '@slipway/steps';
import type { ExecutionDetail, ExecutionSummary } from './api-types.js';
import { decisionView, detail, type ExecutionData, summarize } from './derive.js';
import { AwsSourceError, ConsoleRequestError } from './errors.js';
import { type ExecutionSource, PollingFeed } from './source.js';

/** What the AWS view needs of a Step Functions client: an `SFNClient` (runners/aws makes one), or a double in tests. */
export type SfnClientLike = AwsClients['sfn'];

export interface AwsExecutionSourceOptions {
  readonly client: SfnClientLike;
  readonly stateMachineArn: string;
  /**
   * The stage's model store (its `StoreUri`): the deployed steps write evaluation reports there, the
   * Approval function the approval record every decision goes through, and each decider its decision.
   */
  readonly store: ModelStore;
  readonly states: Readonly<Record<string, { readonly Type: string }>>;
  /** How many executions the list shows. Default 50. */
  readonly limit?: number;
  /** Default 2,000 ms: each poll costs API calls. */
  readonly pollMs?: number;
  readonly onError?: (error: unknown) => void;
}

const ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/;

/**
 * Executions of the deployed state machine, through runners/aws: listed, described and their history
 * read there. Approving and rejecting go through the approval record the deployed Approval function
 * keeps in the store (`settleApproval`), as the CLI and the e-mailed links do: one decision wins,
 * whoever makes it, and it is recorded with who made it and why.
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
    try {
      return executionArn(this.options.stateMachineArn, name);
    } catch (error) {
      throw new ConsoleRequestError(400, 'bad_request', `"${name}" is not an execution name`, {
        cause: error,
      });
    }
  }

  async list(): Promise<ExecutionSummary[]> {
    const listed = await aws(() =>
      listAwsExecutions(this.options.client, this.options.stateMachineArn, {
        limit: this.options.limit ?? 50,
      }),
    );
    const summaries = await mapLimit(
      listed.map((e) => e.name),
      4,
      async (name) => {
        const cached = this.finished.get(name);
        if (cached) return cached;
        const { data, events } = await this.load(name, false);
        const summary = summarize(data, events);
        if (data.status !== 'RUNNING') this.finished.set(name, summary);
        return summary;
      },
    );
    return summaries.sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0));
  }

  async detail(id: string): Promise<ExecutionDetail> {
    const { data, events } = await this.load(id, true);
    // Who decided and why: the decision records in the store, never the history's cause text.
    const decisions = (await readDecisions(this.options.store, this.executionArn(id))).map(decisionView);
    return detail(data, events ?? [], this.options.states, { decisions, jobs: [] });
  }

  async approve(id: string, by: string, comment: string): Promise<void> {
    await this.settle(id, { decision: 'approve', by, comment });
  }

  async reject(id: string, by: string, reason: string): Promise<void> {
    await this.settle(id, { decision: 'reject', by, reason });
  }

  private async settle(id: string, decision: ApprovalDecision): Promise<void> {
    const { store, client } = this.options;
    const arn = this.executionArn(id);
    const outcome = await settleApproval({ store, sfn: client, executionId: arn, decision, via: 'console' });
    switch (outcome.status) {
      case 'settled':
        return;
      case 'not-requested': {
        const { status } = await aws(() => describeAwsExecution(client, arn));
        if (status !== 'RUNNING')
          throw new ConsoleRequestError(409, 'conflict', `execution ${id} already ${status.toLowerCase()}`);
        throw new ConsoleRequestError(
          409,
          'conflict',
          `this execution is not waiting for approval: no approval request in ${store.uri} (is it still training or evaluating, or is the console on another store than the stage's StoreUri?)`,
        );
      }
      case 'already-decided':
        throw new ConsoleRequestError(
          409,
          'conflict',
          `this approval was already decided: ${outcome.marker.decision} by ${outcome.marker.by} (via ${outcome.marker.via ?? 'unknown'})`,
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
    return readEvaluationReport(this.options.store, this.executionArn(id));
  }

  watch(listener: (execution: ExecutionSummary) => void): () => void {
    return this.feed.subscribe(listener);
  }

  async close(): Promise<void> {
    this.feed.stop();
  }

  private async load(
    name: string,
    always: boolean,
  ): Promise<{ data: ExecutionData; events: HistoryEvent[] | undefined }> {
    const arn = this.executionArn(name);
    const { client } = this.options;
    const described = await aws(() => describeAwsExecution(client, arn));
    // A finished execution's row needs no history; its page does.
    const events =
      always || described.status === 'RUNNING'
        ? convertHistory(await aws(() => readExecutionHistory((command) => client.send(command), arn)))
        : undefined;
    const entered = events?.findLast((e) => e.type === 'StateEntered')?.state ?? null;
    return {
      data: {
        id: described.name,
        status: described.status,
        startedAt: (described.startDate ?? new Date(0)).toISOString(),
        stoppedAt: described.stopDate ? described.stopDate.toISOString() : null,
        currentState: entered,
        error: described.error,
        cause: described.cause,
        // An execution started by a client older than the rename carries compute as trainer.
        input: upgradeRecordedInput(described.input),
        output: described.output,
      },
      events,
    };
  }
}

/** A runners/aws call, its errors as the console answers them: 404 for an unknown execution, else 502. */
async function aws<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof AwsExecutionNotFoundError)
      throw new ConsoleRequestError(404, 'not_found', error.message, { cause: error });
    if (error instanceof AwsExecutionError) throw new AwsSourceError(error.message, { cause: error });
    throw error;
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

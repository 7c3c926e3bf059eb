import { createHash, randomBytes } from 'node:crypto';
import {
  type ApprovalDecisionRecord,
  asDecisionRecord,
  executionLayout,
  REJECTED_ERROR,
} from '@slipway/contracts';
import type { ObjectArea } from '@slipway/model-store';
import { ExecutionStateError } from './errors.js';

/** The pending task token of an execution waiting at a callback state. */
export interface PendingToken {
  readonly token: string;
  readonly state: string;
  readonly createdAt: string;
}

/** A person's decision on a waiting task: contracts' decision record, the same on both runners. */
export type Decision = ApprovalDecisionRecord;

/** What settles a callback: the task's output, or an error the state machine can Catch. */
export type Settlement = { readonly output: unknown } | { readonly error: string; readonly cause: string };

const PENDING = 'task-token.json';

/** Wakes waiters in this process at once when a decision is recorded here (others find it by polling). */
const decisionEvents = new EventTarget();
/** The token's request name: a digest, so the record's key does not disclose the token. */
const decisionKey = (token: string) =>
  executionLayout.decision(createHash('sha256').update(token).digest('hex').slice(0, 32));

/**
 * Task tokens of `.waitForTaskToken` states, kept in the execution's area so another process (the CLI,
 * the console) can settle them, and a resumed execution finds a decision made while it was down.
 * Each token is settled at most once: the decision is a create-only write.
 */
export class TokenRegistry {
  constructor(
    private readonly area: ObjectArea,
    private readonly pollMs = 200,
  ) {}

  /** The token waiting at `state`, reused if one was issued before a crash, else a new one. */
  async issue(state: string): Promise<PendingToken> {
    const existing = await this.area.getJson<PendingToken>(PENDING);
    if (existing && existing.state === state) return existing;
    const pending: PendingToken = {
      token: randomBytes(32).toString('base64url'),
      state,
      createdAt: new Date().toISOString(),
    };
    await this.area.put(PENDING, JSON.stringify(pending, null, 2));
    return pending;
  }

  /** The token waiting now, if any. */
  async pending(): Promise<PendingToken | undefined> {
    return this.area.getJson<PendingToken>(PENDING);
  }

  /** Records a decision for the pending token; refuses when nothing waits or it was already decided. */
  async decide(decision: Decision): Promise<PendingToken> {
    const pending = await this.pending();
    if (!pending) throw new ExecutionStateError('this execution is not waiting for approval');
    const won = await this.area.putIfAbsent(
      decisionKey(pending.token),
      JSON.stringify({ ...decision }, null, 2),
    );
    if (!won) throw new ExecutionStateError(`the task at ${pending.state} was already decided`);
    decisionEvents.dispatchEvent(new Event(pending.token));
    return pending;
  }

  /** The decision on a token, if one was made. */
  async decision(token: string): Promise<Decision | undefined> {
    return asDecisionRecord(await this.area.getJson<unknown>(decisionKey(token)));
  }

  /** Resolves when the token is decided (polled: deciders may be other processes); stops on abort. */
  async wait(token: string, signal: AbortSignal): Promise<Settlement> {
    for (;;) {
      const decided = await this.decision(token);
      if (decided) {
        await this.area.delete(PENDING);
        return decided.decision === 'approve'
          ? {
              output: {
                approved: true,
                approvedBy: decided.by,
                comment: decided.comment,
                decidedAt: decided.at,
              },
            }
          : { error: REJECTED_ERROR, cause: decided.reason || 'rejected' };
      }
      if (signal.aborted) throw signal.reason ?? new Error('aborted');
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          decisionEvents.removeEventListener(token, wake);
          signal.removeEventListener('abort', wake);
          resolve();
        };
        const timer = setTimeout(wake, this.pollMs);
        decisionEvents.addEventListener(token, wake);
        signal.addEventListener('abort', wake);
      });
    }
  }

  /** Forgets the pending token (its state ended by timeout or failure). */
  async expire(): Promise<void> {
    await this.area.delete(PENDING);
  }
}

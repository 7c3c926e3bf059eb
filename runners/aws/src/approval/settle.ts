import { randomBytes } from 'node:crypto';
import type { SFNClient } from '@aws-sdk/client-sfn';
import {
  type ApprovalDecisionRecord,
  asDecisionRecord,
  executionLayout,
  REJECTED_ERROR,
} from '@slipway/contracts';
import type { ModelStore } from '@slipway/model-store';
import { ApprovalSettleError } from '../errors.js';

/** The slice of a Step Functions client settling needs. */
export type SfnApi = Pick<SFNClient, 'send'>;

/** Key of the task token record in the execution's area (encrypted at rest by the bucket's key; never logged). */
export const APPROVAL_TOKEN_FILE = 'approval-token.json';
/** Schema tag of the task token record. */
export const APPROVAL_TOKEN_SCHEMA = 'slipway.approval-token/v1';

/** What the Approval function keeps so the links function and the CLI can settle the task later. */
export interface ApprovalTokenRecord {
  readonly schema: typeof APPROVAL_TOKEN_SCHEMA;
  readonly executionId: string;
  readonly taskToken: string;
  /** Names this request: its links carry it, and its decision is recorded at `decisions/<nonce>.json`. */
  readonly nonce: string;
  readonly createdAt: string;
}

/** A person's decision. */
export type ApprovalDecision =
  | { readonly decision: 'approve'; readonly by: string; readonly comment: string }
  | { readonly decision: 'reject'; readonly by: string; readonly reason: string };

/** The Approval task's output on approval: the same shape the local runtime gives. */
export interface ApprovalOutput {
  readonly approved: true;
  readonly approvedBy: string;
  readonly comment: string;
  readonly decidedAt: string;
}

/** How a settlement ended. Only `settled` changed anything. */
export type SettleOutcome =
  | { readonly status: 'settled'; readonly decision: 'approve'; readonly output: ApprovalOutput }
  | {
      readonly status: 'settled';
      readonly decision: 'reject';
      readonly error: typeof REJECTED_ERROR;
      readonly cause: string;
    }
  /** No approval was requested for this execution (or not in this store). */
  | { readonly status: 'not-requested' }
  /** The link belongs to an earlier approval request of the execution. */
  | { readonly status: 'stale' }
  | { readonly status: 'already-decided'; readonly marker: ApprovalDecisionRecord }
  /** Step Functions no longer waits on the task (timed out, execution stopped or already settled). */
  | { readonly status: 'closed'; readonly reason: string };

/** The request's decision record (contracts' shape and key, as the local runtime's): its single-use marker. */
const markerKey = (nonce: string) => executionLayout.decision(nonce);
const CLOSED = new Set(['TaskDoesNotExist', 'TaskTimedOut', 'InvalidToken']);

/**
 * Keeps an execution's task token for later settlement. A retried invocation with the same token keeps
 * the first record (and nonce), so links already sent stay valid.
 */
export async function recordApprovalToken(
  store: ModelStore,
  input: { readonly executionId: string; readonly taskToken: string; readonly now?: Date },
): Promise<ApprovalTokenRecord> {
  const area = store.executions(input.executionId);
  const existing = await area.getJson<ApprovalTokenRecord>(APPROVAL_TOKEN_FILE);
  if (existing?.schema === APPROVAL_TOKEN_SCHEMA && existing.taskToken === input.taskToken) return existing;
  const record: ApprovalTokenRecord = {
    schema: APPROVAL_TOKEN_SCHEMA,
    executionId: input.executionId,
    taskToken: input.taskToken,
    nonce: randomBytes(16).toString('hex'),
    createdAt: (input.now ?? new Date()).toISOString(),
  };
  await area.put(APPROVAL_TOKEN_FILE, `${JSON.stringify(record, null, 2)}\n`);
  return record;
}

/** Reads an execution's task token record; undefined when no approval was requested. */
export async function readApprovalToken(
  store: ModelStore,
  executionId: string,
): Promise<ApprovalTokenRecord | undefined> {
  const record = await store.executions(executionId).getJson<ApprovalTokenRecord>(APPROVAL_TOKEN_FILE);
  return record?.schema === APPROVAL_TOKEN_SCHEMA ? record : undefined;
}

/** The decision already made on the current request, if any. */
export async function readDecision(
  store: ModelStore,
  executionId: string,
  nonce: string,
): Promise<ApprovalDecisionRecord | undefined> {
  return asDecisionRecord(await store.executions(executionId).getJson<unknown>(markerKey(nonce)));
}

/** What settling needs. */
export interface SettleInput {
  readonly store: ModelStore;
  readonly sfn: SfnApi;
  readonly executionId: string;
  readonly decision: ApprovalDecision;
  /** From a link: the request it was made for. The CLI leaves it out (the current request). */
  readonly nonce?: string;
  /** Recorded in the decision: `link`, `cli` or `console`. */
  readonly via: string;
  readonly now?: Date;
}

/**
 * Settles an execution's Approval task once: claims the request's decision record (create-only),
 * then SendTaskSuccess (`{approved, approvedBy, comment, decidedAt}`) or SendTaskFailure (`Rejected`,
 * the reason). A transient AWS failure releases the marker so the decision can be retried.
 * @example await settleApproval({ store, sfn, executionId, decision: { decision: 'approve', by: 'ana', comment: '' }, via: 'cli' })
 */
export async function settleApproval(input: SettleInput): Promise<SettleOutcome> {
  const { store, executionId, decision } = input;
  const record = await readApprovalToken(store, executionId);
  if (record === undefined) return { status: 'not-requested' };
  if (input.nonce !== undefined && input.nonce !== record.nonce) return { status: 'stale' };
  const at = (input.now ?? new Date()).toISOString();
  // Who decided and why, in fields: RecordRejection and the console read this record, not the cause.
  const marker: ApprovalDecisionRecord =
    decision.decision === 'approve'
      ? { decision: 'approve', by: decision.by, comment: decision.comment, at, via: input.via }
      : { decision: 'reject', by: decision.by, reason: decision.reason, at, via: input.via };
  const area = store.executions(executionId);
  if (!(await area.putIfAbsent(markerKey(record.nonce), `${JSON.stringify(marker, null, 2)}\n`))) {
    const existing = await readDecision(store, executionId, record.nonce);
    return { status: 'already-decided', marker: existing ?? marker };
  }
  const { SendTaskFailureCommand, SendTaskSuccessCommand } = await import('@aws-sdk/client-sfn');
  try {
    if (decision.decision === 'approve') {
      const output: ApprovalOutput = {
        approved: true,
        approvedBy: decision.by,
        comment: decision.comment,
        decidedAt: at,
      };
      await input.sfn.send(
        new SendTaskSuccessCommand({ taskToken: record.taskToken, output: JSON.stringify(output) }),
      );
      return { status: 'settled', decision: 'approve', output };
    }
    const cause = decision.reason.trim() === '' ? 'rejected' : decision.reason;
    await input.sfn.send(
      new SendTaskFailureCommand({ taskToken: record.taskToken, error: REJECTED_ERROR, cause }),
    );
    return { status: 'settled', decision: 'reject', error: REJECTED_ERROR, cause };
  } catch (error) {
    const name = (error as Error).name;
    if (CLOSED.has(name)) return { status: 'closed', reason: `${name}: ${(error as Error).message}` };
    await area.delete(markerKey(record.nonce)).catch(() => undefined);
    throw new ApprovalSettleError(
      `Step Functions refused the decision on ${executionId} (${name}: ${(error as Error).message}); ` +
        (name === 'AccessDeniedException'
          ? 'the caller needs states:SendTaskSuccess and states:SendTaskFailure on the state machine'
          : 'nothing was decided: try again'),
      { cause: error },
    );
  }
}

import type { ModelStore } from '@slipway/model-store';
import { ExecutionStateError } from './errors.js';
import { readExecutionRecord } from './history.js';
import { type Decision, TokenRegistry } from './tokens.js';

/**
 * Approves the task an execution waits at. Works from any process that opens the same store: the
 * execution's runner sees the decision within its poll interval; a crashed one sees it on resume.
 */
export async function approveExecution(
  store: ModelStore,
  id: string,
  by: string,
  comment = '',
): Promise<void> {
  await decide(store, id, { decision: 'approve', by, comment, at: new Date().toISOString() });
}

/** Rejects the task an execution waits at; it ends in `Rejected` with the reason. */
export async function rejectExecution(
  store: ModelStore,
  id: string,
  by: string,
  reason: string,
): Promise<void> {
  await decide(store, id, { decision: 'reject', by, reason, at: new Date().toISOString() });
}

async function decide(store: ModelStore, id: string, decision: Decision): Promise<void> {
  const record = await readExecutionRecord(store, id);
  if (record.status !== 'RUNNING')
    throw new ExecutionStateError(`execution ${id} already ${record.status.toLowerCase()}`);
  await new TokenRegistry(store.executions(id)).decide(decision);
}

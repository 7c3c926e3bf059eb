import { APPROVAL_TIMEOUT_CAUSE, CANDIDATE_ALIAS, PRODUCTION_ALIAS, STATES } from '@slipway/contracts';
import {
  type AliasRecord,
  ConflictError,
  type ModelStore,
  NotFoundError,
  rollbackTarget,
} from '@slipway/model-store';
import { z } from 'zod';
import { readDecisions } from '../approval/index.js';
import { DeployError, ProductionMovedError } from '../errors.js';
import { executionIdField, nameField, parseEvent, sampleField, versionField } from '../event.js';

const promoteEvent = z.object({
  action: z.literal('promote'),
  model: nameField,
  version: versionField,
  /** The evaluation's production figures: the version the candidate was compared with, or null. */
  expectedProduction: z.object({ version: versionField }).nullable(),
  /** The approval task's output. */
  approval: z.object({ approvedBy: z.string().min(1), comment: z.string().default('') }),
  executionId: executionIdField,
  /** The evaluation's samples: a deployer smoke-tests the new version with them before it takes all traffic. */
  samples: z.array(sampleField).default([]),
});

const rollbackEvent = z.object({
  action: z.literal('rollback'),
  model: nameField,
  /** The version that was promoted and failed its smoke test. */
  version: versionField,
  /** The version to go back to: production before the promotion, or null when there was none. */
  expectedProduction: versionField.nullable(),
  /** The promotion's `restore`: what served before it, in the deployer's terms. */
  restore: z.string().min(1).nullable().default(null),
  executionId: executionIdField,
});

const rejectEvent = z.object({
  action: z.literal('reject'),
  model: nameField,
  /** The registered version people rejected (or nobody approved in time). */
  version: versionField,
  /** The Approval state's caught error: `{Error: 'Rejected', Cause: reason}`. */
  rejection: z.object({ Error: z.string().default('Rejected'), Cause: z.string().default('') }),
  executionId: executionIdField,
});

/** The Promote, RollBack and RecordRejection states' Payloads (one function, three actions). */
export const promoteEventSchema = z.discriminatedUnion('action', [promoteEvent, rollbackEvent, rejectEvent]);

/** A validated promotion event. */
export type PromoteEvent = z.output<typeof promoteEvent>;
/** A validated rollback event. */
export type RollbackEvent = z.output<typeof rollbackEvent>;
/** A validated rejection event. */
export type RejectEvent = z.output<typeof rejectEvent>;

/** Which version an endpoint should serve now, and which it served before. */
export interface DeployRequest {
  readonly model: string;
  readonly version: number;
  readonly previous: number | null;
  /** Texts and the labels the evaluation gave them, for a smoke test before the version takes all traffic. */
  readonly samples?: readonly { readonly text: string; readonly label: string }[];
}

/** What a deployment left behind. */
export interface Deployment {
  readonly endpoint: string | null;
  /**
   * What served before, in the deployer's own terms (a Lambda version), for {@link Deployer.restore}; null
   * when there is nothing to restore or the deployer cannot restore.
   */
  readonly restore?: string | null;
  /** What the canary found, in words (`none` when there was no canary). */
  readonly canary?: string;
}

/** Puts a version behind the inference endpoint; returns the endpoint's URL (null when it has none). */
export interface Deployer {
  deploy(request: DeployRequest): Promise<Deployment>;
  /**
   * Puts back what served before a deployment (its `restore`), without building anything. Deployers
   * without it roll back by deploying the previous version again.
   */
  restore?(
    request: DeployRequest & { readonly restore: string },
  ): Promise<{ readonly endpoint: string | null }>;
}

/**
 * A deployer for endpoints that follow the production alias themselves (`slipway serve` hot-swaps when
 * it moves): nothing to deploy, only the URL to report.
 * @example fixedEndpointDeployer('http://127.0.0.1:8080')
 */
export function fixedEndpointDeployer(endpoint: string | null): Deployer {
  return { deploy: async () => ({ endpoint }) };
}

/** What the Promote step needs. */
export interface PromoteDeps {
  readonly store: ModelStore;
  readonly deployer: Deployer;
  /** Recorded as who rolled back. Default `slipway-pipeline`. */
  readonly actor?: string;
}

/**
 * A promotion's outcome; `previous` is the version production held before (null: none), `restore` what
 * served before in the deployer's terms (RollBack hands it back), `canary` what the canary found.
 */
export interface PromoteOutput {
  readonly version: number;
  readonly previous: number | null;
  readonly endpoint: string | null;
  readonly restore: string | null;
  readonly canary: string;
}

/**
 * A rollback's outcome: `version` is what production points at afterwards; `moved` is false when it no
 * longer pointed at the failed version (already rolled back, or moved on by someone else).
 */
export interface RollbackOutput {
  readonly version: number | null;
  readonly moved: boolean;
  readonly endpoint: string | null;
}

const label = (version: number | null) => (version === null ? 'unset' : `v${version}`);

/**
 * Moves `production` to the approved version by compare-and-swap against the version the candidate was
 * evaluated against, then deploys it. Never overwrites a newer production (ProductionMovedError), and a
 * resumed execution that already promoted succeeds again.
 */
export async function runPromote(input: PromoteEvent, deps: PromoteDeps): Promise<PromoteOutput> {
  const { store } = deps;
  const expected = input.expectedProduction?.version ?? null;
  const { approvedBy, comment } = input.approval;
  const reason = `promoted by execution ${input.executionId}, approved by ${approvedBy}${comment === '' ? '' : `: ${comment}`}`;

  // A resumed or retried execution that already made this move succeeds again (and deploys again).
  const current = await readProduction(store, input.model);
  const done = current?.version === input.version && current.executionId === input.executionId;
  if (!done) {
    try {
      await store.setAlias(input.model, PRODUCTION_ALIAS, input.version, {
        expected,
        actor: approvedBy,
        reason,
        executionId: input.executionId,
      });
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      const actual = (error.current as AliasRecord | undefined)?.version ?? null;
      throw new ProductionMovedError(
        `production of ${input.model} moved from ${label(expected)} to ${label(actual)} since the evaluation; ` +
          're-run the pipeline so the candidate is compared with the new production',
        expected,
        actual,
        { cause: error },
      );
    }
  }

  try {
    const deployed = await deps.deployer.deploy({
      model: input.model,
      version: input.version,
      previous: expected,
      samples: input.samples,
    });
    return {
      version: input.version,
      previous: expected,
      endpoint: deployed.endpoint,
      restore: deployed.restore ?? null,
      canary: deployed.canary ?? 'none',
    };
  } catch (error) {
    const undone = await undoPromotion(store, input, expected, error);
    throw new DeployError(
      `v${input.version} of ${input.model} could not be deployed (${messageOf(error)}); ${undone}`,
      { cause: error },
    );
  }
}

/**
 * Moves `production` from the failed version back to the one it replaced (compare-and-swap on the failed
 * version) and deploys that. When production has moved elsewhere meanwhile, it is left alone.
 */
export async function runRollback(input: RollbackEvent, deps: PromoteDeps): Promise<RollbackOutput> {
  const { store } = deps;
  const target = input.expectedProduction;
  const actor = deps.actor ?? 'slipway-pipeline';
  const reason = `rolled back by execution ${input.executionId}: smoke test failed`;
  const executionId = input.executionId;
  for (let attempt = 0; ; attempt++) {
    const current = await readProduction(store, input.model);
    const at = current?.version ?? null;
    if (at !== input.version) {
      // Already rolled back (a retry) or moved on by someone else: the failed version no longer serves,
      // and a newer decision is not overwritten. A retry still deploys, in case the first try stopped short.
      if (at !== target) return { version: at, moved: false, endpoint: null };
      const { endpoint } = await putBack(deps, input, at);
      return { version: at, moved: false, endpoint };
    }
    if (target === null) {
      // The failed version was the model's first production: there is nothing to go back to, so
      // production is unset rather than left naming a version that failed its smoke test, and the
      // endpoint goes back to what served before it (on AWS: the published base version).
      try {
        await store.clearAlias(input.model, PRODUCTION_ALIAS, {
          expected: input.version,
          actor,
          reason,
          executionId,
        });
      } catch (error) {
        if (error instanceof ConflictError && attempt < 3) continue;
        throw error;
      }
      const { endpoint } = await putBack(deps, input, null);
      return { version: null, moved: true, endpoint };
    }
    try {
      await moveBack(store, input.model, current, target, {
        expected: input.version,
        actor,
        reason,
        executionId,
      });
    } catch (error) {
      if (error instanceof ConflictError && attempt < 3) continue; // re-read and decide again
      throw error;
    }
    const { endpoint } = await putBack(deps, input, target);
    return { version: target, moved: true, endpoint };
  }
}

/** What RecordRejection recorded (the first record stands when the state runs again). */
export interface RejectOutput {
  readonly version: number;
  readonly by: string;
  readonly reason: string;
  /** True when `candidate` named the rejected version and was cleared. */
  readonly candidateCleared: boolean;
}

/**
 * Records the rejection in the registry, so every reader (CLI, console, alias moves, gc) sees it on
 * either backend, and clears `candidate` when it names the rejected version, so nothing proposes it.
 * Who decided and why come from the decision record the decider left in the execution's area (contracts'
 * `ApprovalDecisionRecord`), never from the cause's text; with no record the approval timed out (the
 * definition's ApprovalTimedOut gives the cause `timeout`) and the decider is `timeout`, or unknown.
 */
export async function runReject(input: RejectEvent, deps: PromoteDeps): Promise<RejectOutput> {
  const { store } = deps;
  const cause = input.rejection.Cause;
  const decided = (await readDecisions(store, input.executionId)).findLast((d) => d.decision === 'reject');
  const { record } = await store.recordRejection(input.model, input.version, {
    executionId: input.executionId,
    by: decided?.by ?? (cause === APPROVAL_TIMEOUT_CAUSE ? APPROVAL_TIMEOUT_CAUSE : ''),
    reason: decided?.decision === 'reject' ? decided.reason || cause : cause,
  });
  let candidateCleared = false;
  try {
    await store.clearAlias(input.model, CANDIDATE_ALIAS, {
      expected: input.version,
      actor: deps.actor ?? 'slipway-pipeline',
      reason: `v${input.version} rejected by ${record.by || 'an unknown decider'}`,
    });
    candidateCleared = true;
  } catch (error) {
    // A newer registration moved `candidate` on (or it is unset): leave it alone.
    if (!(error instanceof ConflictError)) throw error;
  }
  return { version: record.version, by: record.by, reason: record.reason, candidateCleared };
}

const STATE_OF_ACTION: Record<string, string> = { rollback: STATES.RollBack, reject: STATES.RecordRejection };

/** Builds the Promote handler (actions `promote`, `rollback`, `reject`): validates the event, then acts. */
export function createPromoteHandler(
  deps: PromoteDeps,
): (event: unknown) => Promise<PromoteOutput | RollbackOutput | RejectOutput> {
  return async (event) => {
    // Name the state that sent the event: the same function serves Promote, RollBack and RecordRejection.
    const action = (event as { action?: unknown } | null)?.action;
    const state = (typeof action === 'string' && STATE_OF_ACTION[action]) || STATES.Promote;
    const input = parseEvent(state, promoteEventSchema, event);
    if (input.action === 'promote') return runPromote(input, deps);
    if (input.action === 'rollback') return runRollback(input, deps);
    return runReject(input, deps);
  };
}

/**
 * Puts the endpoint back on what served before the failed version: the deployer's `restore` when it has
 * one (no image is built again), else a deployment of `target` (nothing to do when there is none).
 */
async function putBack(
  deps: PromoteDeps,
  input: RollbackEvent,
  target: number | null,
): Promise<{ endpoint: string | null }> {
  const what = target === null ? 'unset' : `back at v${target}`;
  try {
    const request = { model: input.model, version: target ?? input.version, previous: input.version };
    if (input.restore !== null && deps.deployer.restore) {
      return await deps.deployer.restore({ ...request, restore: input.restore });
    }
    if (target === null) return { endpoint: null };
    return await deps.deployer.deploy({ ...request, version: target });
  } catch (error) {
    throw new DeployError(
      `production of ${input.model} is ${what}, but putting the endpoint back failed (${messageOf(error)}); ` +
        'the endpoint may still serve the failed version: deploy it again or fix the deployer and retry',
      { cause: error },
    );
  }
}

/** After a failed deploy, points production back where it was so the alias names what serves. */
async function undoPromotion(
  store: ModelStore,
  input: PromoteEvent,
  expected: number | null,
  failure: unknown,
): Promise<string> {
  if (expected === null) {
    return `production still points at v${input.version} (it was the first promotion and the store cannot remove an alias yet); fix the deployer and re-run the promotion`;
  }
  try {
    await moveBack(store, input.model, await readProduction(store, input.model), expected, {
      expected: input.version,
      actor: 'slipway-pipeline',
      reason: `deploy of v${input.version} by execution ${input.executionId} failed: ${messageOf(failure)}`,
      executionId: input.executionId,
    });
    return `production is back at v${expected}; fix the deployer and re-run the pipeline`;
  } catch (error) {
    return `production could not be moved back to v${expected} (${messageOf(error)}); check it with \`slipway models aliases ${input.model}\``;
  }
}

/**
 * Moves production back to `target`. rollbackAlias records the move as a rollback, so a later
 * `slipway models rollback` does not walk back onto the failed version; setAlias covers a history
 * that disagrees with the caller.
 */
async function moveBack(
  store: ModelStore,
  model: string,
  current: AliasRecord | undefined,
  target: number,
  options: { expected: number; actor: string; reason: string; executionId: string },
): Promise<void> {
  if (current !== undefined && rollbackTarget(current.history) === target) {
    await store.rollbackAlias(model, PRODUCTION_ALIAS, options);
  } else {
    // Going back to what served before, even a version someone forced into production over a rejection.
    await store.setAlias(model, PRODUCTION_ALIAS, target, { ...options, force: true });
  }
}

async function readProduction(store: ModelStore, model: string): Promise<AliasRecord | undefined> {
  try {
    return await store.getAlias(model, PRODUCTION_ALIAS);
  } catch (error) {
    if (error instanceof NotFoundError && (error.what === 'alias' || error.what === 'model'))
      return undefined;
    throw error;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

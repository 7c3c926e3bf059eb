import { type ApprovalDecisionRecord, asDecisionRecord, executionLayout, STATES } from '@slipway/contracts';
import type { ModelStore } from '@slipway/model-store';
import { z } from 'zod';
import { compactEvaluationSchema } from '../evaluate/report.js';
import { executionIdField, nameField, parseEvent, versionField } from '../event.js';

/** The Approval state's Payload (`lambda:invoke.waitForTaskToken`). */
export const approvalEventSchema = z.object({
  /** Checked for presence only: this step neither stores nor logs it. */
  taskToken: z.string().min(1),
  executionId: executionIdField,
  model: nameField,
  version: versionField,
  evaluation: compactEvaluationSchema,
  git: z.object({ commit: z.string(), pullRequest: z.union([z.string(), z.number()]) }),
});

/** A validated Approval event. */
export type ApprovalEvent = z.output<typeof approvalEventSchema>;

/** What the approver is told: what to decide on and how to answer. Never carries the task token. */
export interface ApprovalNotice {
  readonly executionId: string;
  readonly model: string;
  readonly version: number;
  /** The evaluation's one-sentence verdict. */
  readonly summary: string;
  readonly approveCommand: string;
  readonly rejectCommand: string;
  readonly consoleUrl?: string;
}

/** Delivers an approval request to people (printed locally; SNS on AWS). */
export type Notifier = (notice: ApprovalNotice) => Promise<void> | void;

/** What the Approval step needs. */
export interface ApprovalDeps {
  readonly store: ModelStore;
  readonly notify: Notifier;
  /** The commands that decide an execution. Default `slipway approve <id>` and `slipway reject <id> --reason "<why>"`. */
  readonly commands?: (executionId: string) => { readonly approve: string; readonly reject: string };
  /** Link to the execution in the console, when there is one. */
  readonly consoleUrl?: (executionId: string) => string;
  readonly now?: () => Date;
}

/** The record kept at `executions/<id>/approval-request.json`. */
export interface ApprovalRequestRecord extends ApprovalNotice {
  readonly schema: typeof APPROVAL_REQUEST_SCHEMA;
  readonly passed: boolean;
  readonly candidate: { readonly accuracy: number; readonly macroF1: number };
  readonly production: {
    readonly version: number;
    readonly accuracy: number;
    readonly macroF1: number;
  } | null;
  readonly git: { readonly commit: string; readonly pullRequest: string };
  readonly requestedAt: string;
}

/** Key of the request record in the execution's area. */
export const APPROVAL_REQUEST_FILE = 'approval-request.json';
/** Schema tag of the request record. */
export const APPROVAL_REQUEST_SCHEMA = 'slipway.approval-request/v1';

/** The default decision commands of the `slipway` CLI. */
export function defaultApprovalCommands(executionId: string): { approve: string; reject: string } {
  return {
    approve: `slipway approve ${executionId}`,
    reject: `slipway reject ${executionId} --reason "<why>"`,
  };
}

/**
 * Records that an execution waits for approval (`approval-request.json`, without the task token, which
 * the runner keeps) and tells the approver how to decide.
 */
export async function runApproval(input: ApprovalEvent, deps: ApprovalDeps): Promise<{ notified: true }> {
  const commands = (deps.commands ?? defaultApprovalCommands)(input.executionId);
  const consoleUrl = deps.consoleUrl?.(input.executionId);
  const notice: ApprovalNotice = {
    executionId: input.executionId,
    model: input.model,
    version: input.version,
    summary: input.evaluation.verdict.summary,
    approveCommand: commands.approve,
    rejectCommand: commands.reject,
    ...(consoleUrl === undefined ? {} : { consoleUrl }),
  };
  const record: ApprovalRequestRecord = {
    schema: APPROVAL_REQUEST_SCHEMA,
    ...notice,
    passed: input.evaluation.verdict.passed,
    candidate: { accuracy: input.evaluation.candidate.accuracy, macroF1: input.evaluation.candidate.macroF1 },
    production: input.evaluation.production,
    git: { commit: input.git.commit, pullRequest: String(input.git.pullRequest) },
    requestedAt: (deps.now ?? (() => new Date()))().toISOString(),
  };
  // Recorded first, so the request is visible even if the notification fails.
  await deps.store
    .executions(input.executionId)
    .put(APPROVAL_REQUEST_FILE, `${JSON.stringify(record, null, 2)}\n`);
  await deps.notify(notice);
  return { notified: true };
}

/** Builds the Approval handler: validates the event, then records and announces the request. */
export function createApprovalHandler(deps: ApprovalDeps): (event: unknown) => Promise<{ notified: true }> {
  return async (event) => runApproval(parseEvent(STATES.Approval, approvalEventSchema, event), deps);
}

/** Reads an execution's approval request; undefined when none was made. */
export async function readApprovalRequest(
  store: ModelStore,
  executionId: string,
): Promise<ApprovalRequestRecord | undefined> {
  return store.executions(executionId).getJson<ApprovalRequestRecord>(APPROVAL_REQUEST_FILE);
}

/**
 * The decisions people made on an execution's approval requests, oldest first: the records every decider
 * leaves (contracts' `ApprovalDecisionRecord`), the same on either runner.
 */
export async function readDecisions(
  store: ModelStore,
  executionId: string,
): Promise<ApprovalDecisionRecord[]> {
  const area = store.executions(executionId);
  const keys = (await area.list(executionLayout.decisions()))
    .map((o) => o.key)
    .filter((k) => k.endsWith('.json'));
  const found = await Promise.all(
    keys.map(async (k) => asDecisionRecord(await area.getJson<unknown>(k).catch(() => undefined))),
  );
  return found
    .filter((d): d is ApprovalDecisionRecord => d !== undefined)
    .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}

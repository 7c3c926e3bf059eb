import { CANDIDATE_ALIAS, STATES } from '@slipway/contracts';
import { type AliasMove, type ModelStore, NotFoundError } from '@slipway/model-store';
import { z } from 'zod';
import { readArtifact } from '../artifact.js';
import { EvaluationError } from '../errors.js';
import { compactEvaluationSchema, EVALUATION_FILE, parseEvaluationReport } from '../evaluate/report.js';
import { datasetField, executionIdField, nameField, parseEvent } from '../event.js';

/** The Register state's Payload. */
export const registerEventSchema = z.object({
  model: nameField,
  artifact: z.string().min(1),
  evaluation: compactEvaluationSchema,
  lineage: z.object({
    /** "" when unknown. */
    gitCommit: z.string(),
    /** The pull request number as text ("" when none), as SageMaker environment values are strings. */
    pullRequest: z.union([
      z.string().regex(/^(\d{1,9})?$/, 'expected a pull request number or ""'),
      z.number().int().min(1),
    ]),
    executionId: executionIdField,
    dataset: datasetField,
  }),
});

/** A validated Register event. */
export type RegisterEvent = z.output<typeof registerEventSchema>;

/** What the Register step needs. */
export interface RegisterDeps {
  readonly store: ModelStore;
  /** Recorded as who registered and moved `candidate`. Default: the store's actor. */
  readonly actor?: string;
}

/** The registered version; `created` is false when this execution had registered it already. */
export interface RegisterOutput {
  readonly version: number;
  readonly created: boolean;
}

/**
 * Registers the evaluated artifact as a new immutable version (its trainer manifest completed with the
 * execution's lineage, the full evaluation report added as `evaluation.json`) and moves `candidate` to
 * it. Idempotent per execution id: a retry returns the same version with `created: false`.
 */
export async function runRegister(input: RegisterEvent, deps: RegisterDeps): Promise<RegisterOutput> {
  const { store } = deps;
  const { executionId } = input.lineage;
  const artifact = await readArtifact(store, input.artifact, input.model);

  const found = await store.executions(executionId).get(EVALUATION_FILE);
  if (!found) {
    throw new EvaluationError(
      `execution ${executionId} has no ${EVALUATION_FILE} in ${store.uri}, so there is no report to register with the model; ` +
        'run the Evaluate step for this execution first',
    );
  }
  const report = parseEvaluationReport(found.body, executionId);
  if (report.model !== input.model || report.candidate.artifact !== input.artifact) {
    throw new EvaluationError(
      `the evaluation report of execution ${executionId} is about ${report.model} ${report.candidate.artifact}, ` +
        `not ${input.model} ${input.artifact}; re-run the execution's Evaluate step`,
    );
  }

  const pullRequest = input.lineage.pullRequest === '' ? null : Number(input.lineage.pullRequest);
  const manifest = {
    ...artifact.manifest,
    lineage: {
      ...artifact.manifest.lineage,
      gitCommit: input.lineage.gitCommit === '' ? null : input.lineage.gitCommit,
      pullRequest,
      executionId,
      dataset: { name: input.lineage.dataset.name, sha256: input.lineage.dataset.sha256 },
    },
  };
  const files: Record<string, Uint8Array> = {};
  for (const [file, body] of Object.entries(artifact.files)) {
    if (file !== 'manifest.json') files[file] = body;
  }
  files[EVALUATION_FILE] = found.body;

  const registered = await store.registerModel({
    name: input.model,
    files,
    manifest,
    executionId,
    ...(deps.actor === undefined ? {} : { actor: deps.actor }),
  });
  await moveCandidate(store, input.model, registered, executionId, deps.actor);
  return { version: registered.version, created: registered.created };
}

/** Builds the Register handler: validates the event, then registers. */
export function createRegisterHandler(deps: RegisterDeps): (event: unknown) => Promise<RegisterOutput> {
  return async (event) => runRegister(parseEvent(STATES.Register, registerEventSchema, event), deps);
}

async function moveCandidate(
  store: ModelStore,
  model: string,
  registered: { version: number; created: boolean },
  executionId: string,
  actor: string | undefined,
): Promise<void> {
  const reason = `registered by execution ${executionId}`;
  if (!registered.created) {
    // A retry: if this execution moved `candidate` already, a newer registration may own it by now.
    const current = await store.getAlias(model, CANDIDATE_ALIAS).catch((error: unknown) => {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    });
    const moved = (move: AliasMove) =>
      move.version === registered.version && move.executionId === executionId;
    if (current?.history.some(moved)) return;
  }
  // `candidate` only names the newest registration: last writer wins, so no expected version.
  await store.setAlias(model, CANDIDATE_ALIAS, registered.version, {
    reason,
    executionId,
    ...(actor === undefined ? {} : { actor }),
  });
}

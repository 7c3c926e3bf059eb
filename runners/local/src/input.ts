import { isAbsolute } from 'node:path';
import {
  DEFAULT_THRESHOLDS,
  type ExecutionInput,
  IMAGE_BY_DIGEST,
  IMAGE_BY_DIGEST_RULE,
  MODEL_NAME,
  MODEL_NAME_RULE,
  ownRecord,
  STORE_NAME,
  STORE_NAME_RULE,
} from '@slipway/contracts';
import { resolveHyperparameters } from '@slipway/training-job';
import { z } from 'zod';
import {
  type AslDefinition,
  longestApprovalTimeout,
  MAX_TIMEOUT_SECONDS,
  readDefinitionText,
} from './runtime/definition.js';
import { ExecutionInputError } from './runtime/errors.js';

/** SageMaker's training job names: at most 63 characters, `^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}`
 * (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateTrainingJob.html). */
const TRAINING_JOB_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

let approvalLimit: number | undefined;
/** The longest approval wait the deployed definition can still end as `Rejected: timeout` (read once). */
function approvalTimeoutLimit(): number {
  approvalLimit ??= longestApprovalTimeout(JSON.parse(readDefinitionText()) as AslDefinition);
  return approvalLimit;
}

const threshold = {
  /** The candidate's accuracy on the test split must reach this. */
  minAccuracy: z.number().min(0).max(1),
  /** The share of the majority-class baseline's errors the candidate must avoid. */
  minBaselineGain: z.number().min(0).max(1),
  /** The candidate may lose at most this much accuracy and macro-F1 against production (absolute). */
  maxRegression: z.number().min(0).max(1),
  /** Every class's F1 must reach this. */
  minClassF1: z.number().min(0).max(1),
};

/** Gate thresholds: the evaluation's verdict is "pass" only if all hold. */
const thresholdsSchema = z
  .object({
    minAccuracy: threshold.minAccuracy.default(DEFAULT_THRESHOLDS.minAccuracy),
    minBaselineGain: threshold.minBaselineGain.default(DEFAULT_THRESHOLDS.minBaselineGain),
    maxRegression: threshold.maxRegression.default(DEFAULT_THRESHOLDS.maxRegression),
    minClassF1: threshold.minClassF1.default(DEFAULT_THRESHOLDS.minClassF1),
  })
  .strict();

/** Some thresholds to override, each within the same bounds and without a default filled in. */
export const thresholdOverridesSchema = z.object(threshold).partial().strict();

/** Where training runs; the local runtime runs each as a child process in the shapes AWS uses. */
export const computeSchema = z.enum(['local', 'sagemaker', 'fargate']);
export type Compute = z.output<typeof computeSchema>;

/**
 * The training code: slipway's built-in trainer, or a team's own program following SageMaker's training
 * contract, run locally as `command` (argv, no shell) in `workdir` (docs/model-contract.md).
 * @example trainerSchema.parse({ type: 'command', command: ['python3', 'train.py'], workdir: '/repo' })
 */
export const trainerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('builtin') }).strict(),
  z
    .object({
      type: z.literal('command'),
      /** The program and its arguments; the first is a path (relative to workdir) or a name on PATH. */
      command: z.array(z.string().min(1, 'an empty argument')).min(1, 'name at least the program').max(256),
      /** Absolute: the execution may be resumed from another directory. */
      workdir: z.string().refine((p) => isAbsolute(p), 'expected an absolute path'),
    })
    .strict(),
]);
export type Trainer = z.output<typeof trainerSchema>;

/**
 * What an execution runs on. The local runtime and AWS take the same input; `slipway run` and
 * `slipway start` build it, and it is validated here before anything starts.
 */
export const executionInputSchema = z
  .object({
    /** The model's name in the store; also names training jobs (lowercase letters, digits, dashes). */
    model: z.string().regex(MODEL_NAME, MODEL_NAME_RULE),
    /** Unique per execution; training job names are `<model>-<runId>`. */
    runId: z.string().regex(/^[a-z0-9][a-z0-9-]{0,22}$/, 'use 1-23 lowercase letters, digits and dashes'),
    /** A dataset version already in the store (datasets/<name>/<sha256>/). */
    dataset: z
      .object({
        name: z.string().regex(STORE_NAME, STORE_NAME_RULE),
        sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits'),
      })
      .strict(),
    /** Passed to the training job; SageMaker requires string values. */
    hyperparameters: ownRecord(z.string()).default({}),
    git: z
      .object({
        /** The commit that produced the training code/data ("" when unknown). */
        commit: z.string().max(64).default(''),
        /** The pull request number as text ("" when none): SageMaker environment values are strings. */
        pullRequest: z
          .string()
          .regex(/^(\d{1,9})?$/, 'expected a pull request number or ""')
          .default(''),
      })
      .strict()
      .default({ commit: '', pullRequest: '' }),
    /** Where training runs: `local` (a child process), `sagemaker` (a training job) or `fargate` (an ECS task). */
    compute: computeSchema.default('local'),
    /** The training code (default: the built-in trainer). */
    trainer: trainerSchema.default({ type: 'builtin' }),
    /** The image training runs on AWS, pinned by digest (absent: the stage's training image). */
    trainingImage: z.string().regex(IMAGE_BY_DIGEST, IMAGE_BY_DIGEST_RULE).optional(),
    thresholds: thresholdsSchema.default(DEFAULT_THRESHOLDS),
    /** How long Approval waits for a person before the candidate is rejected with reason "timeout". */
    approvalTimeoutSeconds: z
      .number()
      .int()
      .min(1)
      .max(MAX_TIMEOUT_SECONDS)
      .default(7 * 24 * 3600),
    /** Who or what started the execution, for the console. */
    trigger: z.enum(['cli', 'pull-request', 'console', 'schedule', 'api']).default('cli'),
  })
  .strict()
  .superRefine((input, ctx) => {
    const job = `${input.model}-${input.runId}`;
    if (job.length > 63 || !TRAINING_JOB_NAME.test(job)) {
      ctx.addIssue({
        code: 'custom',
        path: ['runId'],
        message: `the training job would be named "${job}" (${job.length} characters); SageMaker takes at most 63 letters, digits and dashes, ending in a letter or digit: shorten the model name or the run id`,
      });
    }
    const limit = approvalTimeoutLimit();
    if (input.approvalTimeoutSeconds > limit) {
      ctx.addIssue({
        code: 'custom',
        path: ['approvalTimeoutSeconds'],
        message: `${input.approvalTimeoutSeconds} s is longer than the execution can wait: after training, evaluation and registration take their longest, at most ${limit} s remain before the execution itself times out, and it must end as "Rejected: timeout"`,
      });
    }
  });

export type { ExecutionInput };

type Fits<A, B> = [A] extends [B]
  ? [keyof A] extends [keyof B]
    ? [keyof B] extends [keyof A]
      ? true
      : false
    : false
  : false;
// What the schema completes is contracts' ExecutionInput, field for field: a field added to one and not
// the other, or of another type, fails the build.
const _schemaMatchesTheContract: Fits<z.output<typeof executionInputSchema>, ExecutionInput> = true;
void _schemaMatchesTheContract;
export type ExecutionInputDraft = z.input<typeof executionInputSchema>;
export type Thresholds = z.output<typeof thresholdsSchema>;

/** Validates and completes an execution input; a bad one is refused with every problem named. */
export function parseExecutionInput(input: unknown): ExecutionInput {
  const result = executionInputSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map(
    (issue) => `${issue.path.join('.') || '(input)'}: ${issue.message}`,
  );
  throw new ExecutionInputError(`the execution input is not valid:\n  ${problems.join('\n  ')}`);
}

/**
 * Refuses hyperparameters the built-in trainer would refuse (unknown keys, values out of range, an
 * n-gram range upside down) before an execution starts, instead of failing inside its training job.
 * The job validates again; this only moves the deterministic failure to where nothing has run yet.
 */
export function checkHyperparameters(hyperparameters: Readonly<Record<string, string>>): void {
  try {
    resolveHyperparameters(hyperparameters);
  } catch (error) {
    throw new ExecutionInputError(`${(error as Error).message}; nothing was started`, { cause: error });
  }
}

/**
 * Reads an input recorded before `compute` had its name: it was `trainer`, a string. Records of such
 * executions (a local execution.json being resumed, an AWS execution started by an older client) are
 * read with the string moved to `compute`; a `trainer` that is not one of those strings is left alone.
 * @example upgradeRecordedInput({ model: 'm', trainer: 'fargate' }) // { model: 'm', compute: 'fargate' }
 */
export function upgradeRecordedInput<T>(recorded: T): T {
  if (typeof recorded !== 'object' || recorded === null || Array.isArray(recorded)) return recorded;
  const { trainer, ...rest } = recorded as Record<string, unknown>;
  if ('compute' in rest || !computeSchema.safeParse(trainer).success) return recorded;
  return { ...rest, compute: trainer } as T;
}

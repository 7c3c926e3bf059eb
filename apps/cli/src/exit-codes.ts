/**
 * slipway's exit codes: the one table every command exits by, printed by `slipway --help` and
 * documented in the README. Scripts and CI branch on these numbers, so they never change meaning.
 *
 * @example if (outcome.status !== 'SUCCEEDED') status.set(exitCodeForExecution(outcome));
 */
export const EXIT_CODES = {
  /** The command did what was asked; for run/resume/start --wait: the execution reached Done. */
  succeeded: 0,
  /** The command failed for a reason explained on stderr (bad data, unreachable store, refused input). */
  failed: 1,
  /** Unknown command or option, missing or malformed argument. Nothing was done. */
  usage: 2,
  /** The execution ended in a failure state other than the two below (training, evaluation, promotion...). */
  executionFailed: 3,
  /** The candidate did not pass the evaluation gate (EvaluationFailedGate). */
  gateFailed: 4,
  /** The candidate was rejected: by a person, by --approve-if-better, or because approval timed out. */
  rejected: 5,
  /** The model, version, alias, dataset or execution named does not exist. */
  notFound: 6,
  /** Someone else changed it first (an alias moved, an execution already decided): re-read and retry. */
  conflict: 7,
  /** A bug in slipway: the stack is printed; please report it. (70 is sysexits' EX_SOFTWARE.) */
  internal: 70,
  /** Stopped by Ctrl-C (SIGINT); an execution can continue with `slipway resume <id>`. */
  interrupted: 130,
} as const;

export type ExitName = keyof typeof EXIT_CODES;
export type ExitCode = (typeof EXIT_CODES)[ExitName];

/** What each code means, for `--help` and the README (one line each). */
export const EXIT_CODE_HELP: Readonly<Record<ExitName, string>> = {
  succeeded: 'succeeded (run, resume, start --wait: the execution reached Done)',
  failed: 'failed; the reason is on stderr (bad data, unreachable store, ...)',
  usage: 'usage error (unknown option, missing argument); nothing was done',
  executionFailed: 'the execution ended in a failure state (TrainingFailed, PromotionFailed, ...)',
  gateFailed: 'the candidate did not pass the gate (EvaluationFailedGate)',
  rejected: 'the candidate was rejected (by a person, --approve-if-better or the approval timeout)',
  notFound: 'the model, version, alias, dataset or execution does not exist',
  conflict: 'someone else changed it first (alias moved, execution already decided)',
  internal: 'internal error: a bug in slipway (the stack is printed)',
  interrupted: 'interrupted (Ctrl-C)',
};

/** The exit codes as `--help` prints them. */
export function exitCodesHelp(): string {
  return [
    'Exit codes:',
    ...Object.entries(EXIT_CODE_HELP).map(
      ([name, meaning]) => `  ${String(EXIT_CODES[name as ExitName]).padStart(3)}  ${meaning}`,
    ),
  ].join('\n');
}

/**
 * The stable `code` each of slipway's error families carries, and the exit it maps to. An error whose
 * code is not here is a bug and exits `internal`, so a new error family must be added to this table.
 */
export const ERROR_EXITS: Readonly<Record<string, ExitName>> = {
  // Usage mistakes a command detects after parsing its options.
  SLIPWAY_USAGE: 'usage',
  // model-store
  SLIPWAY_STORE: 'failed',
  SLIPWAY_NOT_FOUND: 'notFound',
  SLIPWAY_CONFLICT: 'conflict',
  SLIPWAY_REJECTED_VERSION: 'failed',
  SLIPWAY_ARCHIVE: 'failed',
  // training-job
  SLIPWAY_DATA: 'failed',
  SLIPWAY_TRAINING: 'failed',
  SLIPWAY_MODEL_EXPORT: 'failed',
  SLIPWAY_MODEL_FILE: 'failed',
  SLIPWAY_CONTAINER_CONFIG: 'failed',
  SLIPWAY_STORAGE: 'failed',
  // steps and inference
  SLIPWAY_STEP: 'failed',
  SLIPWAY_INFERENCE: 'failed',
  // runners: the local runtime and the AWS commands
  SLIPWAY_DEFINITION: 'failed',
  SLIPWAY_EXECUTION_INPUT: 'failed',
  SLIPWAY_EXECUTION_NOT_FOUND: 'notFound',
  SLIPWAY_EXECUTION_STATE: 'conflict',
  SLIPWAY_TRAINING_JOB: 'failed',
  SLIPWAY_AWS: 'failed',
  // console
  SLIPWAY_CONSOLE: 'failed',
};

/** An error a command raises for a usage mistake it can only see after parsing (e.g. two exclusive options). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'SLIPWAY_USAGE';
}

/**
 * The exit an error maps to: by its stable `code`. Node's system errors (a file that does not exist,
 * a port in use: they carry `syscall`) are environment problems, not bugs; anything else is a bug.
 */
export function exitNameForError(error: unknown): ExitName {
  if (typeof error !== 'object' || error === null) return 'internal';
  const { code, syscall } = error as { code?: unknown; syscall?: unknown };
  if (typeof code !== 'string') return 'internal';
  const known = Object.hasOwn(ERROR_EXITS, code) ? ERROR_EXITS[code] : undefined;
  if (known) return known;
  return typeof syscall === 'string' ? 'failed' : 'internal';
}

/** The Fail states that have their own exit; every other failure state is `executionFailed`. */
const FAILURE_STATE_EXITS: Readonly<Record<string, ExitName>> = {
  EvaluationFailedGate: 'gateFailed',
  Rejected: 'rejected',
};

/** The exit for an execution that ended: by its terminal state (the state names are a contract). */
export function exitNameForExecution(execution: {
  readonly status: string;
  readonly finalState: string | null;
}): ExitName {
  if (execution.status === 'SUCCEEDED') return 'succeeded';
  const byState =
    execution.finalState !== null && Object.hasOwn(FAILURE_STATE_EXITS, execution.finalState)
      ? FAILURE_STATE_EXITS[execution.finalState]
      : undefined;
  return byState ?? 'executionFailed';
}

/** Where a command's action reports an exit that is an outcome, not an error (a failed execution). */
export class ExitStatus {
  private name: ExitName = 'succeeded';

  set(name: ExitName): void {
    this.name = name;
  }

  get code(): ExitCode {
    return EXIT_CODES[this.name];
  }
}

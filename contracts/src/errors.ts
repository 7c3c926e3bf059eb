/**
 * The one error table. Every error slipway raises on purpose carries a stable `code` (its `name` stays
 * what the state machine's Catch rules match); this table says what each code means to a program: the
 * HTTP status the console and inference answer with, and the `slipway` command's exit. An error whose
 * code is not here is a bug: HTTP 500, exit `internal`. A new error class must add its code here (a
 * test checks that every code is raised somewhere and every raised code is here).
 *
 * @example
 * try { await store.getAlias(model, 'production'); }
 * catch (e) { res.writeHead(httpStatusForError(e)); }
 */

/**
 * slipway's exit codes. Scripts and CI branch on these numbers, so they never change meaning; the CLI
 * prints them in `--help` with one line each.
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
  /** verify: the rebuilt model.onnx differs from the registered one (what differs is printed). */
  verifyDiffers: 8,
  /** verify: two rebuilds from the same inputs differ; the trainer is not deterministic. */
  verifyNotDeterministic: 9,
  /** verify: the stored dataset fails its checksum; nothing was trained. */
  verifyDatasetRefused: 10,
  /** verify: the lineage lacks what a rebuild needs, or its dataset or trainer is not available. */
  verifyUnverifiable: 11,
  /** A bug in slipway: the stack is printed; please report it. (70 is sysexits' EX_SOFTWARE.) */
  internal: 70,
  /** Stopped by Ctrl-C (SIGINT); an execution can continue with `slipway resume <id>`. */
  interrupted: 130,
  /**
   * The reader of stdout went away (`slipway models list | head -1`): stopped quietly, as a Unix tool
   * stopped by SIGPIPE does (128 + 13).
   */
  brokenPipe: 141,
} as const;

export type ExitName = keyof typeof EXIT_CODES;
export type ExitCode = (typeof EXIT_CODES)[ExitName];

/** What one error code means to a program. */
export interface ErrorMapping {
  /** The HTTP status a server answers with (4xx: the caller's to fix; 5xx: the server's side). */
  readonly status: number;
  /** The `slipway` command's exit (a name of {@link EXIT_CODES}). */
  readonly exit: ExitName;
}

/** Every error code slipway raises, by the part that raises it. */
export const ERROR_CODES = {
  // apps/cli: a usage mistake a command sees only after parsing (two exclusive options)
  SLIPWAY_USAGE: { status: 400, exit: 'usage' },
  // contracts
  SLIPWAY_ARCHIVE: { status: 500, exit: 'failed' },
  SLIPWAY_MISSING_DEPENDENCY: { status: 500, exit: 'failed' },
  // model-store
  SLIPWAY_STORE: { status: 500, exit: 'failed' },
  SLIPWAY_NOT_FOUND: { status: 404, exit: 'notFound' },
  SLIPWAY_REJECTED_VERSION: { status: 409, exit: 'failed' },
  SLIPWAY_CONFLICT: { status: 409, exit: 'conflict' },
  SLIPWAY_INTEGRITY: { status: 500, exit: 'failed' },
  SLIPWAY_INVALID_NAME: { status: 400, exit: 'failed' },
  SLIPWAY_INVALID_MANIFEST: { status: 400, exit: 'failed' },
  SLIPWAY_STORE_CONFIG: { status: 500, exit: 'failed' },
  SLIPWAY_CORRUPT_RECORD: { status: 500, exit: 'failed' },
  SLIPWAY_STORE_IO: { status: 503, exit: 'failed' },
  // training-job
  SLIPWAY_DATA: { status: 400, exit: 'failed' },
  SLIPWAY_TRAINING: { status: 400, exit: 'failed' },
  SLIPWAY_MODEL_EXPORT: { status: 500, exit: 'failed' },
  SLIPWAY_MODEL_FILE: { status: 500, exit: 'failed' },
  SLIPWAY_MODEL_CONTRACT: { status: 400, exit: 'failed' },
  SLIPWAY_CONTAINER_CONFIG: { status: 500, exit: 'failed' },
  SLIPWAY_STORAGE: { status: 503, exit: 'failed' },
  // steps (and runners/aws's adapters, which are kinds of step errors)
  SLIPWAY_INVALID_EVENT: { status: 400, exit: 'failed' },
  SLIPWAY_STEP_CONFIG: { status: 500, exit: 'failed' },
  SLIPWAY_ARTIFACT: { status: 500, exit: 'failed' },
  SLIPWAY_EVALUATION: { status: 500, exit: 'failed' },
  SLIPWAY_PRODUCTION_MOVED: { status: 409, exit: 'conflict' },
  SLIPWAY_DEPLOY: { status: 502, exit: 'failed' },
  SLIPWAY_REGISTRY: { status: 502, exit: 'failed' },
  SLIPWAY_APPROVAL_SETTLE: { status: 502, exit: 'failed' },
  SLIPWAY_REQUEST_SIGNING: { status: 500, exit: 'failed' },
  SLIPWAY_TRAINING_TASK: { status: 502, exit: 'failed' },
  SLIPWAY_TRAINER_UNAVAILABLE: { status: 501, exit: 'failed' },
  // inference
  SLIPWAY_MODEL_LOAD: { status: 503, exit: 'failed' },
  SLIPWAY_SELF_TEST: { status: 503, exit: 'failed' },
  SLIPWAY_INFERENCE_CONFIG: { status: 500, exit: 'failed' },
  SLIPWAY_MODEL_SOURCE: { status: 503, exit: 'failed' },
  // runners/local
  SLIPWAY_DEFINITION: { status: 500, exit: 'failed' },
  SLIPWAY_EXECUTION_INPUT: { status: 400, exit: 'failed' },
  SLIPWAY_EXECUTION_NOT_FOUND: { status: 404, exit: 'notFound' },
  SLIPWAY_EXECUTION_STATE: { status: 409, exit: 'conflict' },
  SLIPWAY_TRAINING_JOB: { status: 500, exit: 'failed' },
  // runners/aws: the stage commands
  SLIPWAY_AWS: { status: 502, exit: 'failed' },
  SLIPWAY_AWS_EXECUTION: { status: 409, exit: 'failed' },
  SLIPWAY_AWS_EXECUTION_NOT_FOUND: { status: 404, exit: 'notFound' },
  // apps/console (a request it refuses carries its own status)
  SLIPWAY_CONSOLE_REQUEST: { status: 400, exit: 'failed' },
  SLIPWAY_CONSOLE_START: { status: 500, exit: 'failed' },
  SLIPWAY_AWS_SOURCE: { status: 502, exit: 'failed' },
} as const satisfies Readonly<Record<string, ErrorMapping>>;

/** A code from {@link ERROR_CODES}: what an error class declares as its `code`. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** The table entry of an error's `code`, or undefined when the error is not one of slipway's. */
export function errorMapping(error: unknown): ErrorMapping | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code } = error as { code?: unknown };
  if (typeof code !== 'string' || !Object.hasOwn(ERROR_CODES, code)) return undefined;
  return ERROR_CODES[code as ErrorCode];
}

/** The HTTP status for an error: by its code; 500 for anything that is not one of slipway's errors. */
export function httpStatusForError(error: unknown): number {
  return errorMapping(error)?.status ?? 500;
}

/**
 * The `slipway` exit for an error: by its code. Node's system errors (a file that does not exist, a
 * port in use: they carry `syscall`) are environment problems, not bugs; anything else is `internal`.
 */
export function exitNameForError(error: unknown): ExitName {
  const known = errorMapping(error);
  if (known) return known.exit;
  const syscall =
    typeof error === 'object' && error !== null ? (error as { syscall?: unknown }).syscall : undefined;
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && typeof syscall === 'string' ? 'failed' : 'internal';
}

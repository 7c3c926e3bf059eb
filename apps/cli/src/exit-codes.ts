import { type ErrorCode, EXIT_CODES, type ExitCode, type ExitName, STATES } from '@slipway/contracts';

/**
 * slipway's exit codes and the error each maps from live in contracts' one error table; this file adds
 * their `--help` text and the exit of an execution by its terminal state.
 *
 * @example if (outcome.status !== 'SUCCEEDED') status.set(exitNameForExecution(outcome));
 */
export { EXIT_CODES, type ExitCode, type ExitName, exitNameForError } from '@slipway/contracts';

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
  verifyDiffers: 'verify: the rebuilt model.onnx differs from the registered one',
  verifyNotDeterministic: 'verify: the trainer is not deterministic (two rebuilds differ)',
  verifyDatasetRefused: 'verify: the stored dataset fails its checksum; nothing was trained',
  verifyUnverifiable: 'verify: the lineage lacks what a rebuild needs, or its dataset or trainer is missing',
  internal: 'internal error: a bug in slipway (the stack is printed)',
  interrupted: 'interrupted (Ctrl-C)',
  brokenPipe: 'the reader of the output went away (`| head`); stopped quietly, as on SIGPIPE',
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

/** An error a command raises for a usage mistake it can only see after parsing (e.g. two exclusive options). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code: ErrorCode = 'SLIPWAY_USAGE';
}

/** The Fail states that have their own exit; every other failure state is `executionFailed`. */
const FAILURE_STATE_EXITS: Readonly<Record<string, ExitName>> = {
  [STATES.EvaluationFailedGate]: 'gateFailed',
  [STATES.Rejected]: 'rejected',
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

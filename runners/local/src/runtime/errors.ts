/** The local runtime's errors; each `code` is stable across releases, for programs (contracts' error table). */

/** The definition cannot run here: a missing placeholder, an unmapped Task, a broken rule. */
export class DefinitionError extends Error {
  override readonly name = 'DefinitionError';
  readonly code = 'SLIPWAY_DEFINITION';
}

/** An execution's input does not match the schema; nothing was started. */
export class ExecutionInputError extends Error {
  override readonly name = 'ExecutionInputError';
  readonly code = 'SLIPWAY_EXECUTION_INPUT';
}

/** No execution with that id in the store. */
export class ExecutionNotFoundError extends Error {
  override readonly name = 'ExecutionNotFoundError';
  readonly code = 'SLIPWAY_EXECUTION_NOT_FOUND';
}

/** An approve/reject/resume that does not fit the execution's state (not waiting, already decided, finished). */
export class ExecutionStateError extends Error {
  override readonly name = 'ExecutionStateError';
  readonly code = 'SLIPWAY_EXECUTION_STATE';
}

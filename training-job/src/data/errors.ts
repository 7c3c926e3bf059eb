/**
 * Bad or unreadable data: a malformed file, an invalid row, a split that cannot be made, a dataset
 * directory whose content does not match its manifest. `file` and `line` (1-based) point at the
 * cause when there is one; `line` is undefined for whole-file problems.
 */
export class DataError extends Error {
  override readonly name = 'DataError';
  /** Stable across releases, for programs (contracts' error table). */
  readonly code = 'SLIPWAY_DATA';
  readonly file: string | undefined;
  readonly line: number | undefined;

  constructor(message: string, options: { file?: string; line?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.file = options.file;
    this.line = options.line;
  }
}

/** Prefixes a message with `file:line: ` (or `file: `) so a person can jump straight to the cause. */
export function dataError(
  file: string | undefined,
  line: number | undefined,
  message: string,
  cause?: unknown,
) {
  const where = file === undefined ? '' : line === undefined ? `${file}: ` : `${file}:${line}: `;
  return new DataError(`${where}${message}`, {
    ...(file === undefined ? {} : { file }),
    ...(line === undefined ? {} : { line }),
    ...(cause === undefined ? {} : { cause }),
  });
}

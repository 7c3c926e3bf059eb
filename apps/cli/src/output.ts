import type { Writable } from 'node:stream';

/** Where a command writes: injectable so tests run commands in-process. */
export interface Io {
  readonly stdout: Writable & { isTTY?: boolean };
  readonly stderr: Writable & { isTTY?: boolean };
}

export const processIo: Io = { stdout: process.stdout, stderr: process.stderr };

/**
 * Writes a command's result: the JSON value when `--json` was given, the human text otherwise.
 * Progress and diagnostics go to stderr so `--json` output stays parseable.
 */
export class Output {
  constructor(
    readonly io: Io,
    readonly json: boolean,
  ) {}

  result(value: unknown, human: () => string): void {
    if (this.json) this.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    else this.io.stdout.write(`${human()}\n`);
  }

  info(line: string): void {
    this.io.stderr.write(`${line}\n`);
  }
}

import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import type { CommandModule } from './common.js';
import { EXIT_CODES, ExitStatus, exitCodesHelp, exitNameForError } from './exit-codes.js';
import { type Io, processIo } from './output.js';

type Loader = () => Promise<CommandModule>;
const run: Loader = () => import('./run.js').then((m) => m.runCommands);
// The AWS group adds --aws to the execution commands, so the two load together.
const executions: Loader = () =>
  Promise.all([import('./executions.js'), import('./aws.js')]).then(
    ([local, aws]) =>
      (program, io, status) => {
        local.executionCommands(program, io);
        aws.awsCommands(program, io, status);
      },
  );
const train: Loader = () => import('./train.js').then((m) => m.trainCommands);
const init: Loader = () => import('./init.js').then((m) => m.initCommands);
const serve: Loader = () => import('./serve.js').then((m) => m.serveCommands);
const models: Loader = () => import('./models.js').then((m) => m.modelsCommands);
const verify: Loader = () => import('./verify.js').then((m) => m.verifyCommands);
const consoleGroup: Loader = () => import('./console.js').then((m) => m.consoleCommands);

/**
 * Each command's group, loaded only when that command runs: a group pulls in onnxruntime, the AWS SDK
 * or the interpreter, and `slipway serve` should not pay for the others at start-up.
 */
const GROUPS: Readonly<Record<string, Loader>> = {
  run,
  resume: run,
  executions,
  approve: executions,
  reject: executions,
  start: executions,
  logs: executions,
  init,
  train,
  predict: train,
  serve,
  models,
  verify,
  console: consoleGroup,
};

/** `slipway --version` (or -V) needs no command group: scripts call it and should not wait for one. */
const VERSION_FLAGS: readonly string[] = ['-V', '--version'];

/** This package's version, read when asked (a bundle of the CLI has no package.json beside it). */
function cliVersion(): string {
  return (createRequire(import.meta.url)('../package.json') as { version: string }).version;
}

/** Builds the `slipway` program: with the named command's group only, or every group (for help). */
export async function buildProgram(
  io: Io = processIo,
  command?: string,
  status: ExitStatus = new ExitStatus(),
): Promise<Command> {
  const program = new Command('slipway')
    .description('Train, evaluate, approve and promote text classifiers with one state machine.')
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', `\n${exitCodesHelp()}`)
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .exitOverride();
  if (command !== undefined && VERSION_FLAGS.includes(command)) {
    return program.version(cliVersion(), VERSION_FLAGS.join(', '));
  }
  const only = command === undefined ? undefined : GROUPS[command];
  const loaders = only ? [only] : [...new Set(Object.values(GROUPS))];
  for (const register of await Promise.all(loaders.map((load) => load()))) register(program, io, status);
  for (const sub of program.commands) sub.exitOverride().addHelpText('after', `\n${exitCodesHelp()}`);
  return program;
}

/**
 * Runs the CLI and returns its exit code, from the one table in exit-codes.ts (`slipway --help` prints
 * it). Errors from slipway's parts carry a stable `code` and a message written for the user; anything
 * else is a bug and prints its stack.
 */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const status = new ExitStatus();
  return runProgram(await buildProgram(io, argv[2], status), argv, io, status);
}

/** Parses `argv` with `program` and maps what happens to an exit code. */
export async function runProgram(
  program: Command,
  argv: readonly string[],
  io: Io,
  status: ExitStatus,
): Promise<number> {
  try {
    await program.parseAsync([...argv]);
    return status.code;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT_CODES.succeeded : EXIT_CODES.usage;
    }
    const exit = exitNameForError(error);
    const err = error instanceof Error ? error : new Error(String(error));
    io.stderr.write(
      exit === 'internal' ? `internal error: ${err.stack ?? err.message}\n` : `error: ${err.message}\n`,
    );
    return EXIT_CODES[exit];
  }
}

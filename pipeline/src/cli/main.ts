import { Command, CommanderError } from 'commander';
import { consoleCommands } from './console.js';
import { executionCommands } from './executions.js';
import { modelsCommands } from './models.js';
import { type Io, processIo } from './output.js';
import { runCommands } from './run.js';
import { serveCommands } from './serve.js';
import { trainCommands } from './train.js';

/** A command group: adds its subcommands to the program. */
export type CommandModule = (program: Command, io: Io) => void;

const modules: CommandModule[] = [
  runCommands,
  executionCommands,
  trainCommands,
  serveCommands,
  modelsCommands,
  consoleCommands,
];

/** Builds the `slipway` program with every command group registered. */
export function buildProgram(io: Io = processIo): Command {
  const program = new Command('slipway')
    .description('Train, evaluate, approve and promote text classifiers with one state machine.')
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .exitOverride();
  for (const register of modules) register(program, io);
  for (const command of program.commands) command.exitOverride();
  return program;
}

/**
 * Runs the CLI and returns the exit code: 0 success, 1 a failure explained on stderr, 2 a usage error.
 * Errors from slipway's parts carry messages written for the user; anything else is a bug and prints its stack.
 */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : 2;
    }
    const err = error instanceof Error ? error : new Error(String(error));
    const known = err.name !== 'Error' && err.name.endsWith('Error');
    io.stderr.write(known ? `error: ${err.message}\n` : `unexpected error: ${err.stack ?? err.message}\n`);
    return 1;
  }
}

import { Command, CommanderError } from 'commander';
import { type Io, processIo } from './output.js';

/** A command group: adds its subcommands to the program. */
export type CommandModule = (program: Command, io: Io) => void;

type Loader = () => Promise<CommandModule>;
const run: Loader = () => import('./run.js').then((m) => m.runCommands);
// The AWS group adds --aws to the execution commands, so the two load together.
const executions: Loader = () =>
  Promise.all([import('./executions.js'), import('./aws.js')]).then(([local, aws]) => (program, io) => {
    local.executionCommands(program, io);
    aws.awsCommands(program, io);
  });
const train: Loader = () => import('./train.js').then((m) => m.trainCommands);
const serve: Loader = () => import('./serve.js').then((m) => m.serveCommands);
const models: Loader = () => import('./models.js').then((m) => m.modelsCommands);
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
  train,
  predict: train,
  serve,
  models,
  console: consoleGroup,
};

/** Builds the `slipway` program: with the named command's group only, or every group (for help). */
export async function buildProgram(io: Io = processIo, command?: string): Promise<Command> {
  const program = new Command('slipway')
    .description('Train, evaluate, approve and promote text classifiers with one state machine.')
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .exitOverride();
  const only = command === undefined ? undefined : GROUPS[command];
  const loaders = only ? [only] : [...new Set(Object.values(GROUPS))];
  for (const register of await Promise.all(loaders.map((load) => load()))) register(program, io);
  for (const sub of program.commands) sub.exitOverride();
  return program;
}

/**
 * Runs the CLI and returns the exit code: 0 success, 1 a failure explained on stderr, 2 a usage error.
 * Errors from slipway's parts carry messages written for the user; anything else is a bug and prints its stack.
 */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const program = await buildProgram(io, argv[2]);
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

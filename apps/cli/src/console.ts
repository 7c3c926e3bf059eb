import type { ConsoleFlags } from '@slipway/console';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { storeOption } from './common.js';
import type { Io } from './output.js';

const port = (value: string) => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new InvalidArgumentError('expected a port from 0 to 65535');
  return n;
};

/** `slipway console`: the web console, loaded only when asked for. */
export function consoleCommands(program: Command, io: Io): void {
  program
    .command('console')
    .description(
      'Open the web console: executions live, evaluation reports, approve or reject, models, aliases and rollback',
    )
    .addOption(storeOption())
    .option('--host <host>', 'interface the console binds (keep it on loopback)', '127.0.0.1')
    .option(
      '--allow-remote',
      'let --host be beyond loopback (0.0.0.0, a LAN address): anyone who reaches the console can approve',
    )
    .option('--port <port>', 'port of the console (0 picks a free one)', port, 8787)
    .option(
      '--endpoint-port <port>',
      "port of the first promoted model's inference endpoint (each further model gets a free port)",
      port,
      8080,
    )
    .option('--aws', "list and approve the deployed state machine's executions instead of local ones")
    .addOption(
      new Option('--state-machine-arn <arn>', 'the deployed state machine (with --aws)').env(
        'SLIPWAY_STATE_MACHINE_ARN',
      ),
    )
    .option('--json', 'print {"url", "store"} as JSON once listening')
    .action(async (flags: ConsoleFlags) => {
      const { runConsoleCommand } = await import('@slipway/console');
      await runConsoleCommand(flags, io);
    });
}

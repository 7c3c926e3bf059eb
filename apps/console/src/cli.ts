import { userInfo } from 'node:os';
import type { Writable } from 'node:stream';
import { openStore } from '@slipway/model-store';
import { createStepFunctionsClient } from '@slipway/runner-aws';
import { LocalPipeline, readDefinitionText } from '@slipway/runner-local';
import { AwsExecutionSource } from './aws-source.js';
import { ConsoleStartError } from './errors.js';
import { type ConsoleServer, startConsole } from './server.js';

/** The flags of `slipway console`. */
export interface ConsoleFlags {
  readonly store: string;
  readonly host: string;
  /** Lets the console listen beyond loopback (with a warning). */
  readonly allowRemote?: boolean;
  readonly port: number;
  /** Port of the first promoted model's endpoint; each further model gets a free port. */
  readonly endpointPort: number;
  readonly aws?: boolean;
  readonly stateMachineArn?: string;
  readonly json?: boolean;
}

/** Where the command writes (the CLI's Io). */
export interface ConsoleIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
}

/**
 * `slipway console`: serves the console until SIGINT/SIGTERM (or `signal`). Locally it runs its own
 * pipeline, so runs started from the page execute in this process; with `--aws` it lists and approves
 * the deployed state machine's executions.
 */
export async function runConsoleCommand(
  flags: ConsoleFlags,
  io: ConsoleIo,
  signal?: AbortSignal,
): Promise<void> {
  const actor = process.env.SLIPWAY_ACTOR || osUser();
  const store = await openStore(flags.store);
  let pipeline: LocalPipeline | undefined;
  let server: ConsoleServer | undefined;
  const listenOn = { host: flags.host, port: flags.port, allowRemote: Boolean(flags.allowRemote) };
  try {
    if (flags.aws) {
      const arn = flags.stateMachineArn;
      if (!arn) {
        throw new ConsoleStartError(
          '--aws needs the state machine: pass --state-machine-arn <arn> or set SLIPWAY_STATE_MACHINE_ARN (the stack output StateMachineArn)',
        );
      }
      const region = arn.split(':')[3];
      const definition = JSON.parse(readDefinitionText()) as { States: Record<string, { Type: string }> };
      const source = new AwsExecutionSource({
        client: await createStepFunctionsClient(region || undefined),
        stateMachineArn: arn,
        store,
        states: definition.States,
      });
      server = await startConsole({ store, source, ...listenOn, actor });
    } else {
      let console: ConsoleServer | undefined;
      pipeline = new LocalPipeline({
        store,
        host: flags.host,
        port: flags.endpointPort,
        notify: () => {},
        consoleUrl: (id) => console?.executionUrl(id) ?? '',
      });
      console = await startConsole({ store, pipeline, ...listenOn, actor });
      server = console;
    }
    if (server.remote) {
      io.stderr.write(
        `warning   the console listens on ${flags.host}, beyond loopback: anyone who can reach ${server.url} ` +
          'can approve, reject and roll back models\n',
      );
    }
    if (flags.json) io.stdout.write(`${JSON.stringify({ url: server.url, store: store.uri })}\n`);
    else io.stdout.write(`console   ${server.url}\n`);
    io.stderr.write(`store     ${store.uri}${flags.aws ? `\nexecutions of ${flags.stateMachineArn}` : ''}\n`);
    io.stderr.write('Ctrl-C stops the console\n');
    await stopped(signal);
  } finally {
    await server?.close();
    await pipeline?.close();
    await store.close();
  }
}

function stopped(signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      signal?.removeEventListener('abort', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    if (signal?.aborted) stop();
    signal?.addEventListener('abort', stop);
  });
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

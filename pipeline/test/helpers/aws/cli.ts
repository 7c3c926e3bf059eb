// Runs the slipway program in-process with the AWS commands on fake clients, the way `main` runs it:
// exit code 0, 1 for a failure explained on stderr, 2 for a usage error.
import { PassThrough } from 'node:stream';
import { Command, CommanderError } from 'commander';
import type { FakeAws } from '../../../../test-helpers/aws-fake-client.js';
import type { AwsClients } from '../../../src/aws/clients.js';
import { type AwsCommandDeps, createAwsCommands } from '../../../src/cli/aws.js';
import { executionCommands } from '../../../src/cli/executions.js';

/** Fake clients for every service the commands use, and how many times they were asked for. */
export function fakeClients(fakes: { cloudformation: FakeAws; sfn: FakeAws; logs: FakeAws }) {
  const regions: (string | undefined)[] = [];
  const clients = async (region: string | undefined): Promise<AwsClients> => {
    regions.push(region);
    return {
      cloudformation: fakes.cloudformation.client(),
      sfn: fakes.sfn.client(),
      logs: fakes.logs.client(),
    };
  };
  return { clients, regions };
}

/** `slipway <args>` with the AWS group on `deps`. */
export async function slipwayAws(
  deps: AwsCommandDeps,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const io = { stdout, stderr };
  const program = new Command('slipway')
    .exitOverride()
    .configureOutput({ writeOut: (s) => stdout.write(s), writeErr: (s) => stderr.write(s) });
  executionCommands(program, io);
  createAwsCommands(deps)(program, io);
  for (const command of program.commands) command.exitOverride();
  let code = 0;
  try {
    await program.parseAsync(['node', 'slipway', ...args]);
  } catch (error) {
    if (error instanceof CommanderError) code = error.exitCode === 0 ? 0 : 2;
    else {
      stderr.write(`error: ${(error as Error).message}\n`);
      code = 1;
    }
  }
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

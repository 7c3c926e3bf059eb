// Runs the slipway program in-process with the AWS commands on fake clients, the way `main` runs it.
import { PassThrough } from 'node:stream';
import type { AwsClients } from '@slipway/runner-aws';
import { Command } from 'commander';
import { FakeAws } from '../../../../test-helpers/aws-fake-client.js';
import { type AwsCommandDeps, createAwsCommands } from '../../src/aws.js';
import type { CommandModule } from '../../src/common.js';
import { executionCommands } from '../../src/executions.js';
import { ExitStatus } from '../../src/exit-codes.js';
import { runProgram } from '../../src/main.js';

/** Fake clients for every service the commands use, and how many times they were asked for. */
export function fakeClients(fakes: { cloudformation: FakeAws; sfn: FakeAws; logs: FakeAws; ecr?: FakeAws }) {
  const ecr = fakes.ecr ?? new FakeAws();
  const regions: (string | undefined)[] = [];
  const clients = async (region: string | undefined): Promise<AwsClients> => {
    regions.push(region);
    return {
      cloudformation: fakes.cloudformation.client(),
      sfn: fakes.sfn.client(),
      logs: fakes.logs.client(),
      ecr: ecr.client(),
    };
  };
  return { clients, regions };
}

/**
 * `slipway <args>` in-process with the command groups `install` adds, the way `main` runs it, on
 * captured output streams.
 */
export async function slipwayWith(
  install: CommandModule,
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
  const status = new ExitStatus();
  install(program, io, status);
  for (const command of program.commands) command.exitOverride();
  const code = await runProgram(program, ['node', 'slipway', ...args], io, status);
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

/** `slipway <args>` with the AWS group on `deps`. */
export function slipwayAws(
  deps: AwsCommandDeps,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  return slipwayWith(
    (program, io, status) => {
      executionCommands(program, io);
      createAwsCommands(deps)(program, io, status);
    },
    ...args,
  );
}

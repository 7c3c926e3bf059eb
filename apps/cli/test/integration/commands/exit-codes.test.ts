import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../../src/exit-codes.js';
import { runCli, SLIPWAY_BIN, spawnCli, stopCliProcesses } from '../../helpers/cli.js';

// Every exit code of the table, through the built CLI as a script or CI job runs it.
let dir: string;
let store: string;
const local = ['--exit', '--no-console', '--port', '0'];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-exit-codes-'));
  store = `file://${join(dir, 'store')}`;
});
afterEach(stopCliProcesses);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('slipway exit codes', () => {
  it('succeeded: a run that reaches Done exits 0 and --help prints the table', async () => {
    const run = await runCli(['run', '--auto-approve', ...local, '--store', store]);
    expect(run.stdout).toMatch(/execution \S+ succeeded/);
    // --exit serves nothing once it returns, so it prints no endpoint and no curl line.
    expect(run.stderr).not.toMatch(/serving|curl/);
    expect(run.stderr).toContain(`serve it  slipway serve --store ${store}`);
    expect(run.code).toBe(EXIT_CODES.succeeded);
    const help = await runCli(['--help']);
    expect(help.code).toBe(EXIT_CODES.succeeded);
    expect(help.stdout).toMatch(/Exit codes:\n +0 {2}succeeded/);
    expect(help.stdout).toMatch(/^ +4 {2}the candidate did not pass the gate/m);
    expect((await runCli(['run', '--help'])).stdout).toMatch(/^ +130 {2}interrupted/m);
    // Defaults read as people write them, not as milliseconds.
    expect((await runCli(['models', 'gc', '--help'])).stdout).toMatch(
      /--grace <duration> .*\(default: 24h\)/s,
    );
  }, 180_000);

  it('gateFailed: a candidate below --min-accuracy ends in EvaluationFailedGate and exits 4', async () => {
    const run = await runCli([
      'run',
      '--min-accuracy',
      '0.999',
      '--auto-approve',
      ...local,
      '--store',
      store,
      '--json',
    ]);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'FAILED', finalState: 'EvaluationFailedGate' });
    expect(run.code).toBe(EXIT_CODES.gateFailed);
  }, 180_000);

  it('rejected: nobody decides before --approval-timeout, so the candidate is rejected: exit 5', async () => {
    const run = await runCli(['run', '--approval-timeout', '1', ...local, '--store', store]);
    expect(run.stdout).toMatch(/ended in Rejected/);
    expect(run.code).toBe(EXIT_CODES.rejected);
  }, 180_000);

  it('interrupted, then resumed after a rejection from another terminal: 130, 0, 5; deciding again conflicts: 7', async () => {
    const waiting = spawnCli(['run', ...local, '--store', store]);
    const [, id] = await waiting.waitFor(/slipway approve (\S+) /);
    waiting.child.kill('SIGINT');
    expect(await waiting.exit).toBe(EXIT_CODES.interrupted);

    const rejected = await runCli(['reject', id as string, '--reason', 'not this week', '--store', store]);
    expect(rejected.code).toBe(EXIT_CODES.succeeded);
    const resumed = await runCli(['resume', id as string, ...local, '--store', store]);
    expect(resumed.stdout).toMatch(/ended in Rejected/);
    expect(resumed.code).toBe(EXIT_CODES.rejected);

    const again = await runCli(['approve', id as string, '--store', store]);
    expect(again.stderr).toMatch(/^error: /m);
    expect(again.code).toBe(EXIT_CODES.conflict);
  }, 240_000);

  it('executionFailed: production moved while the candidate waited, so the promotion is refused: exit 3', async () => {
    const first = spawnCli(['run', ...local, '--store', store]);
    const [, id] = await first.waitFor(/slipway approve (\S+) /);
    const second = await runCli(['run', '--auto-approve', ...local, '--store', store]);
    expect(second.code).toBe(EXIT_CODES.succeeded);
    expect((await runCli(['approve', id as string, '--store', store])).code).toBe(EXIT_CODES.succeeded);
    expect(await first.exit).toBe(EXIT_CODES.executionFailed);
    expect(first.stdout()).toMatch(/ended in PromotionRefused/);
  }, 240_000);

  it('notFound: a model or execution that does not exist exits 6', async () => {
    const model = await runCli(['models', 'show', 'no-such-model', '--store', store]);
    expect(model.stderr).toMatch(/^error: /m);
    expect(model.code).toBe(EXIT_CODES.notFound);
    expect((await runCli(['executions', 'show', 'no-such-run', '--store', store])).code).toBe(
      EXIT_CODES.notFound,
    );
  }, 60_000);

  it('conflict: a compare-and-swap alias move that lost exits 7', async () => {
    const moved = await runCli([
      'models',
      'set-alias',
      'sentiment',
      'staging',
      '1',
      '--expected',
      '9',
      '--store',
      store,
    ]);
    expect(moved.code).toBe(EXIT_CODES.conflict);
  }, 60_000);

  it('failed: bad input explained on stderr exits 1', async () => {
    const missing = await runCli(['run', '--data', join(dir, 'missing.jsonl'), ...local, '--store', store]);
    expect(missing.stderr).toMatch(/^error: .*missing\.jsonl/m);
    expect(missing.code).toBe(EXIT_CODES.failed);
  }, 60_000);

  it('usage: an unknown option or a missing argument exits 2', async () => {
    expect((await runCli(['run', '--no-such-flag'])).code).toBe(EXIT_CODES.usage);
    expect((await runCli(['approve'])).code).toBe(EXIT_CODES.usage);
    const serve = await runCli(['serve', '--model', dir, '--store', store]);
    expect(serve.stderr).toMatch(/give either --model/);
    expect(serve.code).toBe(EXIT_CODES.usage);
  }, 60_000);

  it('internal: an unexpected exception prints its stack and exits 70 (the store holds models by now)', async () => {
    // A bug stands in for one: padding a table cell throws a TypeError nobody expects.
    const bug = "String.prototype.padEnd = () => { throw new TypeError('injected bug'); };";
    const listed = await runCli(['models', 'list', '--store', store], {
      nodeOptions: ['--import', `data:text/javascript,${encodeURIComponent(bug)}`],
    });
    expect(listed.stderr).toMatch(/^internal error: TypeError: injected bug\n {4}at /m);
    expect(listed.code).toBe(EXIT_CODES.internal);
  }, 60_000);

  it('brokenPipe: a reader that goes away (| head) stops the command quietly with 141, no stack', async () => {
    // The read end of stdout is closed before the child has even loaded node, so its first write fails
    // with EPIPE every time, as `slipway train --help | head -0` can.
    const child = spawn(process.execPath, [SLIPWAY_BIN, 'train', '--help'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((done) => child.once('close', (c) => done(c)));
    expect(stderr).toBe('');
    expect(code).toBe(EXIT_CODES.brokenPipe);
  }, 60_000);
});

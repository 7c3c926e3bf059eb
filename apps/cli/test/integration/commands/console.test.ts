import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';

const CLI = fileURLToPath(new URL('../../helpers/slipway-source.ts', import.meta.url));
let dir: string;
const children: ChildProcess[] = [];

/** Starts `slipway <args>` as its own process, on the sources. */
function slipway(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', CLI, ...args], {
    env: { ...process.env, SLIPWAY_ACTOR: 'cli-user', SLIPWAY_STATE_MACHINE_ARN: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exit, out: () => stdout, err: () => stderr };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-console-cli-'));
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

test('slipway console: serves on the port it reports, with the store and actor given, until Ctrl-C', async () => {
  const store = `file://${dir}/store`;
  const run = slipway(['console', '--store', store, '--port', '0', '--endpoint-port', '0', '--json']);
  const deadline = Date.now() + 30_000;
  while (!run.out().includes('\n')) {
    if (Date.now() > deadline || run.child.exitCode !== null) throw new Error(`no URL printed: ${run.err()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const printed = JSON.parse(run.out()) as { url: string; store: string };
  expect(printed.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(printed.store).toBe(store);
  const info = await (await fetch(`${printed.url}/api/info`)).json();
  expect(info).toEqual({
    source: 'local',
    store,
    actor: 'cli-user',
    canStart: true,
    datasets: ['builtin:sentiment', 'builtin:spam'],
    maxUploadBytes: 48 * 1024 * 1024,
  });
  run.child.kill('SIGINT');
  expect(await run.exit).toBe(0);
  await expect(fetch(`${printed.url}/api/info`)).rejects.toThrow();
}, 40_000);

test('slipway console --aws without a state machine says how to name one', async () => {
  const run = slipway(['console', '--store', `file://${dir}/store`, '--port', '0', '--aws']);
  expect(await run.exit).toBe(1);
  expect(run.err()).toContain(
    '--aws needs the state machine: pass --state-machine-arn <arn> or set SLIPWAY_STATE_MACHINE_ARN',
  );
}, 30_000);

test('slipway console --host 0.0.0.0 without --allow-remote refuses to start and says why', async () => {
  const run = slipway(['console', '--store', `file://${dir}/store`, '--host', '0.0.0.0', '--port', '0']);
  expect(await run.exit).toBe(1);
  expect(run.err()).toContain('the console would listen on 0.0.0.0 (0.0.0.0), beyond loopback');
  expect(run.err()).toContain('pass --allow-remote to `slipway console`');
  expect(run.out()).toBe('');
}, 30_000);

test('slipway console --help lists its options', async () => {
  const run = slipway(['console', '--help']);
  expect(await run.exit).toBe(0);
  for (const option of [
    '--store <uri>',
    '--host <host>',
    '--allow-remote',
    '--port <port>',
    '--endpoint-port <port>',
    '--aws',
    '--state-machine-arn <arn>',
    '--json',
  ])
    expect(run.out()).toContain(option);
}, 30_000);

import { type ChildProcess, spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { main } from '@slipway/cli';

/** Runs `slipway <args>` in-process and captures what it writes. */
export async function slipway(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const code = await main(['node', 'slipway', ...args], { stdout, stderr });
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

/** The built CLI as users run it (`npm run build` first; `npm test` does). */
export const SLIPWAY_BIN = fileURLToPath(new URL('../../bin/slipway.js', import.meta.url));

/** A running `slipway` process: its output so far, its exit code, and a way to wait for a line. */
export interface CliProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (null when a signal ended it). */
  readonly exit: Promise<number | null>;
  /** Waits until stderr (or stdout) matches, and returns the match. */
  waitFor(
    pattern: RegExp,
    options?: { stream?: 'stdout' | 'stderr'; timeoutMs?: number },
  ): Promise<RegExpExecArray>;
}

const running = new Set<ChildProcess>();

/** Runs `node apps/cli/bin/slipway.js <args>` as a child process, stdin a pipe (not a terminal). */
export function spawnCli(
  args: readonly string[],
  options: { env?: Record<string, string>; nodeOptions?: readonly string[]; cwd?: string } = {},
): CliProcess {
  const child = spawn(process.execPath, [...(options.nodeOptions ?? []), SLIPWAY_BIN, ...args], {
    cwd: options.cwd ?? process.cwd(),
    env: { ...process.env, NO_COLOR: '1', AWS_EMF_ENVIRONMENT: 'Local', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const exit = new Promise<number | null>((done) =>
    child.once('close', (code) => {
      running.delete(child);
      done(code);
    }),
  );
  const waitFor: CliProcess['waitFor'] = async (pattern, { stream = 'stderr', timeoutMs = 120_000 } = {}) => {
    const deadline = Date.now() + timeoutMs;
    let ended = false;
    void exit.then(() => {
      ended = true;
    });
    for (;;) {
      const match = pattern.exec(stream === 'stderr' ? stderr : stdout);
      if (match) return match;
      if (ended || Date.now() > deadline) {
        throw new Error(
          `slipway ${args.join(' ')} ${ended ? 'exited' : 'timed out'} before ${stream} matched ${pattern}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { child, stdout: () => stdout, stderr: () => stderr, exit, waitFor };
}

/** Runs the built CLI to the end: exit code and output. */
export async function runCli(
  args: readonly string[],
  options: Parameters<typeof spawnCli>[1] & { input?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cli = spawnCli(args, options);
  cli.child.stdin?.end(options.input ?? '');
  const code = await cli.exit;
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}

/** Kills the CLI processes a test left running (call from afterEach/afterAll). */
export async function stopCliProcesses(): Promise<void> {
  const left = [...running].filter((child) => child.exitCode === null && child.signalCode === null);
  await Promise.all(
    left.map(
      (child) =>
        new Promise<void>((done) => {
          child.once('close', () => done());
          child.kill('SIGKILL');
        }),
    ),
  );
}

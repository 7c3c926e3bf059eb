import { type ChildProcess, spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { FAILPOINT_REACHED } from '@slipway/runner-local';

const CLI = new URL('../../bin/slipway.js', import.meta.url).pathname;

/** The flags that keep a crash trial cheap: no console, an ephemeral port, no prompt, no serving. */
export const QUIET = ['--auto-approve', '--exit', '--no-console', '--port', '0'];

/** A `slipway` process and what it printed. */
export interface SlipwayProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly lines: string[];
  /** The execution id, once printed. */
  id(): string | undefined;
  /**
   * Resolves with the failpoint it stopped at, once the process is really stopped (so a SIGCONT sent
   * after this continues it), or null when it exited without reaching one.
   */
  readonly stopped: Promise<string | null>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const live = new Set<ChildProcess>();

/** Waits until the process is in the stopped state (`T` in /proc/<pid>/stat) or has exited. */
async function untilStopped(pid: number, exited: Promise<unknown>): Promise<void> {
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  while (!gone) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
    if (stat === undefined || stat[stat.lastIndexOf(')') + 2] === 'T') return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Starts `slipway <args>` as its own process, optionally stopping at a failpoint (SLIPWAY_FAILPOINT). */
export function startSlipway(
  args: readonly string[],
  options: { failpoint?: string | undefined; env?: Record<string, string> } = {},
): SlipwayProcess {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SLIPWAY_ACTOR: 'crash-test',
    AWS_EMF_ENVIRONMENT: 'Local',
    AWS_REGION: 'us-east-1',
    ...options.env,
  };
  if (options.failpoint) env.SLIPWAY_FAILPOINT = options.failpoint;
  else delete env.SLIPWAY_FAILPOINT;
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  live.add(child);
  const lines: string[] = [];
  let id: string | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    }),
  );
  const stopped = new Promise<string | null>((resolve) => {
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream as NodeJS.ReadableStream }).on('line', (line) => {
        lines.push(line);
        id ??= /^(?:execution|resuming)\s+(\S+)\s/.exec(line)?.[1];
        if (line.startsWith(FAILPOINT_REACHED)) {
          const spec = line.slice(FAILPOINT_REACHED.length).trim().split(' ')[0] as string;
          // The line is written just before the process stops itself; under load it may not have
          // stopped yet, and a SIGCONT sent in between would be lost, leaving it stopped for good.
          void untilStopped(child.pid as number, exited).then(() => resolve(spec));
        }
      });
    }
    void exited.then(() => resolve(null));
  });
  return { child, pid: child.pid as number, lines, id: () => id, stopped, exited };
}

/** SIGKILLs a process and waits until it is gone. */
export async function killHard(proc: SlipwayProcess): Promise<void> {
  proc.child.kill('SIGKILL');
  await proc.exited;
}

/** Kills every `slipway` process a test started and has not seen exit (for afterAll/afterEach). */
export async function killAllStarted(): Promise<void> {
  await Promise.all(
    [...live].map(
      (child) =>
        new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}

/** Runs `slipway <args>` to the end. */
export async function runSlipway(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; output: string; id: string | undefined }> {
  const proc = startSlipway(args, { env });
  const { code } = await proc.exited;
  return { code, output: proc.lines.join('\n'), id: proc.id() };
}

/**
 * Processes (from the process table, /proc) whose environment names this execution: its training jobs
 * get SLIPWAY_EXECUTION_ID, so anything left of them shows up here.
 */
export async function processesOfExecution(id: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const environ = await readFile(`/proc/${entry}/environ`).catch(() => undefined);
    if (environ?.toString('latin1').split('\0').includes(`SLIPWAY_EXECUTION_ID=${id}`))
      found.push(Number(entry));
  }
  return found;
}

/** Waits until `check` holds, polling; fails with `what` after `timeoutMs`. */
export async function eventually(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { EXIT_WITH_PARENT_IMPORT, type ProcessRef, processStartTime, stopProcessGroup } from './processes.js';

/** One training program run in a laid-out root (see {@link layOutTrainingRoot}). */
export interface ProgramRun {
  /** The program and its arguments, run as they are: no shell, so no quoting, globbing or `$VAR`. */
  readonly command: readonly string[];
  /** Its working directory (default: this process's). A relative program path is resolved from here. */
  readonly cwd?: string;
  /** The training root (`/opt/ml` in a container), already laid out. */
  readonly root: string;
  /** Set on top of this process's environment: the `SM_*` variables, lineage, … */
  readonly environment?: Readonly<Record<string, string>>;
  /** Each line the program writes, as it writes it. */
  readonly log: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Aborting stops the program and everything it started (SIGTERM, then SIGKILL after 5 s). */
  readonly signal?: AbortSignal;
  /** The program's process group started (awaited before the program is waited for). */
  readonly onStart?: (group: ProcessRef) => void | Promise<void>;
}

/** How a training program ended: `reason` is SageMaker's FailureReason for it. */
export type ProgramOutcome =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly reason: string;
      readonly exitCode: number | null;
      readonly aborted: boolean;
    };

/** How many of the last stderr lines stand in for a failure file the program did not write. */
const STDERR_TAIL = 20;
/** SageMaker's FailureReason holds at most 1,024 characters (DescribeTrainingJob). */
const REASON_LIMIT = 1024;

/**
 * Starts the program through a small Node guard that leads a new process group: the guard runs with
 * {@link EXIT_WITH_PARENT_IMPORT}, so when this process dies (even by SIGKILL) the whole group dies with
 * it, whatever language the program is written in; and it passes the program's exit status on. It
 * ignores SIGTERM itself, since the program (in the same group) gets it too and decides how to end.
 */
const GUARD = `
const { spawn } = require('node:child_process');
const { constants } = require('node:os');
const [program, ...args] = process.argv.slice(1);
for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(s, () => {});
const child = spawn(program, args, { stdio: 'inherit' });
child.on('error', (error) => {
  const why = error.code === 'ENOENT' ? 'no such file, or not on PATH' : error.code === 'EACCES' ? 'permission denied (is it executable?)' : error.message;
  process.stderr.write('cannot start ' + JSON.stringify(program) + ' in ' + process.cwd() + ': ' + why + '\\n');
  process.exit(127);
});
child.on('exit', (code, signal) => {
  if (signal) process.stderr.write('the training program was killed by ' + signal + '\\n');
  process.exit(code ?? 128 + (constants.signals[signal] ?? 0));
});
`;

/**
 * Runs a training program under SageMaker's training contract in `run.root` and reports how it ended:
 * exit status 0 is success; otherwise the reason is what the program wrote to `output/failure`, or,
 * when it wrote none, the last lines of its stderr. stdout and stderr reach `run.log` line by line while
 * it runs. The program leads its own process group (see {@link GUARD}), stopped as one on abort.
 *
 * @example const outcome = await runTrainingProgram({ command: ['python3', 'train.py'], root, log });
 */
export async function runTrainingProgram(run: ProgramRun): Promise<ProgramOutcome> {
  const [program, ...args] = run.command;
  if (program === undefined || program === '') throw new TypeError('the training command is empty');
  const child = spawn(
    process.execPath,
    ['--import', EXIT_WITH_PARENT_IMPORT, '-e', GUARD, '--', program, ...args],
    {
      cwd: run.cwd,
      env: {
        ...process.env,
        // Python buffers stdout into a pipe; unbuffered, its lines arrive as it prints them.
        PYTHONUNBUFFERED: process.env.PYTHONUNBUFFERED ?? '1',
        ...run.environment,
        SLIPWAY_PARENT_PID: String(process.pid),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  const closed = new Promise<{ code: number | null; signal: string | null }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  const tail: string[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => run.log(line, 'stdout'));
  createInterface({ input: child.stderr }).on('line', (line) => {
    tail.push(line);
    if (tail.length > STDERR_TAIL) tail.shift();
    run.log(line, 'stderr');
  });
  const group: ProcessRef | undefined =
    child.pid === undefined
      ? undefined
      : { pid: child.pid, pgid: child.pid, startTime: processStartTime(child.pid) ?? null };
  const stop = () => {
    if (group) void stopProcessGroup(group);
  };
  if (run.signal?.aborted) stop();
  run.signal?.addEventListener('abort', stop, { once: true });
  let ended: { code: number | null; signal: string | null };
  try {
    if (group) await run.onStart?.(group);
    ended = await closed;
  } finally {
    run.signal?.removeEventListener('abort', stop);
  }
  if (ended.code === 0) return { ok: true };
  const aborted = run.signal?.aborted ?? false;
  const written = await readFile(join(run.root, 'output/failure'), 'utf8').then(
    (text) => text.trim(),
    () => '',
  );
  const status = ended.code === null ? `was killed by ${ended.signal}` : `exited with ${ended.code}`;
  let reason: string;
  if (aborted) reason = `the training program was stopped (it ${status})`;
  else if (written) reason = written;
  else {
    const head = `the training program ${status} without writing output/failure`;
    let last = tail.join('\n').trim();
    const room = REASON_LIMIT - head.length - 30;
    if (last.length > room) last = `…${last.slice(last.length - room + 1)}`;
    reason = last ? `${head}; its stderr ended with:\n${last}` : `${head} and wrote nothing to stderr`;
  }
  return { ok: false, reason, exitCode: ended.code, aborted };
}

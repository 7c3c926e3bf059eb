import { readdirSync, readFileSync } from 'node:fs';

/** A process as an execution's record names it: the pid alone could be reused by another process. */
export interface ProcessRef {
  readonly pid: number;
  /** Its process group (a training job leads its own, so the whole group can be stopped). */
  readonly pgid: number;
  /** When the kernel started it (Linux: clock ticks since boot, from /proc); null where unknown. */
  readonly startTime: string | null;
}

/** The start time of a live process, or undefined when there is none (or it cannot be read here). */
export function processStartTime(pid: number): string | undefined {
  try {
    // Field 22 of /proc/<pid>/stat; the command name (field 2) may hold spaces, so count after its ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** This process, as a record names it. */
export function thisProcess(): ProcessRef {
  return { pid: process.pid, pgid: process.pid, startTime: processStartTime(process.pid) ?? null };
}

/** Whether a process runs with that pid (any owner); a zombie waiting to be reaped has ended. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return true; // no /proc here: the signal check has to do
  }
}

/** Whether the process a record names still runs: same pid and, where known, same start time. */
export function stillRunning(ref: { readonly pid: number; readonly startTime?: string | null }): boolean {
  if (!isAlive(ref.pid)) return false;
  if (!ref.startTime) return true;
  const now = processStartTime(ref.pid);
  // Unreadable here (another OS): the pid alone has to do.
  return now === undefined || now === ref.startTime;
}

/**
 * Whether any process of a group still runs. A zombie has ended; where /proc cannot be read, any member
 * the kernel still knows of counts as running.
 */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return true;
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // After the command name's ')': state, ppid, pgrp.
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z') return true;
    } catch {
      // Ended while we looked.
    }
  }
  return false;
}

/**
 * Stops the process group `ref` leads: SIGTERM, then SIGKILL after `graceMs` to whatever of the group
 * still runs; resolves once none of it runs. The leader may end first (a program that exits on SIGTERM)
 * while something it started ignores SIGTERM and holds its output open: that one is killed too. Does
 * nothing when the record's pid now names another process (the pid was reused) or the group is gone.
 */
export async function stopProcessGroup(ref: ProcessRef, graceMs = 5_000): Promise<boolean> {
  if ((isAlive(ref.pid) && !stillRunning(ref)) || !groupAlive(ref.pgid)) return false;
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-ref.pgid, name);
    } catch {
      // Already gone.
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  let killedAt: number | undefined;
  while (groupAlive(ref.pgid)) {
    if (Date.now() > deadline) {
      signal('SIGKILL');
      killedAt ??= Date.now();
      // SIGKILL cannot be ignored; a member still listed long after it is one no one reaps (an init
      // that does not wait for orphans), which no signal can remove.
      if (Date.now() - killedAt > graceMs) break;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

/**
 * A module for `node --import` that makes the process exit when its parent dies, even while its main
 * thread is busy in a long synchronous computation: a worker thread checks the parent pid every 200 ms
 * and, once the process has been re-parented (its parent was killed, even with SIGKILL), SIGKILLs the
 * process group it leads (a training job and every program it started), or only itself when it leads
 * none. The parent's pid comes from SLIPWAY_PARENT_PID.
 */
export const EXIT_WITH_PARENT_IMPORT = `data:text/javascript,${encodeURIComponent(`
import { Worker } from 'node:worker_threads';
const parent = Number(process.env.SLIPWAY_PARENT_PID);
if (parent > 0) {
  new Worker(
    "setInterval(() => { if (process.ppid !== " + parent + ") { try { process.kill(-process.pid, 'SIGKILL'); } catch {} process.kill(process.pid, 'SIGKILL'); } }, 200);",
    { eval: true },
  ).unref();
}
`)}`;

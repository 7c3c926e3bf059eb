import { rmSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlive, type ProcessRef } from '@slipway/training-job';

/**
 * Temporary folders and child processes that must not outlive this process. Each folder's name holds
 * the pid of the process that made it (`slipway-<kind>-<pid>-…`), so whatever a killed process left
 * behind can be told apart from what a live one uses, and swept later by `slipway resume` or `gc`.
 */
const folders = new Set<string>();
const groups = new Set<ProcessRef>();
let hooked = false;

/** On every exit that runs JavaScript (the end, process.exit, an uncaught error, a handled signal). */
function onExit(): void {
  for (const group of groups) {
    try {
      process.kill(-group.pgid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', onExit);
}

/** What a temporary folder is for: a training job, a run's endpoint cache, an evaluation's model files. */
export type ScratchKind = 'job' | 'run' | 'evaluate';

/** Makes a temporary folder removed when this process exits, if not removed before. */
export async function makeScratchDir(kind: ScratchKind, label = ''): Promise<string> {
  hook();
  const safe = label.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 40);
  const path = await mkdtemp(join(tmpdir(), `slipway-${kind}-${process.pid}-${safe}${safe ? '-' : ''}`));
  folders.add(path);
  return path;
}

/** The make/remove pair of one kind of scratch folder, for a step that takes its work folder as a dependency. */
export function scratchDirs(kind: ScratchKind): {
  make(): Promise<string>;
  remove(path: string): Promise<void>;
} {
  return { make: () => makeScratchDir(kind), remove: removeScratchDir };
}

/** Removes a folder made by {@link makeScratchDir}. */
export async function removeScratchDir(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true });
  folders.delete(path);
}

/** A child process group stopped (SIGKILL) when this process exits, until {@link releaseChild}. */
export function holdChild(group: ProcessRef): void {
  hook();
  groups.add(group);
}

export function releaseChild(group: ProcessRef): void {
  groups.delete(group);
}

const SCRATCH_NAME = /^slipway-(?:job|run|evaluate)-(\d+)-/;

/**
 * Removes temporary folders whose process is gone (killed before it could clean up); returns their
 * paths. A folder of a live process, or of a pid reused since, is left alone.
 */
export async function sweepScratchDirs(dryRun = false): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(tmpdir()).catch(() => [] as string[])) {
    const pid = Number(SCRATCH_NAME.exec(name)?.[1] ?? Number.NaN);
    if (!Number.isInteger(pid) || pid === process.pid || isAlive(pid)) continue;
    const path = join(tmpdir(), name);
    if (!dryRun) await rm(path, { recursive: true, force: true });
    removed.push(path);
  }
  return removed;
}

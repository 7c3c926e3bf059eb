import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { packArchive } from '@slipway/contracts/tar';
import type { ModelStore } from '@slipway/model-store';
import { EXIT_WITH_PARENT_IMPORT, type ProcessRef, processStartTime, stopProcessGroup } from './processes.js';
import { holdChild, makeScratchDir, releaseChild, removeScratchDir } from './scratch.js';

const require = createRequire(import.meta.url);

/** The training container's entrypoint: the same program the Docker image runs. */
export const TRAINING_ENTRYPOINT = join(
  dirname(require.resolve('@slipway/training-job/package.json')),
  'bin/train.js',
);

/** A training job run as a child process in SageMaker's folder layout. */
export interface LocalJob {
  readonly name: string;
  readonly hyperparameters: Readonly<Record<string, string>>;
  readonly environment: Readonly<Record<string, string>>;
  /** Channel name → store key prefix whose objects become the channel's files. */
  readonly channels: Readonly<Record<string, string>>;
  /** Store key the model.tar.gz is written to. */
  readonly outputKey: string;
}

export interface JobContext {
  readonly store: ModelStore;
  readonly signal: AbortSignal;
  /** One line of the job's log. */
  readonly log: (line: string) => void;
  /** The job's process started (awaited before the job is waited for, so it can be recorded first). */
  readonly onStart?: (process: ProcessRef) => void | Promise<void>;
}

/** The job ran and failed; `reason` is what it wrote to /opt/ml/output/failure (SageMaker's FailureReason). */
export class TrainingJobFailedError extends Error {
  override readonly name = 'TrainingJobFailedError';
  /** Stable across releases, for programs (contracts' error table). */
  readonly code = 'SLIPWAY_TRAINING_JOB';
  constructor(
    message: string,
    readonly reason: string,
  ) {
    super(message);
  }
}

/**
 * Runs the training entrypoint in a temporary /opt/ml: channels downloaded from the store, the log
 * streamed line by line, the model packed into model.tar.gz and uploaded where SageMaker would put it.
 */
export async function runLocalJob(
  job: LocalJob,
  ctx: JobContext,
): Promise<{ startedAt: Date; endedAt: Date }> {
  const root = await makeScratchDir('job', job.name);
  const startedAt = new Date();
  try {
    await mkdir(join(root, 'input/config'), { recursive: true });
    await writeFile(join(root, 'input/config/hyperparameters.json'), JSON.stringify(job.hyperparameters));
    for (const [channel, prefix] of Object.entries(job.channels)) {
      const dir = join(root, 'input/data', channel);
      await mkdir(dir, { recursive: true });
      for (const object of await ctx.store.backend.list(prefix)) {
        const found = await ctx.store.backend.get(object.key);
        if (found) await writeFile(join(dir, basename(object.key)), found.body);
      }
    }
    // The job leads its own process group, so stopping it stops everything it started; it watches its
    // parent and ends with it, even when the parent was killed with SIGKILL and could not stop it.
    const child = spawn(
      process.execPath,
      ['--import', EXIT_WITH_PARENT_IMPORT, TRAINING_ENTRYPOINT, 'train'],
      {
        env: {
          ...process.env,
          ...job.environment,
          SLIPWAY_ML_ROOT: root,
          SLIPWAY_PARENT_PID: String(process.pid),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      },
    );
    const closed = new Promise<number | string>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (exitCode, signal) => resolve(exitCode ?? signal ?? 'unknown'));
    });
    for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream }).on('line', ctx.log);
    const group: ProcessRef | undefined =
      child.pid === undefined
        ? undefined
        : { pid: child.pid, pgid: child.pid, startTime: processStartTime(child.pid) ?? null };
    const stop = () => {
      if (group) void stopProcessGroup(group);
    };
    if (group) holdChild(group);
    ctx.signal.addEventListener('abort', stop, { once: true });
    let code: number | string;
    try {
      if (group) await ctx.onStart?.(group);
      code = await closed;
    } finally {
      ctx.signal.removeEventListener('abort', stop);
      if (group) releaseChild(group);
    }
    if (code !== 0) {
      const reason = await readFile(join(root, 'output/failure'), 'utf8').catch(
        () => `the job exited with ${code}`,
      );
      throw new TrainingJobFailedError(`training job ${job.name} failed: ${reason.trim()}`, reason.trim());
    }
    const files: Record<string, Uint8Array> = {};
    for (const name of await readdir(join(root, 'model')))
      files[name] = await readFile(join(root, 'model', name));
    await ctx.store.backend.put(job.outputKey, packArchive(files));
    return { startedAt, endedAt: new Date() };
  } finally {
    await removeScratchDir(root);
  }
}

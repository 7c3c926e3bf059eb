import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative, sep } from 'node:path';
import { ENV } from '@slipway/contracts';
import { packArchive } from '@slipway/contracts/tar';
import type { ModelStore } from '@slipway/model-store';
import {
  type CommandTrainer,
  layOutTrainingRoot,
  ModelContractError,
  type ProcessRef,
  type ProgramOutcome,
  recordCommandModel,
  runTrainingProgram,
  sageMakerEnvironment,
} from '@slipway/training-job';
import { holdChild, makeScratchDir, releaseChild, removeScratchDir } from './scratch.js';

const require = createRequire(import.meta.url);

/** The training container's entrypoint: the same program the Docker image runs. */
const TRAINING_ENTRYPOINT = join(
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
  /** A team's own training program; without it the built-in trainer runs. */
  readonly trainer?: CommandTrainer;
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
 * Runs a training job in a temporary /opt/ml: channels downloaded from the store, the program (the
 * built-in trainer's entrypoint, or the job's command) run under SageMaker's training contract with its
 * log streamed line by line, and the model packed into model.tar.gz and uploaded where SageMaker would
 * put it. A command's model is checked against the model contract and given slipway's manifest first.
 */
export async function runLocalJob(
  job: LocalJob,
  ctx: JobContext,
): Promise<{ startedAt: Date; endedAt: Date }> {
  const root = await makeScratchDir('job', job.name);
  const startedAt = new Date();
  try {
    const channels: Record<string, Record<string, Uint8Array>> = {};
    for (const [channel, prefix] of Object.entries(job.channels)) {
      const files: Record<string, Uint8Array> = {};
      for (const object of await ctx.store.backend.list(prefix)) {
        const found = await ctx.store.backend.get(object.key);
        if (found) files[basename(object.key)] = found.body;
      }
      channels[channel] = files;
    }
    await layOutTrainingRoot(root, { hyperparameters: job.hyperparameters, channels });
    const command = job.trainer?.command ?? [process.execPath, TRAINING_ENTRYPOINT, 'train'];
    let group: ProcessRef | undefined;
    let outcome: ProgramOutcome;
    try {
      outcome = await runTrainingProgram({
        command,
        ...(job.trainer?.workdir ? { cwd: job.trainer.workdir } : {}),
        root,
        environment: {
          ...sageMakerEnvironment(root, job.hyperparameters, Object.keys(job.channels)),
          ...job.environment,
          SLIPWAY_ML_ROOT: root,
        },
        log: ctx.log,
        signal: ctx.signal,
        onStart: async (started) => {
          group = started;
          holdChild(started);
          await ctx.onStart?.(started);
        },
      });
    } finally {
      if (group) releaseChild(group);
    }
    if (!outcome.ok) {
      throw new TrainingJobFailedError(`training job ${job.name} failed: ${outcome.reason}`, outcome.reason);
    }
    if (job.trainer) await recordModel(root, job, job.trainer, startedAt, ctx.log);
    await ctx.store.backend.put(job.outputKey, packArchive(await modelFiles(join(root, 'model'))));
    return { startedAt, endedAt: new Date() };
  } finally {
    await removeScratchDir(root);
  }
}

/** Checks a command's model against the model contract and writes its manifest; a refusal fails the job. */
async function recordModel(
  root: string,
  job: LocalJob,
  trainer: CommandTrainer,
  startedAt: Date,
  log: (line: string) => void,
): Promise<void> {
  const env = job.environment;
  const pullRequest = Number(env[ENV.pullRequest] || Number.NaN);
  try {
    const manifest = await recordCommandModel(root, {
      name: env[ENV.modelName] ?? job.name,
      trainer,
      ...(env[ENV.datasetName] ? { datasetName: env[ENV.datasetName] } : {}),
      hyperparameters: job.hyperparameters,
      lineage: {
        gitCommit: env[ENV.gitCommit] || null,
        pullRequest: Number.isInteger(pullRequest) ? pullRequest : null,
        executionId: env[ENV.executionId] || null,
      },
      trainingDurationMs: Date.now() - startedAt.getTime(),
    });
    const m = manifest.metrics;
    log(
      `model.onnx follows the model contract: ${manifest.classes.length} classes; accuracy ${m.accuracy.toFixed(4)} macro-F1 ${m.macroF1.toFixed(4)} on ${m.rows} test rows`,
    );
  } catch (error) {
    if (!(error instanceof ModelContractError)) throw error;
    const reason = `${error.name}: ${error.message}`;
    log(`training failed: ${reason}`);
    throw new TrainingJobFailedError(`training job ${job.name} failed: ${reason}`, reason);
  }
}

/** Every file under the model folder, by its path there (SageMaker tars the folder as it is). */
async function modelFiles(dir: string): Promise<Record<string, Uint8Array>> {
  const files: Record<string, Uint8Array> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files[relative(dir, path).split(sep).join('/')] = await readFile(path);
  }
  return files;
}

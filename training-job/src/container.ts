import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ENV, IMAGE_BY_DIGEST, type TrainingEnv } from '@slipway/contracts';
import { loadDataset } from './data/index.js';
import {
  type FargateEnvironment,
  type FargateRun,
  readFargateRun,
  stageInputs,
  uploadModel,
} from './remote/fargate.js';
import type { ObjectStorage, S3Environment } from './remote/object-storage.js';
import { openS3Storage } from './remote/storage.js';
import { resolveHyperparameters } from './train/hyperparameters.js';
import { trainModel, writeModelDir } from './train/train.js';

/**
 * What a training container receives as environment variables (SageMaker `Environment`, ECS overrides):
 * lineage and naming, and on Fargate where the data is and where the model goes.
 */
export type ContainerEnv = TrainingEnv & FargateEnvironment & S3Environment;

/** Collaborators of {@link runTrainingContainer}; each defaults to the real one. */
export interface ContainerOptions {
  /** Where the Fargate mode reads the dataset and writes the model. Default: S3 (default credential chain). */
  readonly storage?: ObjectStorage;
}

async function exists(path: string): Promise<boolean> {
  return readdir(path).then(
    (entries) => entries.length > 0,
    () => false,
  );
}

/**
 * The training container, rooted at `root` (`/opt/ml` in a container, a temporary folder in tests).
 *
 * The SageMaker contract: hyperparameters from `input/config/hyperparameters.json`, data from the
 * `train` and optional `test` channels under `input/data/`, the model into `model/`. On failure the
 * reason goes to `output/failure` (SageMaker shows it as the job's FailureReason) and the result is 1.
 *
 * The Fargate mode, when `SLIPWAY_DATASET_URI` and `SLIPWAY_OUTPUT_URI` are set, does SageMaker's part
 * itself: it stages `train.jsonl` / `test.jsonl` and `SLIPWAY_HYPERPARAMETERS` into that layout, runs
 * the same contract, and uploads `model/` as `<SLIPWAY_OUTPUT_URI>/model.tar.gz` — or, on failure, the
 * reason as `<SLIPWAY_OUTPUT_URI>/failure`.
 *
 * @example process.exitCode = await runTrainingContainer('/opt/ml', process.env);
 */
export async function runTrainingContainer(
  root: string,
  env: ContainerEnv = {},
  log: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  options: ContainerOptions = {},
): Promise<number> {
  let fargate: { run: FargateRun; storage: ObjectStorage } | undefined;
  let sources = new Map<string, string>();
  try {
    const run = readFargateRun(env);
    if (run) {
      fargate = { run, storage: options.storage ?? (await openS3Storage(env)) };
      sources = await stageInputs(root, run, fargate.storage, log);
    }
    await trainInRoot(root, env, log);
    if (fargate) await uploadModel(join(root, 'model'), fargate.run, fargate.storage, log);
    return 0;
  } catch (error) {
    let message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    // Name the S3 object a person can open, not the container's copy of it.
    for (const [file, uri] of sources) message = message.replaceAll(file, uri);
    log(`training failed: ${message}`);
    await mkdir(join(root, 'output'), { recursive: true });
    await writeFile(join(root, 'output/failure'), `${message}\n`);
    if (fargate) {
      const uri = `${fargate.run.outputUri}/failure`;
      await fargate.storage.put(uri, new TextEncoder().encode(`${message}\n`)).then(
        () => log(`uploaded ${uri}`),
        (cause: unknown) => log(`could not upload the failure reason: ${(cause as Error).message}`),
      );
    }
    return 1;
  }
}

/** hyperparameters.json as passed: SageMaker passes strings; anything else is kept as its JSON text. */
function passedHyperparameters(raw: Record<string, unknown>): Record<string, string | number | boolean> {
  return Object.fromEntries(
    Object.entries(raw).map(([k, v]) => [
      k,
      typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : JSON.stringify(v),
    ]),
  );
}

/** The SageMaker contract proper: `root` laid out, the model written to `root/model`; throws on failure. */
/** The image reference when it names a digest, else null. */
function imageByDigest(image: string | undefined): string | null {
  return image !== undefined && IMAGE_BY_DIGEST.test(image) ? image : null;
}

async function trainInRoot(root: string, env: ContainerEnv, log: (line: string) => void): Promise<void> {
  const configPath = join(root, 'input/config/hyperparameters.json');
  const raw = await readFile(configPath, 'utf8').then(
    (text) => JSON.parse(text) as Record<string, unknown>,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return {};
      throw new Error(`${configPath} is not valid JSON: ${error.message}`);
    },
  );
  const hp = resolveHyperparameters(raw);
  const testChannel = join(root, 'input/data/test');
  const dataset = await loadDataset(join(root, 'input/data/train'), {
    ...((await exists(testChannel)) ? { test: testChannel } : {}),
    seed: hp.seed,
    testFraction: hp.testFraction,
    ...(env[ENV.datasetName] ? { name: env[ENV.datasetName] } : {}),
  });
  log(
    `dataset ${dataset.name} ${dataset.sha256.slice(0, 12)}: ${dataset.train.length} train, ${dataset.test.length} test`,
  );
  const pullRequest = env[ENV.pullRequest] ? Number(env[ENV.pullRequest]) : null;
  const result = await trainModel(dataset, hp, {
    name: env[ENV.modelName] ?? dataset.name,
    lineage: {
      gitCommit: env[ENV.gitCommit] ?? null,
      pullRequest: Number.isInteger(pullRequest) ? pullRequest : null,
      executionId: env[ENV.executionId] ?? null,
      hyperparametersPassed: passedHyperparameters(raw),
      // Only a digest names the image's bytes; a tag can move, so it is not recorded as the image.
      image: imageByDigest(env[ENV.trainingImage]),
    },
    onProgress: (p) => {
      if (p.phase === 'fit') {
        if (p.iteration % 10 === 0) log(`fit iteration ${p.iteration} loss ${p.loss.toFixed(6)}`);
      } else if (p.phase === 'done') {
        log(
          `accuracy ${p.metrics.accuracy.toFixed(4)} macro-F1 ${p.metrics.macroF1.toFixed(4)} in ${p.elapsedMs} ms`,
        );
      } else log(`${p.phase} (${p.elapsedMs} ms)`);
    },
  });
  await writeModelDir(join(root, 'model'), result);
  // SageMaker reads final metrics from the log with the job's metric definitions.
  log(`slipway_metric accuracy=${result.metrics.accuracy} macro_f1=${result.metrics.macroF1}`);
}

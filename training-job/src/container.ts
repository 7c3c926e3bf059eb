import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadDataset } from './data/index.js';
import { resolveHyperparameters } from './train/hyperparameters.js';
import { trainModel, writeModelDir } from './train/train.js';

/** Lineage and naming a training container receives as environment variables (SageMaker `Environment`, ECS overrides). */
export interface ContainerEnv {
  readonly SLIPWAY_MODEL_NAME?: string;
  readonly SLIPWAY_DATASET_NAME?: string;
  readonly SLIPWAY_GIT_COMMIT?: string;
  readonly SLIPWAY_PULL_REQUEST?: string;
  readonly SLIPWAY_EXECUTION_ID?: string;
}

async function exists(path: string): Promise<boolean> {
  return readdir(path).then(
    (entries) => entries.length > 0,
    () => false,
  );
}

/**
 * The SageMaker training-container contract, rooted at `root` (`/opt/ml` in a container, a temporary
 * folder in tests): hyperparameters from `input/config/hyperparameters.json`, data from the `train` and
 * optional `test` channels under `input/data/`, the model into `model/`. On failure the reason goes to
 * `output/failure` (SageMaker shows it as the job's FailureReason) and the exit code is 1.
 */
export async function runTrainingContainer(
  root: string,
  env: ContainerEnv = {},
  log: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<number> {
  try {
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
      ...(env.SLIPWAY_DATASET_NAME ? { name: env.SLIPWAY_DATASET_NAME } : {}),
    });
    log(
      `dataset ${dataset.name} ${dataset.sha256.slice(0, 12)}: ${dataset.train.length} train, ${dataset.test.length} test`,
    );
    const pullRequest = env.SLIPWAY_PULL_REQUEST ? Number(env.SLIPWAY_PULL_REQUEST) : null;
    const result = await trainModel(dataset, hp, {
      name: env.SLIPWAY_MODEL_NAME ?? dataset.name,
      lineage: {
        gitCommit: env.SLIPWAY_GIT_COMMIT ?? null,
        pullRequest: Number.isInteger(pullRequest) ? pullRequest : null,
        executionId: env.SLIPWAY_EXECUTION_ID ?? null,
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
    return 0;
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    log(`training failed: ${message}`);
    await mkdir(join(root, 'output'), { recursive: true });
    await writeFile(join(root, 'output/failure'), `${message}\n`);
    return 1;
  }
}

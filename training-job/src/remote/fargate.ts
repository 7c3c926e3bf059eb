import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { ARTIFACT_FILE, ENV, type TrainingEnv } from '@slipway/contracts';
import { packArchive } from '@slipway/contracts/tar';
import { dataError } from '../data/errors.js';
import { ContainerConfigError } from './errors.js';
import { type ObjectStorage, parseS3Uri } from './object-storage.js';

/** The variables that switch the container into the Fargate mode. */
export type FargateEnvironment = Pick<
  TrainingEnv,
  typeof ENV.datasetUri | typeof ENV.outputUri | typeof ENV.hyperparameters
>;

/** A Fargate run: where the dataset is, where the model goes, and the hyperparameters. */
export interface FargateRun {
  /** `s3://…/datasets/<name>/<sha256>`, without a trailing slash. */
  readonly datasetUri: string;
  /** `s3://…/runs/<job>/output`, without a trailing slash. */
  readonly outputUri: string;
  readonly hyperparameters: Readonly<Record<string, unknown>>;
}

/**
 * Reads the Fargate variables: undefined when neither URI is set (SageMaker, or a runner that stages
 * /opt/ml itself), a {@link FargateRun} when both are, and a ContainerConfigError naming the variable
 * otherwise.
 */
export function readFargateRun(env: FargateEnvironment): FargateRun | undefined {
  const dataset = env[ENV.datasetUri]?.trim() || undefined;
  const output = env[ENV.outputUri]?.trim() || undefined;
  if (dataset === undefined && output === undefined) return undefined;
  if (dataset === undefined || output === undefined) {
    const [missing, present] =
      dataset === undefined ? [ENV.datasetUri, ENV.outputUri] : [ENV.outputUri, ENV.datasetUri];
    throw new ContainerConfigError(
      `${missing} is not set but ${present} is: set both to train from S3 (ECS Fargate), or neither when SageMaker lays out /opt/ml`,
    );
  }
  checkPrefix(ENV.datasetUri, dataset);
  checkPrefix(ENV.outputUri, output);
  const raw = env[ENV.hyperparameters]?.trim() || '{}';
  let hyperparameters: unknown;
  try {
    hyperparameters = JSON.parse(raw);
  } catch (cause) {
    throw new ContainerConfigError(
      `${ENV.hyperparameters} is not valid JSON (${(cause as Error).message}): pass a JSON object of strings, e.g. {"min_df":"2"}`,
      { cause },
    );
  }
  if (typeof hyperparameters !== 'object' || hyperparameters === null || Array.isArray(hyperparameters)) {
    throw new ContainerConfigError(
      `${ENV.hyperparameters} is ${raw.slice(0, 40)}, not a JSON object: pass a JSON object of strings, e.g. {"min_df":"2"}`,
    );
  }
  const strip = (uri: string) => uri.replace(/\/+$/, '');
  return {
    datasetUri: strip(dataset),
    outputUri: strip(output),
    hyperparameters: hyperparameters as Record<string, unknown>,
  };
}

function checkPrefix(name: string, value: string): void {
  const parsed = parseS3Uri(value);
  if (parsed === undefined || parsed.key.replace(/\/+$/, '') === '') {
    throw new ContainerConfigError(
      `${name}="${value}" is not an S3 prefix: use s3://<bucket>/<prefix>, e.g. s3://models/datasets/spam/<sha256>`,
    );
  }
}

/**
 * Lays out `root` as SageMaker would from S3: hyperparameters.json, `train.jsonl` into the train
 * channel and `test.jsonl` (when the dataset has one) into the test channel. Returns each local file
 * with the URI it came from, so failure messages can name the object rather than a container path.
 */
export async function stageInputs(
  root: string,
  run: FargateRun,
  storage: ObjectStorage,
  log: (line: string) => void,
): Promise<Map<string, string>> {
  const sources = new Map<string, string>();
  await mkdir(join(root, 'input/config'), { recursive: true });
  await writeFile(join(root, 'input/config/hyperparameters.json'), JSON.stringify(run.hyperparameters));
  for (const channel of ['train', 'test'] as const) {
    const uri = `${run.datasetUri}/${channel}.jsonl`;
    const bytes = await storage.get(uri);
    if (bytes === undefined) {
      if (channel === 'train') {
        throw dataError(
          uri,
          undefined,
          `does not exist; ${ENV.datasetUri} must name a dataset folder of the model store (datasets/<name>/<sha256>) holding train.jsonl`,
        );
      }
      log(`${uri} does not exist: the test split comes from train.jsonl`);
      continue;
    }
    const dir = join(root, 'input/data', channel);
    await mkdir(dir, { recursive: true });
    const file = join(dir, `${channel}.jsonl`);
    await writeFile(file, bytes);
    sources.set(file, uri);
    log(`downloaded ${uri} (${bytes.byteLength} bytes)`);
  }
  return sources;
}

/** Packs the files under `modelDir` into model.tar.gz (at its root, as SageMaker does) and uploads it. */
export async function uploadModel(
  modelDir: string,
  run: FargateRun,
  storage: ObjectStorage,
  log: (line: string) => void,
): Promise<string> {
  const files: Record<string, Uint8Array> = {};
  for (const entry of await readdir(modelDir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files[relative(modelDir, path)] = await readFile(path);
  }
  const archive = packArchive(files);
  const uri = `${run.outputUri}/${ARTIFACT_FILE}`;
  await storage.put(uri, archive);
  log(`uploaded ${uri} (${archive.byteLength} bytes: ${Object.keys(files).sort().join(', ')})`);
  return uri;
}

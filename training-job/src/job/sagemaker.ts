import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

/** What a training root is laid out with: hyperparameters (string values) and each channel's files. */
export interface TrainingInputs {
  readonly hyperparameters: Readonly<Record<string, string>>;
  /** Channel name → file name → contents; `train` and `test` hold JSONL `{"text","label"}` rows. */
  readonly channels: Readonly<Record<string, Readonly<Record<string, Uint8Array>>>>;
}

/** The host name SageMaker gives the first (here: only) instance of a job. */
const HOST = 'algo-1';

/**
 * Lays out `root` as SageMaker lays out `/opt/ml` for a training container: `input/config/`
 * (`hyperparameters.json`, `inputdataconfig.json`, `resourceconfig.json`), one folder per channel under
 * `input/data/`, and empty `model/` and `output/data/` for the program to write.
 *
 * The files are the ones described in "How Amazon SageMaker AI Provides Training Information"
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-training-algo-running-container.html):
 * hyperparameters as a JSON object of strings, and per channel `TrainingInputMode`, `S3DistributionType`
 * and `RecordWrapperType`, as File mode with a fully replicated S3 prefix gives them.
 */
export async function layOutTrainingRoot(root: string, inputs: TrainingInputs): Promise<void> {
  const config = join(root, 'input/config');
  await mkdir(config, { recursive: true });
  await writeFile(join(config, 'hyperparameters.json'), JSON.stringify(inputs.hyperparameters));
  const dataConfig = Object.fromEntries(
    Object.keys(inputs.channels).map((channel) => [
      channel,
      { TrainingInputMode: 'File', S3DistributionType: 'FullyReplicated', RecordWrapperType: 'None' },
    ]),
  );
  await writeFile(join(config, 'inputdataconfig.json'), JSON.stringify(dataConfig));
  await writeFile(
    join(config, 'resourceconfig.json'),
    JSON.stringify({ current_host: HOST, hosts: [HOST], network_interface_name: 'eth0' }),
  );
  for (const [channel, files] of Object.entries(inputs.channels)) {
    const dir = join(root, 'input/data', channel);
    await mkdir(dir, { recursive: true });
    for (const [name, body] of Object.entries(files)) await writeFile(join(dir, name), body);
  }
  await mkdir(join(root, 'model'), { recursive: true });
  await mkdir(join(root, 'output/data'), { recursive: true });
}

/**
 * The environment variables SageMaker's training toolkit gives a training script, for a job rooted at
 * `root` (in SageMaker, `/opt/ml`), so a script written for SageMaker runs unchanged on this machine.
 *
 * Names and values follow aws/sagemaker-training-toolkit: `ENVIRONMENT_VARIABLES.md` for the list,
 * `src/sagemaker_training/environment.py` (`Environment.to_env_vars`, the `*_dir` paths under the base
 * folder, `SAGEMAKER_BASE_DIR` moving that base outside SageMaker) and `mapping.py` (`to_env_vars`:
 * `SM_` + the key upper-cased, strings as they are and anything else as compact JSON with sorted keys).
 * Like the toolkit's `read_hyperparameters`, each hyperparameter is JSON-decoded where it can be, so
 * `SM_HPS` holds `{"epochs":3}` for `"epochs": "3"`; a value that does not decode stays a string.
 * One difference: numbers are re-encoded by JavaScript, which writes `1e-5` as `0.00001` where
 * Python writes `1e-05` (the same number either way).
 *
 * @example sageMakerEnvironment('/opt/ml', { epochs: '3' }, ['test', 'train']).SM_HP_EPOCHS // '3'
 */
export function sageMakerEnvironment(
  root: string,
  hyperparameters: Readonly<Record<string, string>>,
  channels: readonly string[],
): Record<string, string> {
  const decoded: Record<string, unknown> = {};
  for (const key of Object.keys(hyperparameters).sort()) {
    const raw = hyperparameters[key] as string;
    try {
      decoded[key] = JSON.parse(raw);
    } catch {
      decoded[key] = raw;
    }
  }
  const value = (v: unknown) => (typeof v === 'string' ? v : sortedJson(v));
  const env: Record<string, string> = {
    SAGEMAKER_BASE_DIR: root,
    SM_MODEL_DIR: join(root, 'model'),
    SM_INPUT_DIR: join(root, 'input'),
    SM_INPUT_CONFIG_DIR: join(root, 'input/config'),
    SM_OUTPUT_DIR: join(root, 'output'),
    SM_OUTPUT_DATA_DIR: join(root, 'output/data'),
    SM_CHANNELS: JSON.stringify([...channels].sort()),
    SM_HPS: sortedJson(decoded),
    SM_CURRENT_HOST: HOST,
    SM_HOSTS: JSON.stringify([HOST]),
    SM_NUM_CPUS: String(availableParallelism()),
    SM_NUM_GPUS: '0',
  };
  for (const channel of channels)
    env[`SM_CHANNEL_${channel.toUpperCase()}`] = join(root, 'input/data', channel);
  for (const [key, v] of Object.entries(decoded)) env[`SM_HP_${key.toUpperCase()}`] = value(v);
  return env;
}

/** JSON with object keys sorted at every level and no spaces, as Python's `json.dumps(sort_keys=True)`. */
function sortedJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

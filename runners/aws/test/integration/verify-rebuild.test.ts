import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packArchive } from '@slipway/contracts/tar';
import { type ModelStore, openStore } from '@slipway/model-store';
import { awsRebuild, rebuildJobRequest, type SageMakerCall } from '@slipway/runner-aws';
import { storeDataset } from '@slipway/runner-local';
import { verifyVersion } from '@slipway/steps';
import {
  type Dataset,
  resolveHyperparameters,
  runTrainingContainer,
  trainModel,
  writeModelDir,
} from '@slipway/training-job';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

let dir: string;
let store: ModelStore;
let storeUri: string;
let dataset: Dataset;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-verify-aws-'));
  storeUri = pathToFileURL(join(dir, 'store')).href;
  store = await openStore(storeUri);
  ({ dataset } = await storeDataset(store, 'builtin:sentiment'));
});
afterAll(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

/** The members of CreateTrainingJob's request (and DescribeTrainingJob's) the double reads. */
interface JobRequest {
  readonly [member: string]: unknown;
  readonly TrainingJobName: string;
  readonly AlgorithmSpecification: { readonly TrainingImage: string };
  readonly HyperParameters?: Record<string, unknown>;
  readonly Environment?: Record<string, string>;
  readonly InputDataConfig: readonly {
    readonly ChannelName: string;
    readonly DataSource: { readonly S3DataSource: { readonly S3Uri: string } };
  }[];
  readonly OutputDataConfig: { readonly S3OutputPath: string };
}

class SageMakerError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(`${type}: ${message}`);
  }
}

/**
 * SageMaker's training jobs as documented, over the store: CreateTrainingJob checks the request
 * (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateTrainingJob.html: the name's
 * pattern and 63 characters, the required members, HyperParameters as at most 100 string values of at
 * most 2,500 characters) and refuses a name already used (ResourceInUse); the job runs the image's
 * training program under the training contract (channels from S3Prefix, model.tar.gz to
 * S3OutputPath/<job>/output/); DescribeTrainingJob reports InProgress once, then Completed with
 * ModelArtifacts.S3ModelArtifacts (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeTrainingJob.html).
 */
function sageMakerDouble(images: Record<string, 'builtin'>) {
  const jobs = new Map<string, { polls: number; artifact: string; request: Record<string, unknown> }>();
  const keyOf = (uri: string) => uri.slice(storeUri.length + 1);
  const call: SageMakerCall = async (action, body) => {
    const b = body as JobRequest;
    if (action === 'DescribeTrainingJob') {
      const job = jobs.get(b.TrainingJobName);
      if (!job) throw new SageMakerError('ValidationException', `Requested resource not found.`);
      job.polls++;
      return job.polls === 1
        ? { TrainingJobName: b.TrainingJobName, TrainingJobStatus: 'InProgress' }
        : {
            TrainingJobName: b.TrainingJobName,
            TrainingJobStatus: 'Completed',
            ModelArtifacts: { S3ModelArtifacts: job.artifact },
          };
    }
    const name = b.TrainingJobName;
    if (typeof name !== 'string' || name.length > 63 || !/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/.test(name))
      throw new SageMakerError('ValidationException', `TrainingJobName ${name}`);
    for (const member of [
      'AlgorithmSpecification',
      'RoleArn',
      'OutputDataConfig',
      'ResourceConfig',
      'StoppingCondition',
    ])
      if (b[member] === undefined) throw new SageMakerError('ValidationException', `missing ${member}`);
    const hp = Object.entries(b.HyperParameters ?? {});
    if (hp.length > 100 || hp.some(([, v]) => typeof v !== 'string' || v.length > 2500))
      throw new SageMakerError('ValidationException', 'HyperParameters');
    if (jobs.has(name))
      throw new SageMakerError(
        'ResourceInUse',
        `Training job names must be unique within an AWS account and region, and a training job with this name already exists`,
      );
    if (images[b.AlgorithmSpecification.TrainingImage] !== 'builtin')
      throw new SageMakerError(
        'ValidationException',
        `image ${b.AlgorithmSpecification.TrainingImage} does not exist`,
      );
    const root = await mkdtemp(join(dir, 'opt-ml-'));
    await mkdir(join(root, 'input/config'), { recursive: true });
    await writeFile(join(root, 'input/config/hyperparameters.json'), JSON.stringify(b.HyperParameters ?? {}));
    for (const channel of b.InputDataConfig) {
      const target = join(root, 'input/data', channel.ChannelName);
      await mkdir(target, { recursive: true });
      for (const o of await store.backend.list(keyOf(channel.DataSource.S3DataSource.S3Uri))) {
        const found = await store.backend.get(o.key);
        if (found) await writeFile(join(target, basename(o.key)), found.body);
      }
    }
    expect(await runTrainingContainer(root, b.Environment, () => {})).toBe(0);
    const files: Record<string, Uint8Array> = {};
    for (const f of await readdir(join(root, 'model'))) files[f] = await readFile(join(root, 'model', f));
    const artifact = `${b.OutputDataConfig.S3OutputPath}/${name}/output/model.tar.gz`;
    await store.backend.put(keyOf(artifact), packArchive(files));
    jobs.set(name, { polls: 0, artifact, request: b });
    return { TrainingJobArn: `arn:aws:sagemaker:eu-west-1:123456789012:training-job/${name}` };
  };
  return { call, jobs };
}

const image = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipway-training@sha256:${'e'.repeat(64)}`;

describe('verify --aws: the rebuild runs as a training job of the stage', () => {
  test('a version trained in the stage image rebuilds bit for bit through CreateTrainingJob and the store', async () => {
    const passed = { C: '4', ngram_max: '1' };
    const result = await trainModel(dataset, resolveHyperparameters(passed), {
      name: 'reviews',
      lineage: { hyperparametersPassed: passed, image },
    });
    const out = join(dir, 'registered');
    const manifest = await writeModelDir(out, result);
    const { version } = await store.registerModel({ name: 'reviews', files: out, manifest });
    const sagemaker = sageMakerDouble({ [image]: 'builtin' });
    const stage = {
      storeUri,
      roleArn: 'arn:aws:iam::123456789012:role/slipway-dev-sagemaker',
      instanceType: 'ml.m5.large',
      trainingImageUri: 'not-used-when-the-lineage-names-an-image',
    };
    const record = await verifyVersion('reviews', version, {
      store,
      where: 'aws',
      rebuild: awsRebuild(stage, { call: sagemaker.call, store, wait: async () => {} }),
    });
    expect(record).toMatchObject({ outcome: 'reproducible', where: 'aws' });
    expect(record.rebuiltSha256).toBe(manifest.files['model.onnx']?.sha256);
    const [job] = [...sagemaker.jobs.values()];
    // The same image digest as recorded; channels are the stored dataset; output under the store's runs/.
    expect(job?.request).toMatchObject({
      AlgorithmSpecification: { TrainingImage: image, TrainingInputMode: 'File' },
      RoleArn: stage.roleArn,
      HyperParameters: passed,
      OutputDataConfig: { S3OutputPath: `${storeUri}/runs` },
      InputDataConfig: [
        {
          ChannelName: 'train',
          DataSource: { S3DataSource: { S3Uri: `${storeUri}/datasets/sentiment/${dataset.sha256}/train` } },
        },
        {
          ChannelName: 'test',
          DataSource: { S3DataSource: { S3Uri: `${storeUri}/datasets/sentiment/${dataset.sha256}/test` } },
        },
      ],
    });
    expect(job?.polls).toBe(2);
    expect((await store.listVerifications('reviews', version)).map((r) => r.where)).toEqual(['aws']);
  });

  test("job names follow SageMaker's pattern and length for any model name; a host-run command is not sent", () => {
    const request = {
      model: 'a'.repeat(60),
      version: 12345,
      dataset: { name: 'd', sha256: 'f'.repeat(64) },
      hyperparameters: {},
      trainer: { type: 'builtin', version: '0.1.0' } as const,
      lineage: { environment: { image: null } } as never,
      attempt: 2,
    };
    const stage = {
      storeUri: 's3://b/p',
      roleArn: 'r',
      instanceType: 'ml.m5.large',
      trainingImageUri: 'stage-image',
    };
    const body = rebuildJobRequest(stage, request);
    expect(String(body.TrainingJobName)).toMatch(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/);
    expect((body.AlgorithmSpecification as { TrainingImage: string }).TrainingImage).toBe('stage-image');
    expect(() =>
      rebuildJobRequest(stage, {
        ...request,
        trainer: { type: 'command', command: ['python3', 'train.py'], image: null },
      }),
    ).toThrow(/on a host, not in an image/);
  });
});

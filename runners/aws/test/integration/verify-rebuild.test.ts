import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type ModelStore, openStore } from '@slipway/model-store';
import { awsRebuild, rebuildJobRequest, sageMakerCall } from '@slipway/runner-aws';
import { storeDataset } from '@slipway/runner-local';
import { verifyVersion } from '@slipway/steps';
import { type Dataset, resolveHyperparameters, trainModel, writeModelDir } from '@slipway/training-job';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sageMakerDouble } from '../../../../test-helpers/sagemaker-double.js';

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
    const sagemaker = sageMakerDouble({ store, images: [image] });
    const stage = {
      storeUri,
      roleArn: 'arn:aws:iam::123456789012:role/slipway-dev-sagemaker',
      instanceType: 'ml.m5.large',
      trainingImageUri: 'not-used-when-the-lineage-names-an-image',
      jobNamePrefix: 'slipway-dev-verify',
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

  test('interrupted while the job runs: StopTrainingJob, followed until Stopped, and nothing is recorded', async () => {
    const passed = { C: '4', ngram_max: '1' };
    const result = await trainModel(dataset, resolveHyperparameters(passed), {
      name: 'halted',
      lineage: { hyperparametersPassed: passed, image },
    });
    const out = join(dir, 'halted');
    const manifest = await writeModelDir(out, result);
    const { version } = await store.registerModel({ name: 'halted', files: out, manifest });
    const sagemaker = sageMakerDouble({ store, images: [image] });
    const interrupted = new AbortController();
    const stage = {
      storeUri,
      roleArn: 'arn:aws:iam::123456789012:role/slipway-dev-sagemaker',
      instanceType: 'ml.m5.large',
      trainingImageUri: 'stage-image',
      jobNamePrefix: 'slipway-dev-verify',
    };
    const rebuild = awsRebuild(stage, {
      call: sagemaker.call,
      store,
      signal: interrupted.signal,
      // The person presses Ctrl-C while the first poll said InProgress.
      wait: async () => interrupted.abort(),
    });
    await expect(verifyVersion('halted', version, { store, where: 'aws', rebuild })).rejects.toThrow(
      /training job slipway-dev-verify-halted-\d+-1-[0-9a-f]{8} was stopped: the verification was interrupted/,
    );
    expect(sagemaker.calls.map((c) => c.action)).toEqual([
      'CreateTrainingJob',
      'DescribeTrainingJob',
      'StopTrainingJob',
      'DescribeTrainingJob',
    ]);
    expect([...sagemaker.jobs.values()].map((j) => j.status)).toEqual(['Stopped']);
    expect(await store.listVerifications('halted', version)).toEqual([]);
  });

  test('a poll throttled or answered with a server error is retried; a refused or unanswered CreateTrainingJob is not', async () => {
    const passed = { C: '4', ngram_max: '1' };
    const result = await trainModel(dataset, resolveHyperparameters(passed), {
      name: 'busy',
      lineage: { hyperparametersPassed: passed, image },
    });
    const out = join(dir, 'busy');
    const manifest = await writeModelDir(out, result);
    const { version } = await store.registerModel({ name: 'busy', files: out, manifest });
    const sagemaker = sageMakerDouble({ store, images: [image] });
    // SageMaker's common errors (https://docs.aws.amazon.com/sagemaker/latest/APIReference/CommonErrors.html):
    // ThrottlingException is HTTP 400, ServiceUnavailable 503; a proxy in the way may answer in HTML.
    const faults = [
      () => Response.json({ __type: 'ThrottlingException', message: 'Rate exceeded' }, { status: 400 }),
      () => new Response('<html>503 Service Unavailable</html>', { status: 503 }),
    ];
    const waits: number[] = [];
    const call = sageMakerCall(
      'eu-west-1',
      async (url, init) => {
        const target = new Headers(init?.headers).get('x-amz-target');
        const fault = target === 'SageMaker.DescribeTrainingJob' ? faults.shift() : undefined;
        return fault ? fault() : sagemaker.fetch(url, init);
      },
      { sleep: async (ms) => void waits.push(ms) },
    );
    const stage = {
      storeUri,
      roleArn: 'arn:aws:iam::123456789012:role/slipway-dev-sagemaker',
      instanceType: 'ml.m5.large',
      trainingImageUri: 'stage-image',
      jobNamePrefix: 'slipway-dev-verify',
    };
    const record = await verifyVersion('busy', version, {
      store,
      where: 'aws',
      rebuild: awsRebuild(stage, { call, store, wait: async () => {} }),
    });
    expect(record.outcome).toBe('reproducible');
    expect(waits).toEqual([1000, 2000]);
    expect(sagemaker.calls.map((c) => c.action)).toEqual([
      'CreateTrainingJob',
      'DescribeTrainingJob',
      'DescribeTrainingJob',
    ]);

    const unavailable = sageMakerCall(
      'eu-west-1',
      async () => new Response('<html>busy</html>', { status: 503 }),
      {
        sleep: async (ms) => void waits.push(ms),
      },
    );
    await expect(unavailable('CreateTrainingJob', {})).rejects.toThrow(
      'SageMaker CreateTrainingJob refused: HTTP 503: <html>busy</html>',
    );
    await expect(unavailable('DescribeTrainingJob', { TrainingJobName: 'x' })).rejects.toThrow(
      /SageMaker DescribeTrainingJob refused: HTTP 503: .* \(after 5 tries\)$/,
    );
    const refused = sageMakerCall('eu-west-1', sagemaker.fetch);
    await expect(refused('DescribeTrainingJob', { TrainingJobName: 'unknown' })).rejects.toThrow(
      'SageMaker DescribeTrainingJob refused: ResourceNotFound: Requested resource not found.',
    );
  });

  test("job names follow SageMaker's pattern and length under the stage's prefix for any model name; nothing without an image digest is sent", () => {
    const request = {
      model: 'a'.repeat(60),
      version: 12345,
      dataset: { name: 'd', sha256: 'f'.repeat(64) },
      hyperparameters: {},
      trainer: { type: 'builtin', version: '0.1.0' } as const,
      lineage: { environment: { image } } as never,
      attempt: 2,
    };
    const stage = {
      storeUri: 's3://b/p',
      roleArn: 'r',
      instanceType: 'ml.m5.large',
      trainingImageUri: 'stage-image',
      jobNamePrefix: 'slipway-staging-verify',
    };
    const body = rebuildJobRequest(stage, request);
    expect(String(body.TrainingJobName)).toMatch(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/);
    expect(String(body.TrainingJobName)).toMatch(/^slipway-staging-verify-a+-12345-2-[0-9a-f]{8}$/);
    expect((body.AlgorithmSpecification as { TrainingImage: string }).TrainingImage).toBe(image);
    // Trained outside an image (slipway run): the stage's image is not what trained it.
    expect(() =>
      rebuildJobRequest(stage, { ...request, lineage: { environment: { image: null } } as never }),
    ).toThrow(/records no training image digest .* the stage's image stage-image, not what trained it/);
    expect(() =>
      rebuildJobRequest(stage, {
        ...request,
        trainer: { type: 'command', command: ['python3', 'train.py'], image: null },
      }),
    ).toThrow(/on a host, not in an image/);
  });
});

/**
 * `@aws-sdk/client-s3` is an optional peer dependency of training-job: the trainer and the SageMaker
 * contract run without it (so `slipway train` never needs it); the Fargate mode, which reads and writes
 * S3 itself, fails with an error naming what to install. The training image installs it
 * (training-job/image/package.json).
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { installWithoutPeers, type PeerlessInstall } from '../../../../test-helpers/install-without-peers.js';
import { syntheticDataset } from '../../helpers/datasets.js';

let install: PeerlessInstall;
beforeAll(async () => {
  install = await installWithoutPeers(['contracts', 'training-job']);
});
afterAll(async () => {
  await install?.remove();
});

/** Lays out an /opt/ml under the install and runs the container there with `env`. */
async function runContainer(name: string, env: Record<string, string>) {
  const root = join(install.dir, name);
  const data = syntheticDataset(2, 20);
  await mkdir(join(root, 'input/config'), { recursive: true });
  await writeFile(join(root, 'input/config/hyperparameters.json'), '{"min_df":"1"}');
  await mkdir(join(root, 'input/data/train'), { recursive: true });
  await writeFile(
    join(root, 'input/data/train/train.jsonl'),
    data.train.map((row) => JSON.stringify(row)).join('\n'),
  );
  const run = await install.run(`
    import { runTrainingContainer } from '@slipway/training-job';
    process.exitCode = await runTrainingContainer(${JSON.stringify(root)}, ${JSON.stringify(env)});
  `);
  return { root, ...run };
}

describe('training-job installed without @aws-sdk/client-s3', () => {
  test('trains under the SageMaker contract: the SDK is never loaded', async () => {
    const { root, code, stderr } = await runContainer('sagemaker', {});
    expect(code, stderr).toBe(0);
    expect((await readdir(join(root, 'model'))).sort()).toEqual([
      'manifest.json',
      'metrics.json',
      'model.onnx',
    ]);
  });

  test('the Fargate mode fails with MissingDependencyError, saying what to install', async () => {
    const { root, code, stdout } = await runContainer('fargate', {
      SLIPWAY_DATASET_URI: 's3://models/datasets/topics/abc123',
      SLIPWAY_OUTPUT_URI: 's3://models/runs/topics-r1/output',
      AWS_REGION: 'eu-west-1',
    });
    const reason =
      'MissingDependencyError: training from S3 (the Fargate mode, SLIPWAY_DATASET_URI and SLIPWAY_OUTPUT_URI set) ' +
      'needs the package @aws-sdk/client-s3, which is not installed: run `npm install @aws-sdk/client-s3` in the ' +
      'project that uses @slipway/training-job (an optional peer dependency of @slipway/training-job: only this path needs it)';
    expect(code).toBe(1);
    expect(stdout).toBe(`training failed: ${reason}\n`);
    expect(await readFile(join(root, 'output/failure'), 'utf8')).toBe(`${reason}\n`);
    await expect(readdir(join(root, 'model'))).rejects.toThrow();
  });
});

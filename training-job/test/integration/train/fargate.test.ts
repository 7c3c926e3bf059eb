import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
// The model store's local S3 server (s3rver in a child process); only its test helper is shared.
import { LOCAL_S3_CREDENTIALS, type LocalS3, startLocalS3 } from '../../../../test-helpers/s3-server.js';
import { syntheticDataset } from '../../helpers/datasets.js';

const ENTRY = fileURLToPath(new URL('../../../bin/train.js', import.meta.url));
const RECORD_IMPORTS = fileURLToPath(new URL('../../helpers/record-imports.ts', import.meta.url));
const PACKAGE_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const BUCKET = 'slipway-fargate';
const REGION = 'eu-west-1';

const jsonl = (rows: readonly { text: string; label: string }[]) =>
  `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

let s3: LocalS3;
let client: S3Client;
let work: string;

beforeAll(async () => {
  s3 = await startLocalS3(BUCKET);
  client = new S3Client({
    region: REGION,
    endpoint: s3.endpoint,
    forcePathStyle: true,
    credentials: LOCAL_S3_CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
});
afterAll(async () => {
  client?.destroy();
  await s3?.stop();
});
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'slipway-fargate-e2e-'));
  return () => rm(work, { recursive: true, force: true });
});

async function putObject(key: string, body: string): Promise<void> {
  await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
}

/** The object's bytes, or undefined when S3 says NoSuchKey. */
async function getObject(key: string): Promise<Uint8Array | undefined> {
  try {
    const found = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    return await found.Body?.transformToByteArray();
  } catch (error) {
    if ((error as Error).name === 'NoSuchKey') return undefined;
    throw error;
  }
}

/**
 * Runs the container entrypoint (on the sources) as ECS would: only the task's environment, credentials
 * from the default chain (here its environment variables), the region from AWS_REGION.
 */
function runEntry(
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; sdkImports: string[] }> {
  const importLog = join(work, 'imports.log');
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', '--import', RECORD_IMPORTS, ENTRY],
      {
        cwd: PACKAGE_ROOT,
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: work,
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          AWS_EC2_METADATA_DISABLED: 'true',
          SLIPWAY_ML_ROOT: join(work, 'opt-ml'),
          SLIPWAY_IMPORT_LOG: importLog,
          ...env,
        },
        timeout: 90_000,
      },
      async (error, stdout) => {
        if (error && typeof error.code !== 'number') return reject(error);
        const logged = await readFile(importLog, 'utf8').catch(() => '');
        resolve({
          code: error ? (error.code as number) : 0,
          stdout,
          sdkImports: logged.split('\n').filter(Boolean),
        });
      },
    );
  });
}

const s3Env = () => ({
  AWS_REGION: REGION,
  AWS_ENDPOINT_URL_S3: s3.endpoint,
  AWS_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
});

describe('the training container on ECS Fargate (S3 in, model.tar.gz out)', () => {
  test('happy-path: trains from the dataset URI and uploads model.tar.gz as SageMaker would', async () => {
    const data = syntheticDataset(3, 30);
    const datasetKey = `store/datasets/topics/${data.sha256}`;
    await putObject(`${datasetKey}/train.jsonl`, jsonl(data.train));
    await putObject(`${datasetKey}/test.jsonl`, jsonl(data.test));
    const output = `store/runs/topics-r1/output`;

    const result = await runEntry({
      ...s3Env(),
      SLIPWAY_MODEL_NAME: 'topics',
      SLIPWAY_DATASET_NAME: 'topics',
      SLIPWAY_DATASET_URI: `s3://${BUCKET}/${datasetKey}`,
      SLIPWAY_OUTPUT_URI: `s3://${BUCKET}/${output}`,
      SLIPWAY_HYPERPARAMETERS: JSON.stringify({ min_df: '1', ngram_max: '1' }),
      SLIPWAY_GIT_COMMIT: 'c0ffee',
      SLIPWAY_PULL_REQUEST: '12',
      SLIPWAY_EXECUTION_ID: 'arn:aws:states:eu-west-1:123456789012:execution:slipway:e-1',
    });
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toContain(`uploaded s3://${BUCKET}/${output}/model.tar.gz`);
    expect(result.sdkImports).toContain('@aws-sdk/client-s3');
    expect(await getObject(`${output}/failure`)).toBeUndefined();

    const archive = await getObject(`${output}/model.tar.gz`);
    expect(archive).toBeDefined();
    const tarball = join(work, 'model.tar.gz');
    await writeFile(tarball, archive as Uint8Array);
    const listed = await new Promise<string>((resolve, reject) =>
      execFile('tar', ['-tzf', tarball], (error, stdout) => (error ? reject(error) : resolve(stdout))),
    );
    expect(listed).toBe('manifest.json\nmetrics.json\nmodel.onnx\n');
    const unpacked = join(work, 'unpacked');
    await mkdir(unpacked);
    await new Promise<void>((resolve, reject) =>
      execFile('tar', ['-xzf', tarball, '-C', unpacked], (error) => (error ? reject(error) : resolve())),
    );
    expect((await readdir(unpacked)).sort()).toEqual(['manifest.json', 'metrics.json', 'model.onnx']);

    const manifest = JSON.parse(await readFile(join(unpacked, 'manifest.json'), 'utf8'));
    expect(Object.keys(manifest.files).sort()).toEqual(['metrics.json', 'model.onnx']);
    for (const name of ['metrics.json', 'model.onnx']) {
      const bytes = await readFile(join(unpacked, name));
      expect(manifest.files[name], name).toEqual({ sha256: sha256(bytes), bytes: bytes.length });
    }
    expect(manifest.name).toBe('topics');
    expect(manifest.lineage).toMatchObject({
      gitCommit: 'c0ffee',
      pullRequest: 12,
      executionId: 'arn:aws:states:eu-west-1:123456789012:execution:slipway:e-1',
      dataset: { name: 'topics', sha256: data.sha256 },
      hyperparameters: { minDf: 1, ngramMax: 1 },
    });
    expect(manifest.metrics.rows).toBe(data.test.length);
  });

  test('bad dataset: non-zero exit, the failure names the S3 file and line, no model.tar.gz', async () => {
    const datasetKey = 'store/datasets/broken/0123';
    await putObject(`${datasetKey}/train.jsonl`, '{"text":"fine","label":"a"}\n{"text":"oops","label":42}\n');
    const output = 'store/runs/broken-r1/output';

    const result = await runEntry({
      ...s3Env(),
      SLIPWAY_DATASET_URI: `s3://${BUCKET}/${datasetKey}`,
      SLIPWAY_OUTPUT_URI: `s3://${BUCKET}/${output}`,
    });
    expect(result.code).toBe(1);
    const failure = new TextDecoder().decode(await getObject(`${output}/failure`));
    expect(failure).toMatch(new RegExp(`^DataError: s3://${BUCKET}/${datasetKey}/train\\.jsonl:2: `));
    expect(failure).not.toContain(work);
    expect(await getObject(`${output}/model.tar.gz`)).toBeUndefined();
  });

  test('the SageMaker contract never loads the AWS SDK', async () => {
    const data = syntheticDataset(2, 20);
    const root = join(work, 'opt-ml');
    await mkdir(join(root, 'input/data/train'), { recursive: true });
    await writeFile(join(root, 'input/data/train/train.jsonl'), jsonl(data.train));
    await mkdir(join(root, 'input/config'), { recursive: true });
    await writeFile(join(root, 'input/config/hyperparameters.json'), '{"min_df":"1"}');

    const result = await runEntry({});
    expect(result.code, result.stdout).toBe(0);
    expect((await readdir(join(root, 'model'))).sort()).toEqual([
      'manifest.json',
      'metrics.json',
      'model.onnx',
    ]);
    expect(result.sdkImports).toEqual([]);
  });
});

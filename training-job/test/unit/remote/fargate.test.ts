import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ContainerConfigError, runTrainingContainer } from '@slipway/training-job';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { readFargateRun } from '../../../src/remote/fargate.js';
import { syntheticDataset } from '../../helpers/datasets.js';
import { MemoryStorage } from '../../helpers/memory-storage.js';

const DATASET = 's3://models/datasets/topics/abc123';
const OUTPUT = 's3://models/runs/topics-r1/output';
const jsonl = (rows: readonly { text: string; label: string }[]) =>
  `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`;

/** Names of the entries of a tar.gz, read from the ustar headers. */
function tarNames(archive: Uint8Array): string[] {
  const tar = gunzipSync(archive);
  const names: string[] = [];
  for (let offset = 0; offset + 512 <= tar.length; ) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const name = header.subarray(0, 100);
    names.push(new TextDecoder().decode(name.subarray(0, name.indexOf(0))));
    const size = Number.parseInt(new TextDecoder().decode(header.subarray(124, 135)), 8);
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return names;
}

describe('reading the Fargate variables', () => {
  test('neither URI set: the SageMaker contract, whatever else is set', () => {
    expect(readFargateRun({})).toBeUndefined();
    expect(readFargateRun({ SLIPWAY_DATASET_URI: ' ', SLIPWAY_HYPERPARAMETERS: '{}' })).toBeUndefined();
  });

  test('both set: trailing slashes dropped, hyperparameters parsed (unset means none)', () => {
    expect(
      readFargateRun({
        SLIPWAY_DATASET_URI: `${DATASET}/`,
        SLIPWAY_OUTPUT_URI: OUTPUT,
        SLIPWAY_HYPERPARAMETERS: '{"min_df":"1"}',
      }),
    ).toEqual({ datasetUri: DATASET, outputUri: OUTPUT, hyperparameters: { min_df: '1' } });
    expect(
      readFargateRun({ SLIPWAY_DATASET_URI: DATASET, SLIPWAY_OUTPUT_URI: OUTPUT })?.hyperparameters,
    ).toEqual({});
  });

  test.each([
    [
      { SLIPWAY_OUTPUT_URI: OUTPUT },
      'SLIPWAY_DATASET_URI is not set but SLIPWAY_OUTPUT_URI is: set both to train from S3 (ECS Fargate), or neither when SageMaker lays out /opt/ml',
    ],
    [
      { SLIPWAY_DATASET_URI: DATASET },
      'SLIPWAY_OUTPUT_URI is not set but SLIPWAY_DATASET_URI is: set both to train from S3 (ECS Fargate), or neither when SageMaker lays out /opt/ml',
    ],
    [
      { SLIPWAY_DATASET_URI: 'https://example.com/data', SLIPWAY_OUTPUT_URI: OUTPUT },
      'SLIPWAY_DATASET_URI="https://example.com/data" is not an S3 prefix: use s3://<bucket>/<prefix>, e.g. s3://models/datasets/spam/<sha256>',
    ],
    [
      { SLIPWAY_DATASET_URI: DATASET, SLIPWAY_OUTPUT_URI: 's3://models/' },
      'SLIPWAY_OUTPUT_URI="s3://models/" is not an S3 prefix: use s3://<bucket>/<prefix>, e.g. s3://models/datasets/spam/<sha256>',
    ],
    [
      { SLIPWAY_DATASET_URI: DATASET, SLIPWAY_OUTPUT_URI: OUTPUT, SLIPWAY_HYPERPARAMETERS: '["min_df"]' },
      'SLIPWAY_HYPERPARAMETERS is ["min_df"], not a JSON object: pass a JSON object of strings, e.g. {"min_df":"2"}',
    ],
  ])('misconfigured: %j', (env, message) => {
    expect(() => readFargateRun(env)).toThrow(new ContainerConfigError(message));
  });

  test('hyperparameters that are not JSON name the variable', () => {
    expect(() =>
      readFargateRun({
        SLIPWAY_DATASET_URI: DATASET,
        SLIPWAY_OUTPUT_URI: OUTPUT,
        SLIPWAY_HYPERPARAMETERS: '{min_df',
      }),
    ).toThrow(/^SLIPWAY_HYPERPARAMETERS is not valid JSON \(.+\): pass a JSON object of strings/);
  });
});

describe('the Fargate mode against an in-memory store', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'slipway-fargate-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });
  const env = { SLIPWAY_DATASET_URI: DATASET, SLIPWAY_OUTPUT_URI: OUTPUT };

  test('without test.jsonl the split comes from train.jsonl; the model is uploaded, nothing else', async () => {
    const data = syntheticDataset(2, 20);
    const storage = new MemoryStorage({ [`${DATASET}/train.jsonl`]: jsonl([...data.train, ...data.test]) });
    const lines: string[] = [];
    const code = await runTrainingContainer(
      root,
      { ...env, SLIPWAY_HYPERPARAMETERS: '{"min_df":"1","test_fraction":"0.25"}' },
      (line) => lines.push(line),
      { storage },
    );
    expect(code).toBe(0);
    expect([...storage.objects.keys()].sort()).toEqual([`${DATASET}/train.jsonl`, `${OUTPUT}/model.tar.gz`]);
    expect(tarNames(storage.objects.get(`${OUTPUT}/model.tar.gz`) as Uint8Array)).toEqual([
      'manifest.json',
      'metrics.json',
      'model.onnx',
    ]);
    expect(await readFile(join(root, 'input/config/hyperparameters.json'), 'utf8')).toBe(
      '{"min_df":"1","test_fraction":"0.25"}',
    );
    const manifest = JSON.parse(await readFile(join(root, 'model/manifest.json'), 'utf8'));
    expect(manifest.lineage.hyperparameters).toMatchObject({ minDf: 1, testFraction: 0.25 });
    expect(manifest.metrics.rows).toBe(12); // a quarter of 2 × (20 + 5) rows
    expect(lines).toContain(`${DATASET}/test.jsonl does not exist: the test split comes from train.jsonl`);
  });

  test('no train.jsonl: exit 1, the failure under the output URI names the object, no model', async () => {
    const storage = new MemoryStorage();
    expect(await runTrainingContainer(root, env, () => {}, { storage })).toBe(1);
    expect([...storage.objects.keys()]).toEqual([`${OUTPUT}/failure`]);
    expect(storage.text(`${OUTPUT}/failure`)).toBe(
      `DataError: ${DATASET}/train.jsonl: does not exist; SLIPWAY_DATASET_URI must name a dataset folder of the model store (datasets/<name>/<sha256>) holding train.jsonl\n`,
    );
  });

  test('a misconfigured run fails before touching storage and says why', async () => {
    const storage = new MemoryStorage();
    const lines: string[] = [];
    const code = await runTrainingContainer(root, { SLIPWAY_OUTPUT_URI: OUTPUT }, (l) => lines.push(l), {
      storage,
    });
    expect(code).toBe(1);
    expect(storage.objects.size).toBe(0);
    expect(await readFile(join(root, 'output/failure'), 'utf8')).toMatch(
      /^ContainerConfigError: SLIPWAY_DATASET_URI is not set but SLIPWAY_OUTPUT_URI is/,
    );
  });

  test('an upload that fails fails the task, and the log says the failure could not be uploaded either', async () => {
    const data = syntheticDataset(2, 20);
    const storage = new MemoryStorage({
      [`${DATASET}/train.jsonl`]: jsonl(data.train),
      [`${DATASET}/test.jsonl`]: jsonl(data.test),
    });
    storage.failPuts = true;
    const lines: string[] = [];
    const code = await runTrainingContainer(
      root,
      { ...env, SLIPWAY_HYPERPARAMETERS: '{"min_df":"1"}' },
      (line) => lines.push(line),
      { storage },
    );
    expect(code).toBe(1);
    expect(lines.slice(-2)).toEqual([
      `training failed: Error: denied: ${OUTPUT}/model.tar.gz`,
      `could not upload the failure reason: denied: ${OUTPUT}/failure`,
    ]);
    expect(storage.objects.has(`${OUTPUT}/model.tar.gz`)).toBe(false);
  });
});

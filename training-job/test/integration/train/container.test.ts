import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { openModel, runTrainingContainer } from '@slipway/training-job';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { syntheticDataset } from '../../helpers/datasets.js';

const run = promisify(execFile);
let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'slipway-opt-ml-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Lays out /opt/ml as SageMaker does: hyperparameters.json (string values) and data channels. */
async function layout(hyperparameters: Record<string, string>, train: string, test?: string) {
  await mkdir(join(root, 'input/config'), { recursive: true });
  await writeFile(join(root, 'input/config/hyperparameters.json'), JSON.stringify(hyperparameters));
  await mkdir(join(root, 'input/data/train'), { recursive: true });
  await writeFile(join(root, 'input/data/train/train.jsonl'), train);
  if (test !== undefined) {
    await mkdir(join(root, 'input/data/test'), { recursive: true });
    await writeFile(join(root, 'input/data/test/test.jsonl'), test);
  }
}

const jsonl = (rows: readonly { text: string; label: string }[]) =>
  rows.map((r) => JSON.stringify(r)).join('\n');

describe('the SageMaker training-container contract', () => {
  test('trains from the channels and writes /opt/ml/model', async () => {
    const data = syntheticDataset(3, 30);
    await layout({ min_df: '1', ngram_max: '1' }, jsonl(data.train), jsonl(data.test));
    const lines: string[] = [];
    const code = await runTrainingContainer(
      root,
      {
        SLIPWAY_MODEL_NAME: 'topics',
        SLIPWAY_GIT_COMMIT: 'c0ffee',
        SLIPWAY_PULL_REQUEST: '12',
        SLIPWAY_EXECUTION_ID: 'e-1',
      },
      (line) => lines.push(line),
    );
    expect(code).toBe(0);
    expect((await readdir(join(root, 'model'))).sort()).toEqual([
      'manifest.json',
      'metrics.json',
      'model.onnx',
    ]);
    const { manifest, classifier } = await openModel(join(root, 'model'));
    await classifier.close();
    expect(manifest.name).toBe('topics');
    expect(manifest.lineage).toMatchObject({ gitCommit: 'c0ffee', pullRequest: 12, executionId: 'e-1' });
    // No SLIPWAY_TRAINING_IMAGE: no image recorded.
    expect(manifest.lineage.environment?.image).toBeNull();
    expect(manifest.lineage.hyperparameters).toMatchObject({ minDf: 1, ngramMax: 1 });
    // As passed: the strings of hyperparameters.json, before defaults.
    expect(manifest.lineage.hyperparametersPassed).toEqual({ min_df: '1', ngram_max: '1' });
    expect(manifest.lineage.split).toEqual({ method: 'test-file' });
    expect(manifest.metrics.rows).toBe(data.test.length);
    expect(lines.some((l) => l.startsWith('slipway_metric accuracy='))).toBe(true);
  });

  test('records the image it runs in when told it by digest (a rebuild of slipway verify --aws), never a tag', async () => {
    const data = syntheticDataset(2, 20);
    const image = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipway-training@sha256:${'c'.repeat(64)}`;
    for (const [given, recorded] of [
      [image, image],
      ['123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipway-training:latest', null],
    ] as const) {
      await rm(join(root, 'model'), { recursive: true, force: true });
      await layout({ min_df: '1', ngram_max: '1' }, jsonl(data.train), jsonl(data.test));
      expect(await runTrainingContainer(root, { SLIPWAY_TRAINING_IMAGE: given }, () => {})).toBe(0);
      const { manifest, classifier } = await openModel(join(root, 'model'));
      await classifier.close();
      expect(manifest.lineage.environment?.image, given).toBe(recorded);
    }
  });

  test('bad data: exit 1, the reason in output/failure, no model written', async () => {
    await layout({}, '{"text":"fine","label":"a"}\n{"text":"oops","label":42}\n');
    const code = await runTrainingContainer(root, {}, () => {});
    expect(code).toBe(1);
    const failure = await readFile(join(root, 'output/failure'), 'utf8');
    expect(failure).toMatch(/DataError/);
    expect(failure).toContain('train.jsonl:2:');
    await expect(readdir(join(root, 'model'))).rejects.toThrow();
  });

  test('a bad hyperparameter fails the job with its name', async () => {
    const data = syntheticDataset(2, 10);
    await layout({ max_iter: 'many' }, jsonl(data.train));
    expect(await runTrainingContainer(root, {}, () => {})).toBe(1);
    expect(await readFile(join(root, 'output/failure'), 'utf8')).toMatch(/maxIter="many"/);
  });

  test('the Dockerfile entrypoint runs the built program with SLIPWAY_ML_ROOT', async () => {
    const data = syntheticDataset(2, 20);
    await layout({ min_df: '1' }, jsonl(data.train));
    const entry = new URL('../../../bin/train.js', import.meta.url).pathname;
    await run(process.execPath, [entry, 'train'], { env: { ...process.env, SLIPWAY_ML_ROOT: root } });
    expect((await readdir(join(root, 'model'))).sort()).toEqual([
      'manifest.json',
      'metrics.json',
      'model.onnx',
    ]);
  });
});

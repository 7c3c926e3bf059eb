import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { layOutTrainingRoot, ModelContractError, openModel, recordCommandModel } from '@slipway/training-job';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { handModel } from '../../helpers/contract-models.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'slipway-command-model-'));
  const rows = (labels: string[]) =>
    new TextEncoder().encode(
      labels.map((label, i) => JSON.stringify({ text: `text ${i}`, label })).join('\n'),
    );
  await layOutTrainingRoot(root, {
    hyperparameters: { epochs: '2' },
    channels: {
      train: { 'train.jsonl': rows(['negative', 'positive', 'negative', 'positive']) },
      test: { 'test.jsonl': rows(['negative', 'positive', 'positive']) },
    },
  });
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const record = {
  name: 'reviews',
  trainer: { type: 'command', command: ['python3', 'train.py', '--epochs', '2'] },
  datasetName: 'reviews',
  hyperparameters: { epochs: '2' },
  lineage: { gitCommit: 'abc123', pullRequest: 7, executionId: 'e1' },
  trainingDurationMs: 1234,
} as const;

describe("a training program's model becomes a slipway model", () => {
  test('a conforming model.onnx gets metrics, self-tests and a manifest listing every file the program wrote', async () => {
    await writeFile(join(root, 'model/model.onnx'), handModel());
    await mkdir(join(root, 'model/extra'));
    await writeFile(join(root, 'model/extra/vocab.txt'), 'a\nb\n');
    const manifest = await recordCommandModel(root, record);
    expect(Object.keys(manifest.files).sort()).toEqual(['extra/vocab.txt', 'metrics.json', 'model.onnx']);
    expect(manifest.classes).toEqual(['negative', 'positive']);
    // The hand model says "positive" for everything: 2 of the 3 test rows.
    expect(manifest.metrics.accuracy).toBeCloseTo(2 / 3, 12);
    expect(manifest.metrics.confusion).toEqual([
      [0, 1],
      [0, 2],
    ]);
    expect(manifest.selfTest.every((c) => c.label === 'positive')).toBe(true);
    expect(manifest.lineage).toMatchObject({
      gitCommit: 'abc123',
      pullRequest: 7,
      executionId: 'e1',
      dataset: { name: 'reviews' },
      hyperparameters: { epochs: '2' },
      trainer: { type: 'command', command: ['python3', 'train.py', '--epochs', '2'], image: null },
      split: { method: 'test-file' },
      trainingDurationMs: 1234,
    });
    // The folder opens as any slipway model: every file's sha256 checked.
    const { classifier } = await openModel(join(root, 'model'));
    await classifier.close();
  });

  test('a model that breaks the contract is refused, and no manifest is written', async () => {
    await writeFile(join(root, 'model/model.onnx'), handModel({ tokenIds: true }));
    await expect(recordCommandModel(root, record)).rejects.toThrow(ModelContractError);
    expect(await readdir(join(root, 'model'))).toEqual(['model.onnx']);
  });

  test('no model.onnx is refused, naming what the program wrote', async () => {
    await writeFile(join(root, 'model/model.pt'), 'weights');
    await expect(recordCommandModel(root, record)).rejects.toThrow(
      'the training program wrote no model.onnx to its model folder (SM_MODEL_DIR); it wrote model.pt; slipway needs the model there as model.onnx',
    );
  });
});

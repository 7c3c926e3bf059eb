import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decodeModel,
  loadDataset,
  onnxruntimeVersion,
  openModel,
  resolveHyperparameters,
  TrainingError,
  trainerVersion,
  trainingThreads,
  trainModel,
  writeModelDir,
} from '@slipway/training-job';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { DENSE_CHUNK, rowBlocks } from '../../../src/train/kernels.js';
import { openExported } from '../../../src/train/train.js';
import { syntheticDataset } from '../../helpers/datasets.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-train-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('training', () => {
  test('a model onnxruntime refuses is a named, deterministic error, not a stack', async () => {
    const hp = resolveHyperparameters({ ngramMin: 2, ngramMax: 3 });
    const result = await trainModel(syntheticDataset(3, 10), hp);
    const refused = openExported(result.modelBytes.subarray(0, result.modelBytes.length - 7), ['a', 'b'], hp);
    await expect(refused).rejects.toMatchObject({
      name: 'ModelExportError',
      message: expect.stringMatching(
        /^onnxruntime \S+ refuses the model exported for analyzer=word ngram_min=2 ngram_max=3 .*: [^\n]+\. Nothing was written/,
      ),
    });
  });

  test('the same data, hyperparameters and seed give a byte-identical model.onnx', async () => {
    const dataset = await loadDataset('builtin:sentiment');
    const hp = resolveHyperparameters();
    const a = await trainModel(dataset, hp);
    const b = await trainModel(await loadDataset('builtin:sentiment'), hp);
    expect(Buffer.from(a.modelBytes).equals(Buffer.from(b.modelBytes))).toBe(true);
    const c = await trainModel(dataset, resolveHyperparameters({ C: hp.C * 2 }));
    expect(Buffer.from(a.modelBytes).equals(Buffer.from(c.modelBytes))).toBe(false);
  });

  test('model.onnx is byte-identical whether the optimizer runs on 1, 2 or 3 threads', async () => {
    const dataset = await loadDataset('builtin:sentiment');
    const hp = resolveHyperparameters();
    // parallelMinWork 0: this set is below the size where threads pay, and would otherwise fit on one.
    const [one, two, three] = await Promise.all(
      [1, 2, 3].map((threads) => trainModel(dataset, hp, { threads, parallelMinWork: 0 })),
    );
    const sha = (r: { modelBytes: Uint8Array } | undefined) =>
      createHash('sha256')
        .update(r?.modelBytes ?? '')
        .digest('hex');
    expect(sha(two)).toBe(sha(one));
    expect(sha(three)).toBe(sha(one));
  });

  test('a 40-class model.onnx is byte-identical on 1 and 2 threads, and on two 2-thread runs', async () => {
    const dataset = syntheticDataset(40, 30);
    const hp = resolveHyperparameters();
    const one = await trainModel(dataset, hp, { threads: 1, parallelMinWork: 0 });
    // Every operation is split for real: the parameters span several dense chunks, the rows several blocks.
    expect(one.model.vocabulary.length * 40).toBeGreaterThan(DENSE_CHUNK);
    expect(rowBlocks(dataset.train.length)).toBeGreaterThan(1);
    const sha = (r: { modelBytes: Uint8Array }) => createHash('sha256').update(r.modelBytes).digest('hex');
    const twice = [
      await trainModel(dataset, hp, { threads: 2, parallelMinWork: 0 }),
      await trainModel(dataset, hp, { threads: 2, parallelMinWork: 0 }),
    ];
    expect(twice.map(sha)).toEqual([sha(one), sha(one)]);
  });

  test('SLIPWAY_TRAIN_THREADS sets the thread count; anything but a whole number >= 1 is refused', () => {
    expect(trainingThreads(undefined, { SLIPWAY_TRAIN_THREADS: '3' })).toBe(3);
    expect(trainingThreads(2, { SLIPWAY_TRAIN_THREADS: '3' })).toBe(2);
    expect(trainingThreads(undefined, {})).toBe(availableParallelism());
    for (const bad of ['0', 'two', '1.5', '-2']) {
      expect(() => trainingThreads(undefined, { SLIPWAY_TRAIN_THREADS: bad })).toThrow(
        new RegExp(`^SLIPWAY_TRAIN_THREADS="${bad.replace('.', '\\.')}": expected a whole number of threads`),
      );
    }
  });

  test('writes model.onnx, metrics.json and a manifest whose hashes the loader verifies', async () => {
    const dataset = await loadDataset('builtin:sentiment');
    const result = await trainModel(dataset, resolveHyperparameters(), {
      name: 'reviews',
      lineage: { gitCommit: 'abc123', pullRequest: 7, executionId: 'exec-1' },
    });
    const manifest = await writeModelDir(dir, result);
    expect(Object.keys(manifest.files).sort()).toEqual(['metrics.json', 'model.onnx']);
    expect(manifest.name).toBe('reviews');
    expect(manifest.version).toBeNull();
    expect(manifest.lineage).toMatchObject({
      gitCommit: 'abc123',
      pullRequest: 7,
      executionId: 'exec-1',
      dataset: { name: 'sentiment', sha256: dataset.sha256 },
      // Everything a rebuild needs (slipway verify): trainer, split, runtime, hyperparameters as passed.
      trainer: { type: 'builtin', version: trainerVersion },
      split: { method: 'stratified', seed: 42, testFraction: 0.2 },
      environment: {
        node: process.versions.node,
        onnxruntime: onnxruntimeVersion,
        platform: `${process.platform}-${process.arch}`,
        image: null,
      },
      hyperparametersPassed: { ...resolveHyperparameters() },
    });
    expect(manifest.selfTest.length).toBeGreaterThanOrEqual(2);
    expect(new Set(manifest.selfTest.map((s) => s.label))).toEqual(new Set(manifest.classes));

    const { manifest: loaded, classifier } = await openModel(dir);
    try {
      expect(loaded).toEqual(manifest);
      const predictions = await classifier.predict(manifest.selfTest.map((s) => s.text));
      expect(predictions.map((p) => p.label)).toEqual(manifest.selfTest.map((s) => s.label));
      expect(await classifier.predict([])).toEqual([]);
    } finally {
      await classifier.close();
    }
    const metrics = JSON.parse(await readFile(join(dir, 'metrics.json'), 'utf8'));
    expect(metrics).toEqual(manifest.metrics);
    const { metadata, ops } = decodeModel(await readFile(join(dir, 'model.onnx')));
    expect(JSON.parse(metadata['slipway.classes'] as string)).toEqual(['negative', 'positive']);
    expect(metadata['slipway.model_name']).toBe('reviews');
    // Sparse all the way: no operator whose cost grows with the vocabulary (TfIdfVectorizer's dense
    // output, a dense MatMul or LinearClassifier).
    expect(ops).toEqual(
      // biome-ignore format: one line per stage of the graph
      [
        'StringNormalizer', 'Tokenizer', 'LabelEncoder',
        'Slice', 'Slice', 'Mul', 'Add', 'LabelEncoder',
        'Shape', 'Squeeze', 'Range', 'Unsqueeze', 'Mul', 'Add', 'Reshape', 'Add', 'Reshape', 'Concat',
        'Mod', 'Greater', 'Compress',
        'Shape', 'TopK', 'Slice', 'Concat', 'Equal', 'Not', 'NonZero', 'Reshape', 'Gather', 'Slice', 'Concat', 'Sub',
        'Div', 'Mod', 'Cast', 'Log', 'Add', 'Gather', 'Mul',
        'Mul', 'ConstantOfShape', 'ScatterElements', 'Sqrt', 'Max', 'Gather', 'Div',
        'Unsqueeze', 'Gather', 'Mul', 'Concat', 'ConstantOfShape', 'Unsqueeze', 'ScatterND', 'Add',
        'Softmax', 'ArgMax', 'Gather',
      ],
    );
  });

  test('metrics come from the ONNX session and are internally consistent', async () => {
    const result = await trainModel(await loadDataset('builtin:sentiment'), resolveHyperparameters());
    const m = result.metrics;
    const total = m.confusion.flat().reduce((a, b) => a + b, 0);
    const diagonal = m.confusion.reduce((a, row, i) => a + (row[i] as number), 0);
    expect(total).toBe(m.rows);
    expect(m.accuracy).toBeCloseTo(diagonal / total, 12);
    expect(m.logLoss).toBeGreaterThan(0);
    expect(m.logLoss).toBeLessThan(0.7);
  });

  test('many classes: 30 classes train and separate', async () => {
    const dataset = syntheticDataset(30, 40);
    const result = await trainModel(dataset, resolveHyperparameters({ minDf: 1 }));
    expect(result.model.classes).toHaveLength(30);
    expect(result.metrics.accuracy).toBeGreaterThan(0.9);
    expect(Object.keys(result.metrics.perClass)).toHaveLength(30);
  });

  test('a vocabulary that survives no filter is a clear error', async () => {
    const dataset = syntheticDataset(2, 3);
    await expect(trainModel(dataset, resolveHyperparameters({ minDf: 1000 }))).rejects.toThrow(TrainingError);
    await expect(trainModel(dataset, resolveHyperparameters({ minDf: 1000 }))).rejects.toThrow(/lower minDf/);
  });

  test('a write that fails half-way leaves no model behind', async () => {
    const result = await trainModel(syntheticDataset(2, 20), resolveHyperparameters({ minDf: 1 }));
    // metrics.json is a non-empty folder here, so the second file cannot be renamed into place.
    await mkdir(join(dir, 'metrics.json', 'occupied'), { recursive: true });
    await expect(writeModelDir(dir, result)).rejects.toThrow(TrainingError);
    expect((await readdir(dir)).sort()).toEqual(['metrics.json']);
    await expect(stat(join(dir, 'model.onnx'))).rejects.toThrow();
  });
});

describe('hyperparameters', () => {
  test('accept SageMaker strings and snake_case keys', () => {
    const hp = resolveHyperparameters({ ngram_max: '3', sublinear_tf: 'false', C: '0.5', analyzer: 'word' });
    expect(hp).toMatchObject({ ngramMax: 3, sublinearTf: false, C: 0.5 });
  });

  test('char analyzer switches to character n-gram defaults', () => {
    expect(resolveHyperparameters({ analyzer: 'char' })).toMatchObject({
      analyzer: 'char',
      ngramMin: 1,
      ngramMax: 3,
    });
  });

  test.each([
    [{ nope: 1 }, /unknown hyperparameter "nope"/],
    [{ ngramMax: 'two' }, /ngramMax="two": expected a number/],
    [{ minDf: 1.5 }, /expected an integer/],
    [{ ngramMin: 3, ngramMax: 2 }, /larger than ngramMax/],
    [{ analyzer: 'bpe' }, /expected "word" or "char"/],
    [{ testFraction: 0.95 }, /at most 0.9/],
  ])('%j is refused with a message', (input, message) => {
    expect(() => resolveHyperparameters(input)).toThrow(message);
  });
});

import { describeTrainer, rebuildLineage } from '@slipway/contracts';
import { describe, expect, test } from 'vitest';

const sha = 'a'.repeat(64);

describe('rebuildLineage', () => {
  test('reads a current manifest as written', () => {
    const read = rebuildLineage({
      gitCommit: 'c0ffee',
      dataset: { name: 'spam', sha256: sha },
      hyperparameters: { C: 10, analyzer: 'word' },
      hyperparametersPassed: { c: '10' },
      split: { method: 'stratified', seed: 7, testFraction: 0.25 },
      trainer: { type: 'command', command: ['python3', 'train.py'], image: null },
      environment: { node: '20.20.0', onnxruntime: '1.30.0', platform: 'linux-x64', image: 'r@sha256:00' },
      trainerVersion: 'command',
      onnxruntimeVersion: '1.30.0',
    });
    expect(read).toEqual({
      gitCommit: 'c0ffee',
      dataset: { name: 'spam', sha256: sha },
      hyperparameters: { C: 10, analyzer: 'word' },
      hyperparametersPassed: { c: '10' },
      split: { method: 'stratified', seed: 7, testFraction: 0.25 },
      trainer: { type: 'command', command: ['python3', 'train.py'], image: null },
      environment: { node: '20.20.0', onnxruntime: '1.30.0', platform: 'linux-x64', image: 'r@sha256:00' },
    });
    expect(describeTrainer(read.trainer)).toBe('command python3 train.py');
  });

  test('reads a manifest written before the rebuild fields existed with what it does record', () => {
    const read = rebuildLineage({
      gitCommit: null,
      dataset: { name: 'spam', sha256: sha },
      hyperparameters: { C: 10 },
      trainerVersion: '0.1.0',
      onnxruntimeVersion: '1.29.0',
    });
    expect(read.trainer).toEqual({ type: 'builtin', version: '0.1.0' });
    expect(read.environment).toEqual({ node: null, onnxruntime: '1.29.0', platform: null, image: null });
    expect(read.split).toBeNull();
    expect(read.hyperparametersPassed).toBeNull();
    expect(describeTrainer(read.trainer)).toBe('builtin 0.1.0');
  });

  test('malformed or missing fields read as null, never throw', () => {
    expect(rebuildLineage(undefined)).toEqual({
      gitCommit: null,
      dataset: null,
      hyperparameters: null,
      hyperparametersPassed: null,
      split: null,
      trainer: null,
      environment: { node: null, onnxruntime: null, platform: null, image: null },
    });
    const odd = rebuildLineage({
      dataset: { name: 'spam', sha256: 'not-a-hash' },
      hyperparameters: { nested: { a: 1 } },
      trainer: { type: 'command', command: [] },
      split: { method: 'stratified', seed: 1.5, testFraction: 0.2 },
    });
    expect([odd.dataset, odd.hyperparameters, odd.trainer, odd.split]).toEqual([null, null, null, null]);
  });
});

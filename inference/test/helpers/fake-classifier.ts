// A stand-in classifier for unit tests of the serving logic only (routing, swaps, limits).
// Integration tests use a real model trained by the real trainer (see trained-model.ts).
import type { ModelManifest } from '@slipway/contracts';
import type { Classifier, Prediction } from '@slipway/training-job';
import type { ModelOpener } from '../../src/index.js';

/** Labels a text `pos` when it contains "good", `neg` otherwise, with fixed probabilities. */
export class FakeClassifier implements Classifier {
  readonly classes = ['neg', 'pos'] as const;
  readonly calls: string[][] = [];
  closed = false;
  /** When set, predict waits for this promise before answering (to hold a request in flight). */
  gate: Promise<void> | undefined;

  constructor(readonly tag = 'v1') {}

  async predict(texts: readonly string[]): Promise<Prediction[]> {
    if (this.closed) throw new Error(`classifier ${this.tag} used after close`);
    if (texts.length === 0) return [];
    this.calls.push([...texts]);
    if (this.gate) await this.gate;
    if (this.closed) throw new Error(`classifier ${this.tag} closed while a request was in flight`);
    return texts.map((text) =>
      text.includes('good')
        ? { label: 'pos', probabilities: { neg: 0.25, pos: 0.75 } }
        : { label: 'neg', probabilities: { neg: 0.75, pos: 0.25 } },
    );
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** A manifest as the trainer writes it, with the self-test the fake classifier passes. */
function fakeManifest(overrides: Partial<ModelManifest> = {}): ModelManifest {
  return {
    schema: 'slipway.model/v1',
    name: 'sentiment',
    version: 3,
    files: { 'model.onnx': { sha256: '0'.repeat(64), bytes: 1 } },
    classes: ['neg', 'pos'],
    metrics: {
      accuracy: 1,
      macroF1: 1,
      logLoss: 0,
      perClass: {},
      confusion: [],
      classes: ['neg', 'pos'],
      rows: 0,
    },
    selfTest: [
      { text: 'a good phone', label: 'pos' },
      { text: 'it broke', label: 'neg' },
    ],
    lineage: {
      gitCommit: null,
      pullRequest: null,
      executionId: null,
      dataset: { name: 'sentiment', sha256: '1'.repeat(64) },
      hyperparameters: {},
      trainerVersion: 'test',
      onnxruntimeVersion: 'test',
      createdAt: '2025-01-01T00:00:00.000Z',
      trainingDurationMs: 1,
    },
    ...overrides,
  };
}

/** An opener that serves fake classifiers: folder name → manifest overrides (missing folder → error). */
export function fakeOpener(
  folders: Record<string, Partial<ModelManifest>>,
  created: FakeClassifier[] = [],
): ModelOpener {
  return async (dir) => {
    const overrides = folders[dir];
    if (overrides === undefined) throw new Error(`${dir}/manifest.json cannot be read`);
    const classifier = new FakeClassifier(dir);
    created.push(classifier);
    return { manifest: fakeManifest(overrides), classifier };
  };
}

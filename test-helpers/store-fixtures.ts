import { createHash } from 'node:crypto';

/** A manifest as the training job writes it (`version: null`), with lineage ids to query by. */
export function trainingManifest(
  name: string,
  lineage: {
    gitCommit?: string | null;
    pullRequest?: number | null;
    executionId?: string | null;
    datasetSha256?: string;
  } = {},
) {
  return {
    schema: 'slipway.model/v1' as const,
    name,
    version: null,
    files: {},
    classes: ['negative', 'positive'],
    metrics: {
      accuracy: 0.8,
      macroF1: 0.79,
      logLoss: 0.45,
      perClass: {
        negative: { precision: 0.8, recall: 0.78, f1: 0.79, support: 100 },
        positive: { precision: 0.79, recall: 0.81, f1: 0.8, support: 100 },
      },
      confusion: [
        [78, 22],
        [19, 81],
      ],
      classes: ['negative', 'positive'],
      rows: 200,
    },
    selfTest: [{ text: 'great stuff', label: 'positive' }],
    lineage: {
      gitCommit: lineage.gitCommit ?? null,
      pullRequest: lineage.pullRequest ?? null,
      executionId: lineage.executionId ?? null,
      dataset: { name: 'sentiment', sha256: lineage.datasetSha256 ?? 'a'.repeat(64) },
      hyperparameters: { ngramMax: 2, epochs: 10 },
      trainerVersion: '0.1.0',
      onnxruntimeVersion: '1.30.0',
      createdAt: '2025-01-01T00:00:00.000Z',
      trainingDurationMs: 1234,
    },
    extraFromTrainer: { kept: true },
  };
}

/** Deterministic pseudo-random bytes, so tests know every file's hash. */
export function bytes(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** The files of a small model version. */
export function modelFiles(seed = 1, size = 2048): Record<string, Uint8Array> {
  return {
    'model.onnx': bytes(size, seed),
    'evaluation.json': new TextEncoder().encode(JSON.stringify({ accuracy: 0.8, seed })),
  };
}

export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

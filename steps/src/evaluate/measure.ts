import { performance } from 'node:perf_hooks';
import type { Metrics, ModelManifest } from '@slipway/contracts';
import { computeMetrics, openModel } from '@slipway/training-job';

/** How fast a model answered on this host. */
export interface LatencyReport {
  /** How many texts were timed one request at a time. */
  readonly singleSamples: number;
  /** Median time of one single-text prediction, in milliseconds. */
  readonly singleMedianMs: number;
  /** 99th percentile (nearest rank) of the single-text predictions, in milliseconds. */
  readonly singleP99Ms: number;
  /** Texts predicted in the batch run (the whole test split). */
  readonly batchSize: number;
  readonly batchMs: number;
  readonly batchTextsPerSecond: number;
}

/** A labelled test row. */
export interface TestRow {
  readonly text: string;
  readonly label: string;
}

/** One model's run over the test split. */
export interface ModelRun {
  readonly manifest: ModelManifest;
  readonly metrics: Metrics;
  readonly latency: LatencyReport;
  /** The predicted label of every test row, in order. */
  readonly labels: readonly string[];
}

/**
 * Opens the model folder (checksums verified), predicts the whole split in one batch and then up to
 * `latencySamples` texts one at a time, and computes metrics. The session is closed before returning.
 */
export async function measureModel(
  dir: string,
  rows: readonly TestRow[],
  latencySamples: number,
): Promise<ModelRun> {
  const { manifest, classifier } = await openModel(dir, { intraOpNumThreads: 1 });
  try {
    const texts = rows.map((r) => r.text);
    // The first run pays for allocations that later runs reuse: keep it out of the figures.
    await classifier.predictRaw(texts.slice(0, 1));
    const batchStart = performance.now();
    const raw = await classifier.predictRaw(texts);
    const batchMs = performance.now() - batchStart;

    const timings: number[] = [];
    for (const text of texts.slice(0, latencySamples)) {
      const start = performance.now();
      await classifier.predictRaw([text]);
      timings.push(performance.now() - start);
    }
    timings.sort((a, b) => a - b);

    // A test label the model does not know counts as a class it never predicts (F1 0), so a production
    // model trained before a class existed is judged rather than refused.
    const modelClasses = classifier.classes;
    const extra = [...new Set(rows.map((r) => r.label))].filter((l) => !modelClasses.includes(l)).sort();
    const classes = [...modelClasses, ...extra];
    const k = modelClasses.length;
    const probabilityRows = texts.map((_, i) => {
      const row = raw.probabilities.subarray(i * k, (i + 1) * k);
      if (extra.length === 0) return row;
      const padded = new Float32Array(classes.length);
      padded.set(row);
      return padded;
    });
    const metrics = computeMetrics(
      classes,
      rows.map((r) => r.label),
      raw.labels,
      probabilityRows,
    );
    return {
      manifest,
      metrics,
      labels: raw.labels,
      latency: {
        singleSamples: timings.length,
        singleMedianMs: round(percentile(timings, 0.5), 3),
        singleP99Ms: round(percentile(timings, 0.99), 3),
        batchSize: texts.length,
        batchMs: round(batchMs, 3),
        batchTextsPerSecond: batchMs > 0 ? round(texts.length / (batchMs / 1000), 1) : 0,
      },
    };
  } finally {
    await classifier.close();
  }
}

/** Nearest-rank percentile of sorted values; 0 for none. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length)));
  return sorted[rank - 1] as number;
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));

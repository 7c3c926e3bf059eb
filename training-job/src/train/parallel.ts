import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Analyzer } from '../text/preprocess.js';
import { countChunk, mergeCounts, type NgramCounts } from './count.js';

/** The compiled worker. Running from TypeScript sources (tests) there is none, and counting stays in-process. */
const WORKER = new URL('./count-worker.js', import.meta.url);
const workerAvailable = existsSync(fileURLToPath(WORKER));

/** Below this many characters a worker's start-up costs more than it saves. */
const PARALLEL_MIN_CHARS = 2_000_000;

/**
 * Counts a corpus's n-grams, split across worker threads when it is large and the machine has cores
 * to spare. The result is identical to counting in one pass (ids follow first occurrence either way).
 */
export async function countCorpus(
  texts: readonly string[],
  analyzer: Analyzer,
  minN: number,
  maxN: number,
  { threads: allowed = availableParallelism(), minChars = PARALLEL_MIN_CHARS } = {},
): Promise<NgramCounts> {
  // Four workers at most, whatever the thread setting allows.
  const threads = Math.min(4, allowed);
  let chars = 0;
  for (const text of texts) chars += text.length;
  if (!workerAvailable || threads < 2 || chars < minChars) return countChunk(texts, analyzer, minN, maxN);
  // Chunks of about equal text length, in corpus order.
  const chunks: string[][] = [];
  let current: string[] = [];
  let size = 0;
  for (const text of texts) {
    current.push(text);
    size += text.length;
    if (size >= chars / threads && chunks.length < threads - 1) {
      chunks.push(current);
      current = [];
      size = 0;
    }
  }
  chunks.push(current);
  const counted = await Promise.all(
    chunks.map(
      (chunk) =>
        new Promise<NgramCounts>((resolve, reject) => {
          const worker = new Worker(WORKER, { workerData: { texts: chunk, analyzer, minN, maxN } });
          worker.once('message', (counts: NgramCounts) => {
            resolve(counts);
            void worker.terminate();
          });
          worker.once('error', reject);
          worker.once('exit', (code) => {
            if (code !== 0) reject(new Error(`the counting worker exited with code ${code}`));
          });
        }),
    ),
  );
  return mergeCounts(counted);
}

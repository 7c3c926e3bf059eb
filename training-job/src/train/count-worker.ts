// Counts one chunk of a corpus off the main thread (see count.ts and parallel.ts).
import { parentPort, workerData } from 'node:worker_threads';
import type { Analyzer } from '../text/preprocess.js';
import { countChunk } from './count.js';

const { texts, analyzer, minN, maxN } = workerData as {
  texts: string[];
  analyzer: Analyzer;
  minN: number;
  maxN: number;
};
const counts = countChunk(texts, analyzer, minN, maxN);
const buffers = [
  counts.length,
  counts.prefix,
  counts.last,
  counts.df,
  counts.termCount,
  counts.occurrences,
  counts.offsets,
].map((a) => a.buffer as ArrayBuffer);
parentPort?.postMessage(counts, buffers);

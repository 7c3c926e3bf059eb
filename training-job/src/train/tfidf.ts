import { type Analyzer, NGRAM_JOINER } from '../text/preprocess.js';
import type { NgramCounts } from './count.js';
import { countCorpus } from './parallel.js';
import { section, sectionAsync } from './profile.js';
import type { Csr } from './sparse.js';

export interface TfidfOptions {
  readonly analyzer: Analyzer;
  readonly ngramRange: readonly [number, number];
  /** Keep n-grams found in at least this many training documents. */
  readonly minDf: number;
  /** Keep n-grams found in at most this fraction of training documents. */
  readonly maxDf: number;
  /** Keep at most this many n-grams, the most frequent over the corpus (0 = no limit). */
  readonly maxFeatures: number;
  readonly sublinearTf: boolean;
  /** Threads that may count n-grams (the training's thread setting; counting uses at most 4). */
  readonly threads?: number;
}

/** A fitted vocabulary and inverse document frequencies, in the order the ONNX graph needs. */
export interface FittedTfidf {
  readonly vocabulary: readonly string[];
  /** Stored as float32 because the graph computes in float32; training uses these exact values. */
  readonly idf: Float32Array;
}

/** Fits the vocabulary and idf on training texts and returns them with the training matrix. */
export async function fitTfidf(
  texts: readonly string[],
  options: TfidfOptions,
): Promise<{ fitted: FittedTfidf; matrix: Csr }> {
  const [minN, maxN] = options.ngramRange;
  const counts = await sectionAsync('count n-grams', () =>
    countCorpus(
      texts,
      options.analyzer,
      minN,
      maxN,
      options.threads === undefined ? {} : { threads: options.threads },
    ),
  );
  const { df, termCount, tokens } = counts;

  const maxDocs = Math.floor(options.maxDf * texts.length);
  let kept: number[] = [];
  for (let gram = 0; gram < counts.size; gram++) {
    const d = df[gram] as number;
    if ((counts.length[gram] as number) >= minN && d >= options.minDf && d <= maxDocs) kept.push(gram);
  }
  if (options.maxFeatures > 0 && kept.length > options.maxFeatures) {
    kept = mostFrequent(kept, termCount, options.maxFeatures);
  }
  // Order by length, then by tokens; tokens compare like the joined strings since the joiner sorts
  // below every token character. With tokens ranked once, an n-gram's order is one number.
  const rank = tokenRanks(tokens);
  const radix = tokens.length;
  const sequences = kept.map((gram) => {
    const out: number[] = [];
    for (let g = gram; g !== -1; g = counts.prefix[g] as number) out.push(counts.last[g] as number);
    return out.reverse();
  });
  const sortKey = new Float64Array(kept.length);
  const exact = radix ** maxN * maxN < Number.MAX_SAFE_INTEGER;
  sequences.forEach((sequence, i) => {
    let key = 0;
    for (const t of sequence) key = key * radix + (rank[t] as number);
    // Shorter n-grams first: offset each length past every key of shorter lengths.
    sortKey[i] = key + (sequence.length - 1) * radix ** maxN;
  });
  const order = kept.map((_, i) => i);
  order.sort((a, b) =>
    exact
      ? (sortKey[a] as number) - (sortKey[b] as number)
      : compareSequences(sequences[a], sequences[b], rank),
  );

  const vocabulary = order.map((i) =>
    (sequences[i] as number[]).map((t) => tokens[t] as string).join(NGRAM_JOINER),
  );
  const column = new Int32Array(counts.size).fill(-1);
  const idf = new Float32Array(order.length);
  order.forEach((i, j) => {
    const gram = kept[i] as number;
    column[gram] = j;
    idf[j] = Math.log((1 + texts.length) / (1 + (df[gram] as number))) + 1;
  });
  const matrix = section('tf-idf rows', () => buildCsr(counts, column, idf, options.sublinearTf));
  return { fitted: { vocabulary, idf }, matrix };
}

function compareSequences(x: number[] | undefined, y: number[] | undefined, rank: Int32Array): number {
  if (!x || !y) return 0;
  if (x.length !== y.length) return x.length - y.length;
  for (let k = 0; k < x.length; k++) {
    const d = (rank[x[k] as number] as number) - (rank[y[k] as number] as number);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * The `limit` most frequent n-grams; ties at the cut go to the n-gram seen first in the corpus, so
 * the choice is deterministic. Linear apart from one typed-array sort of the counts.
 */
function mostFrequent(candidates: number[], termCount: Int32Array, limit: number): number[] {
  const counts = Int32Array.from(candidates, (g) => termCount[g] as number).sort();
  const threshold = counts[counts.length - limit] as number;
  let above = 0;
  for (const g of candidates) if ((termCount[g] as number) > threshold) above++;
  let atThreshold = limit - above;
  return candidates
    .filter((g) => {
      const c = termCount[g] as number;
      if (c > threshold) return true;
      if (c === threshold && atThreshold > 0) {
        atThreshold--;
        return true;
      }
      return false;
    })
    .sort((a, b) => a - b);
}

/** Each token's position in UTF-16 code-unit order. */
function tokenRanks(tokens: readonly string[]): Int32Array {
  const order = tokens
    .map((_, i) => i)
    .sort((a, b) => {
      const x = tokens[a] as string;
      const y = tokens[b] as string;
      return x < y ? -1 : x > y ? 1 : 0;
    });
  const rank = new Int32Array(tokens.length);
  order.forEach((token, r) => {
    rank[token] = r;
  });
  return rank;
}

/**
 * Builds L2-normalized TF-IDF rows from each document's n-gram occurrences, in the graph's arithmetic:
 * tf → 1 + ln(tf) when sublinear, × idf, then divided by the row's L2 norm.
 */
function buildCsr(counts: NgramCounts, column: Int32Array, idf: Float32Array, sublinearTf: boolean): Csr {
  const { occurrences, offsets } = counts;
  const rows = offsets.length - 1;
  const features = idf.length;
  const perColumn = new Int32Array(features);
  const indptr = new Int32Array(rows + 1);
  // A row has at most as many non-zeros as occurrences: size once, trim at the end.
  let indices = new Int32Array(occurrences.length);
  let data = new Float64Array(occurrences.length);
  let nnz = 0;
  for (let row = 0; row < rows; row++) {
    const start = nnz;
    for (let k = offsets[row] as number; k < (offsets[row + 1] as number); k++) {
      const j = column[occurrences[k] as number] as number;
      if (j === -1) continue;
      if (perColumn[j] === 0) indices[nnz++] = j;
      perColumn[j] = (perColumn[j] as number) + 1;
    }
    indices.subarray(start, nnz).sort();
    let norm = 0;
    for (let k = start; k < nnz; k++) {
      const j = indices[k] as number;
      const count = perColumn[j] as number;
      perColumn[j] = 0;
      const v = (sublinearTf ? 1 + Math.log(count) : count) * (idf[j] as number);
      data[k] = v;
      norm += v * v;
    }
    norm = Math.sqrt(norm);
    if (norm > 0) for (let k = start; k < nnz; k++) data[k] = (data[k] as number) / norm;
    indptr[row + 1] = nnz;
  }
  indices = indices.slice(0, nnz);
  data = data.slice(0, nnz);
  return { rows, cols: features, indptr, indices, data };
}

import { type Analyzer, NGRAM_JOINER, tokenize } from '../text/preprocess.js';
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
}

/** A fitted vocabulary and inverse document frequencies, in the order the ONNX graph needs. */
export interface FittedTfidf {
  readonly vocabulary: readonly string[];
  /** Stored as float32 because the graph computes in float32; training uses these exact values. */
  readonly idf: Float32Array;
}

/**
 * Token ids for one corpus. Interning tokens lets n-grams be keyed by numbers (fast Map keys) rather
 * than by joined strings, which is most of the cost of vectorizing a mail corpus.
 */
class Interner {
  readonly ids = new Map<string, number>();
  readonly tokens: string[] = [];

  intern(tokens: readonly string[]): Int32Array {
    const out = new Int32Array(tokens.length);
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i] as string;
      let id = this.ids.get(token);
      if (id === undefined) {
        id = this.tokens.length;
        this.ids.set(token, id);
        this.tokens.push(token);
      }
      out[i] = id;
    }
    return out;
  }
}

/** n-gram key arithmetic: base-`radix` numbers while they stay exact doubles. */
function ngramKey(ids: Int32Array, start: number, n: number, radix: number): number {
  let key = 0;
  for (let k = 0; k < n; k++) key = key * radix + (ids[start + k] as number);
  return key;
}

/** Fits the vocabulary and idf on training texts and returns them with the training matrix. */
export function fitTfidf(texts: readonly string[], options: TfidfOptions): { fitted: FittedTfidf; matrix: Csr } {
  const [minN, maxN] = options.ngramRange;
  const interner = new Interner();
  const docs = texts.map((text) => interner.intern(tokenize(text, options.analyzer)));
  // Key n-grams by length band: an n-gram of length n gets key + offset[n] so lengths never collide.
  const radix = interner.tokens.length + 1;
  const offsets: number[] = [];
  let total = 0;
  for (let n = 0; n <= maxN; n++) {
    offsets.push(total);
    if (n >= minN) total += radix ** n;
  }
  if (total >= Number.MAX_SAFE_INTEGER) {
    throw new RangeError(
      `n-grams up to length ${maxN} over ${radix - 1} distinct tokens cannot be counted exactly; lower the n-gram range`,
    );
  }
  const df = new Map<number, number>();
  const termCount = new Map<number, number>();
  const docCounts: Map<number, number>[] = [];
  for (const ids of docs) {
    const counts = new Map<number, number>();
    for (let n = minN; n <= maxN; n++) {
      const offset = offsets[n] as number;
      for (let i = 0; i + n <= ids.length; i++) {
        const key = offset + ngramKey(ids, i, n, radix);
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    }
    for (const [key, count] of counts) {
      df.set(key, (df.get(key) ?? 0) + 1);
      termCount.set(key, (termCount.get(key) ?? 0) + count);
    }
    docCounts.push(counts);
  }

  const maxDocs = Math.floor(options.maxDf * docs.length);
  let kept: number[] = [];
  for (const [key, d] of df) if (d >= options.minDf && d <= maxDocs) kept.push(key);
  const decode = (key: number): { n: number; text: string } => {
    let n = maxN;
    while ((offsets[n] as number) > key) n--;
    let rest = key - (offsets[n] as number);
    const parts: string[] = new Array(n);
    for (let k = n - 1; k >= 0; k--) {
      parts[k] = interner.tokens[rest % radix] as string;
      rest = Math.floor(rest / radix);
    }
    return { n, text: parts.join(NGRAM_JOINER) };
  };
  const decoded = new Map(kept.map((key) => [key, decode(key)]));
  if (options.maxFeatures > 0 && kept.length > options.maxFeatures) {
    kept.sort((a, b) => {
      const byCount = (termCount.get(b) as number) - (termCount.get(a) as number);
      return byCount !== 0 ? byCount : compareNgrams(decoded.get(a), decoded.get(b));
    });
    kept = kept.slice(0, options.maxFeatures);
  }
  kept.sort((a, b) => compareNgrams(decoded.get(a), decoded.get(b)));

  const vocabulary = kept.map((key) => (decoded.get(key) as { text: string }).text);
  const column = new Map(kept.map((key, j) => [key, j]));
  const idf = new Float32Array(kept.length);
  kept.forEach((key, j) => {
    idf[j] = Math.log((1 + docs.length) / (1 + (df.get(key) as number))) + 1;
  });
  const matrix = toCsr(
    docCounts.map((counts) => {
      const row: [number, number][] = [];
      for (const [key, count] of counts) {
        const j = column.get(key);
        if (j !== undefined) row.push([j, count]);
      }
      return row;
    }),
    idf,
    options.sublinearTf,
  );
  return { fitted: { vocabulary, idf }, matrix };
}

function compareNgrams(a: { n: number; text: string } | undefined, b: { n: number; text: string } | undefined): number {
  if (!a || !b) return 0;
  if (a.n !== b.n) return a.n - b.n;
  return a.text < b.text ? -1 : a.text > b.text ? 1 : 0;
}

/**
 * Builds L2-normalized TF-IDF rows from (column, count) pairs, in the graph's arithmetic:
 * tf → 1 + ln(tf) when sublinear, × idf, then divided by the row's L2 norm.
 */
export function toCsr(rows: readonly (readonly [number, number])[][], idf: Float32Array, sublinearTf: boolean): Csr {
  let nnz = 0;
  for (const row of rows) nnz += row.length;
  const indptr = new Int32Array(rows.length + 1);
  const indices = new Int32Array(nnz);
  const data = new Float64Array(nnz);
  let at = 0;
  rows.forEach((row, i) => {
    const sorted = [...row].sort((a, b) => a[0] - b[0]);
    let norm = 0;
    const start = at;
    for (const [j, count] of sorted) {
      const tf = sublinearTf ? 1 + Math.log(count) : count;
      const v = tf * (idf[j] as number);
      indices[at] = j;
      data[at] = v;
      norm += v * v;
      at++;
    }
    norm = Math.sqrt(norm);
    if (norm > 0) for (let k = start; k < at; k++) data[k] = (data[k] as number) / norm;
    indptr[i + 1] = at;
  });
  return { rows: rows.length, cols: idf.length, indptr, indices, data };
}

import { type Analyzer, NGRAM_JOINER, normalize, scanTokens } from '../text/preprocess.js';
import { grow, NgramTable } from './ngram-table.js';
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

/** Token ids for one corpus: interning lets n-grams be keyed by small integers instead of strings. */
class Interner {
  readonly tokens: string[] = [];
  private readonly index = new Map<string, number>();
  private ids = new Int32Array(1 << 12);

  /** The ids of a text's tokens, in order. */
  internText(text: string, analyzer: Analyzer): Int32Array {
    const normalized = normalize(text);
    let count = 0;
    scanTokens(normalized, analyzer, (start, end) => {
      const token = normalized.slice(start, end);
      let id = this.index.get(token);
      if (id === undefined) {
        id = this.tokens.length;
        this.index.set(token, id);
        this.tokens.push(token);
      }
      if (count >= this.ids.length) this.ids = grow(this.ids, count + 1, 0);
      this.ids[count++] = id;
    });
    return this.ids.slice(0, count);
  }
}

/** Fits the vocabulary and idf on training texts and returns them with the training matrix. */
export function fitTfidf(
  texts: readonly string[],
  options: TfidfOptions,
): { fitted: FittedTfidf; matrix: Csr } {
  const [minN, maxN] = options.ngramRange;
  const interner = new Interner();
  const table = new NgramTable();
  let df = new Int32Array(1024);
  let termCount = new Int32Array(1024);
  let lastDoc = new Int32Array(1024).fill(-1);
  // Each document's n-gram occurrences (ids, in order, lengths minN..maxN).
  const occurrences: Int32Array[] = [];
  const ending = new Int32Array(maxN + 1);
  let scratch = new Int32Array(1024);
  // A plain loop over locals: this is the hottest code in training (one pass per n-gram occurrence).
  for (let doc = 0; doc < texts.length; doc++) {
    const ids = interner.internText(texts[doc] as string, options.analyzer);
    // Room for every n-gram this document can add, so the inner loop never checks capacity.
    const most = ids.length * (maxN - minN + 1);
    if (table.size + most > df.length) {
      df = grow(df, table.size + most, 0);
      termCount = grow(termCount, table.size + most, 0);
      lastDoc = grow(lastDoc, table.size + most, -1);
    }
    if (most > scratch.length) scratch = grow(scratch, most, 0);
    let count = 0;
    for (let i = 0; i < ids.length; i++) {
      const token = ids[i] as number;
      // ending[n] = id of the n-gram of length n that ends at token i.
      for (let n = Math.min(maxN, i + 1); n >= 1; n--) {
        const gram = n === 1 ? table.unigramId(token) : table.extend(ending[n - 1] as number, token);
        ending[n] = gram;
        if (n < minN) continue;
        termCount[gram] = (termCount[gram] as number) + 1;
        if (lastDoc[gram] !== doc) {
          lastDoc[gram] = doc;
          df[gram] = (df[gram] as number) + 1;
        }
        scratch[count++] = gram;
      }
    }
    occurrences.push(scratch.slice(0, count));
  }

  const maxDocs = Math.floor(options.maxDf * texts.length);
  let kept: number[] = [];
  for (let gram = 0; gram < table.size; gram++) {
    const n = table.length[gram] as number;
    const d = df[gram] as number;
    if (n >= minN && d >= options.minDf && d <= maxDocs) kept.push(gram);
  }
  if (options.maxFeatures > 0 && kept.length > options.maxFeatures) {
    kept = mostFrequent(kept, termCount, options.maxFeatures);
  }
  // Order by length, then by tokens; tokens compare like the joined strings since the joiner sorts
  // below every token character. With tokens ranked once, an n-gram's order is one number.
  const rank = tokenRanks(interner.tokens);
  const radix = interner.tokens.length;
  const sequences = kept.map((gram) => table.tokens(gram));
  const sortKey = new Float64Array(kept.length);
  const exact = radix ** maxN * maxN < Number.MAX_SAFE_INTEGER;
  sequences.forEach((tokens, i) => {
    let key = 0;
    for (const t of tokens) key = key * radix + (rank[t] as number);
    // Shorter n-grams first: offset each length past every key of shorter lengths.
    sortKey[i] = key + (tokens.length - 1) * radix ** maxN;
  });
  const order = kept.map((_, i) => i);
  order.sort((a, b) =>
    exact
      ? (sortKey[a] as number) - (sortKey[b] as number)
      : compareSequences(sequences[a], sequences[b], rank),
  );
  const named = order.map((i) => ({
    gram: kept[i] as number,
    text: (sequences[i] as number[]).map((t) => interner.tokens[t] as string).join(NGRAM_JOINER),
  }));

  const vocabulary = named.map((g) => g.text);
  const column = new Int32Array(table.size).fill(-1);
  const idf = new Float32Array(named.length);
  named.forEach(({ gram }, j) => {
    column[gram] = j;
    idf[j] = Math.log((1 + texts.length) / (1 + (df[gram] as number))) + 1;
  });
  const matrix = buildCsr(occurrences, column, idf, options.sublinearTf);
  return { fitted: { vocabulary, idf }, matrix };
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
 * Builds L2-normalized TF-IDF rows from each document's n-gram occurrences, in the graph's arithmetic:
 * tf → 1 + ln(tf) when sublinear, × idf, then divided by the row's L2 norm.
 */
function buildCsr(
  occurrences: readonly Int32Array[],
  column: Int32Array,
  idf: Float32Array,
  sublinearTf: boolean,
): Csr {
  const features = idf.length;
  const counts = new Int32Array(features);
  const indptr = new Int32Array(occurrences.length + 1);
  let indices = new Int32Array(1 << 16);
  let data = new Float64Array(1 << 16);
  let nnz = 0;
  occurrences.forEach((grams, row) => {
    const start = nnz;
    for (const gram of grams) {
      const j = column[gram] as number;
      if (j === -1) continue;
      if (counts[j] === 0) {
        if (nnz >= indices.length) {
          indices = grow(indices, nnz + 1, 0);
          const bigger = new Float64Array(indices.length);
          bigger.set(data);
          data = bigger;
        }
        indices[nnz++] = j;
      }
      counts[j] = (counts[j] as number) + 1;
    }
    indices.subarray(start, nnz).sort();
    let norm = 0;
    for (let k = start; k < nnz; k++) {
      const j = indices[k] as number;
      const count = counts[j] as number;
      counts[j] = 0;
      const v = (sublinearTf ? 1 + Math.log(count) : count) * (idf[j] as number);
      data[k] = v;
      norm += v * v;
    }
    norm = Math.sqrt(norm);
    if (norm > 0) for (let k = start; k < nnz; k++) data[k] = (data[k] as number) / norm;
    indptr[row + 1] = nnz;
  });
  return {
    rows: occurrences.length,
    cols: features,
    indptr,
    indices: indices.slice(0, nnz),
    data: data.slice(0, nnz),
  };
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

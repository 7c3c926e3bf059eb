import { type Analyzer, normalize, scanTokens } from '../text/preprocess.js';
import { grow, NgramTable } from './ngram-table.js';

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
    return this.ids.subarray(0, count);
  }
}

/**
 * The n-gram counts of a run of documents. Ids (of tokens and n-grams) follow first occurrence, so
 * counting the chunks of a corpus separately and merging them in order gives exactly the ids of
 * counting it whole — the parallel vectorizer depends on that.
 */
export interface NgramCounts {
  readonly tokens: string[];
  /** Per n-gram id: length, prefix n-gram id (-1 for unigrams), last token id. */
  readonly length: Int32Array;
  readonly prefix: Int32Array;
  readonly last: Int32Array;
  readonly size: number;
  /** Per n-gram id (lengths within the range): documents containing it, and occurrences. */
  readonly df: Int32Array;
  readonly termCount: Int32Array;
  /** Document d's n-gram occurrences are occurrences[offsets[d] .. offsets[d+1]). */
  readonly occurrences: Int32Array;
  readonly offsets: Int32Array;
}

/** Counts the n-grams (lengths minN..maxN) of a run of documents. */
export function countChunk(
  texts: readonly string[],
  analyzer: Analyzer,
  minN: number,
  maxN: number,
): NgramCounts {
  const interner = new Interner();
  const table = new NgramTable();
  let df = new Int32Array(1024);
  let termCount = new Int32Array(1024);
  let lastDoc = new Int32Array(1024).fill(-1);
  let occurrences = new Int32Array(1 << 16);
  const offsets = new Int32Array(texts.length + 1);
  const ending = new Int32Array(maxN + 1);
  let count = 0;
  // A plain loop over locals: this is the hottest code in training (one pass per n-gram occurrence).
  for (let doc = 0; doc < texts.length; doc++) {
    const ids = interner.internText(texts[doc] as string, analyzer);
    // Room for every n-gram this document can add, so the inner loop never checks capacity.
    const most = ids.length * (maxN - minN + 1);
    if (table.size + ids.length * maxN > df.length) {
      const capacity = table.size + ids.length * maxN;
      df = grow(df, capacity, 0);
      termCount = grow(termCount, capacity, 0);
      lastDoc = grow(lastDoc, capacity, -1);
    }
    if (count + most > occurrences.length) occurrences = grow(occurrences, count + most, 0);
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
        occurrences[count++] = gram;
      }
    }
    offsets[doc + 1] = count;
  }
  return {
    tokens: interner.tokens,
    length: table.length.slice(0, table.size),
    prefix: table.prefix.slice(0, table.size),
    last: table.last.slice(0, table.size),
    size: table.size,
    df: df.slice(0, table.size),
    termCount: termCount.slice(0, table.size),
    occurrences: occurrences.slice(0, count),
    offsets,
  };
}

/** Merges the counts of consecutive chunks of a corpus, in corpus order, into the counts of the whole. */
export function mergeCounts(chunks: readonly NgramCounts[]): NgramCounts {
  if (chunks.length === 1) return chunks[0] as NgramCounts;
  const tokens: string[] = [];
  const tokenIndex = new Map<string, number>();
  const table = new NgramTable();
  let df = new Int32Array(1024);
  let termCount = new Int32Array(1024);
  const documents = chunks.reduce((a, c) => a + c.offsets.length - 1, 0);
  const total = chunks.reduce((a, c) => a + c.occurrences.length, 0);
  const occurrences = new Int32Array(total);
  const offsets = new Int32Array(documents + 1);
  let doc = 0;
  let at = 0;
  for (const chunk of chunks) {
    const tokenMap = new Int32Array(chunk.tokens.length);
    chunk.tokens.forEach((token, local) => {
      let id = tokenIndex.get(token);
      if (id === undefined) {
        id = tokens.length;
        tokenIndex.set(token, id);
        tokens.push(token);
      }
      tokenMap[local] = id;
    });
    const gramMap = new Int32Array(chunk.size);
    for (let g = 0; g < chunk.size; g++) {
      const token = tokenMap[chunk.last[g] as number] as number;
      gramMap[g] =
        chunk.length[g] === 1
          ? table.unigramId(token)
          : table.extend(gramMap[chunk.prefix[g] as number] as number, token);
    }
    if (table.size > df.length) {
      df = grow(df, table.size, 0);
      termCount = grow(termCount, table.size, 0);
    }
    for (let g = 0; g < chunk.size; g++) {
      const global = gramMap[g] as number;
      df[global] = (df[global] as number) + (chunk.df[g] as number);
      termCount[global] = (termCount[global] as number) + (chunk.termCount[g] as number);
    }
    for (let i = 0; i < chunk.occurrences.length; i++)
      occurrences[at + i] = gramMap[chunk.occurrences[i] as number] as number;
    for (let d = 1; d < chunk.offsets.length; d++) offsets[doc + d] = at + (chunk.offsets[d] as number);
    doc += chunk.offsets.length - 1;
    at += chunk.occurrences.length;
  }
  return {
    tokens,
    length: table.length.slice(0, table.size),
    prefix: table.prefix.slice(0, table.size),
    last: table.last.slice(0, table.size),
    size: table.size,
    df: df.slice(0, table.size),
    termCount: termCount.slice(0, table.size),
    occurrences,
    offsets,
  };
}

/**
 * Interns n-grams as integers. An n-gram of length n ≥ 2 is the pair (its first n-1 tokens' id, its
 * last token), so every n-gram gets a small integer id from one open-addressing hash table of int
 * pairs: no strings and no Map with large numeric keys on the hot path of vectorizing.
 */
export class NgramTable {
  /** Per n-gram id: length, prefix id (-1 for a unigram), last token id. */
  length: Int32Array<ArrayBuffer> = new Int32Array(1024);
  prefix: Int32Array<ArrayBuffer> = new Int32Array(1024);
  last: Int32Array<ArrayBuffer> = new Int32Array(1024);
  size = 0;

  private keysA = new Int32Array(1 << 16).fill(-1);
  private keysB = new Int32Array(1 << 16);
  private values = new Int32Array(1 << 16);
  private mask = (1 << 16) - 1;
  /** Unigram id of each token id. */
  private unigram: Int32Array<ArrayBuffer> = new Int32Array(1024).fill(-1);

  /** The id of the unigram `token`. */
  unigramId(token: number): number {
    if (token >= this.unigram.length) this.unigram = grow(this.unigram, token + 1, -1);
    let id = this.unigram[token] as number;
    if (id === -1) {
      id = this.add(1, -1, token);
      this.unigram[token] = id;
    }
    return id;
  }

  /** The id of the n-gram made of n-gram `prefix` followed by `token`. */
  extend(prefix: number, token: number): number {
    let slot = hash(prefix, token) & this.mask;
    for (;;) {
      const a = this.keysA[slot] as number;
      if (a === -1) break;
      if (a === prefix && this.keysB[slot] === token) return this.values[slot] as number;
      slot = (slot + 1) & this.mask;
    }
    const id = this.add((this.length[prefix] as number) + 1, prefix, token);
    this.keysA[slot] = prefix;
    this.keysB[slot] = token;
    this.values[slot] = id;
    if (this.size * 2 > this.mask) this.rehash();
    return id;
  }

  private add(n: number, prefix: number, token: number): number {
    const id = this.size++;
    if (id >= this.length.length) {
      const capacity = this.length.length * 2;
      this.length = grow(this.length, capacity, 0);
      this.prefix = grow(this.prefix, capacity, 0);
      this.last = grow(this.last, capacity, 0);
    }
    this.length[id] = n;
    this.prefix[id] = prefix;
    this.last[id] = token;
    return id;
  }

  private rehash(): void {
    const { keysA, keysB, values } = this;
    const capacity = keysA.length * 2;
    this.keysA = new Int32Array(capacity).fill(-1);
    this.keysB = new Int32Array(capacity);
    this.values = new Int32Array(capacity);
    this.mask = capacity - 1;
    for (let i = 0; i < keysA.length; i++) {
      const a = keysA[i] as number;
      if (a === -1) continue;
      const b = keysB[i] as number;
      let slot = hash(a, b) & this.mask;
      while (this.keysA[slot] !== -1) slot = (slot + 1) & this.mask;
      this.keysA[slot] = a;
      this.keysB[slot] = b;
      this.values[slot] = values[i] as number;
    }
  }
}

function hash(a: number, b: number): number {
  let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77);
  h ^= h >>> 15;
  return h >>> 0;
}

/** A larger copy of `array` (at least `min` long), new slots set to `fill`. */
export function grow(array: Int32Array, min: number, fill: number): Int32Array<ArrayBuffer> {
  let capacity = Math.max(array.length * 2, 16);
  while (capacity < min) capacity *= 2;
  const out = new Int32Array(capacity);
  out.set(array);
  if (fill !== 0) out.fill(fill, array.length);
  return out;
}

/**
 * A many-class text set, generated deterministically so every machine benchmarks the same texts:
 * made-up words over a Zipf distribution (like a real vocabulary), each class with its own topic words
 * and a few set phrases mixed into shared filler, texts of 10–80 words. With 40 classes and 12,000
 * training texts it keeps ~60k word 1–2-grams at min_df 2, the size of a real topic-classification set.
 */
import { type Dataset, datasetSha256, type Row } from '@slipway/training-job';

/** mulberry32: a tiny seeded PRNG, so the same seed gives the same texts everywhere. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYLLABLES = [
  'ka',
  'lo',
  'mi',
  're',
  'su',
  'ta',
  'ne',
  'po',
  'vi',
  'da',
  'ri',
  'mo',
  'bel',
  'tor',
  'shi',
  'an',
  'ex',
  'ul',
  'ga',
  'fe',
];

/** Index sampler for a Zipf(1) distribution over n items, by inverse CDF on a precomputed table. */
function zipf(n: number, rand: () => number): () => number {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    sum += 1 / (i + 1);
    cdf[i] = sum;
  }
  return () => {
    const x = rand() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cdf[mid] as number) < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

export interface ManyClassOptions {
  readonly classes?: number;
  readonly train?: number;
  readonly test?: number;
  readonly vocabulary?: number;
  readonly seed?: number;
}

export function manyClassDataset(options: ManyClassOptions = {}): Dataset {
  const { classes = 40, train = 12_000, test = 3_000, vocabulary = 30_000, seed = 2026 } = options;
  const rand = seeded(seed);
  const words: string[] = [];
  const seen = new Set<string>();
  while (words.length < vocabulary) {
    const length = 2 + Math.floor(rand() * 3);
    let w = '';
    for (let i = 0; i < length; i++) w += SYLLABLES[Math.floor(rand() * SYLLABLES.length)];
    if (!seen.has(w)) {
      seen.add(w);
      words.push(w);
    }
  }
  const common = zipf(vocabulary, rand);
  const topicSize = 400;
  const topicPick = zipf(topicSize, rand);
  const topics = Array.from({ length: classes }, () =>
    Array.from({ length: topicSize }, () => words[Math.floor(rand() * vocabulary)] as string),
  );
  const phrases = Array.from({ length: classes }, (_, c) =>
    Array.from({ length: 5 }, () =>
      Array.from(
        { length: 2 + Math.floor(rand() * 3) },
        () => (topics[c] as string[])[Math.floor(rand() * 60)],
      ).join(' '),
    ),
  );
  const labels = Array.from({ length: classes }, (_, c) => `topic-${String(c).padStart(2, '0')}`);
  const make = (count: number): Row[] =>
    Array.from({ length: count }, () => {
      const c = Math.floor(rand() * classes);
      const length = 10 + Math.floor(rand() * 70);
      const out: string[] = [];
      while (out.length < length) {
        const r = rand();
        if (r < 0.22) out.push((topics[c] as string[])[topicPick()] as string);
        else if (r < 0.25) out.push((phrases[c] as string[])[Math.floor(rand() * 5)] as string);
        else out.push(words[common()] as string);
      }
      const text = out.join(' ');
      return { text: text.charAt(0).toUpperCase() + text.slice(1), label: labels[c] as string };
    });
  const trainRows = make(train);
  const testRows = make(test);
  return {
    name: `many-class-${classes}`,
    sha256: datasetSha256(trainRows, testRows),
    train: trainRows,
    test: testRows,
    classes: labels,
    source: `generated (training-job/bench/many-class.ts, seed ${seed})`,
    split: { testFile: 'generated' },
  };
}

import type { Dataset, Row } from '@slipway/training-job';
import { datasetSha256 } from '@slipway/training-job';

/** A seeded generator (mulberry32) so synthetic datasets are identical on every run. */
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

/**
 * A many-class dataset: each class has its own small vocabulary mixed with shared noise words, so a
 * correct trainer separates them well and a broken one does not.
 */
export function syntheticDataset(classes: number, rowsPerClass: number, seed = 7): Dataset {
  const rand = seeded(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const noise = Array.from({ length: 50 }, (_, i) => `noise${i}`);
  const make = (n: number): Row[] => {
    const rows: Row[] = [];
    for (let c = 0; c < classes; c++) {
      const own = Array.from({ length: 6 }, (_, i) => `topic${c}word${i}`);
      for (let r = 0; r < n; r++) {
        const words = Array.from({ length: 8 }, () => (rand() < 0.4 ? pick(own) : pick(noise)));
        rows.push({ text: words.join(' '), label: `class-${String(c).padStart(2, '0')}` });
      }
    }
    return rows;
  };
  const train = make(rowsPerClass);
  const test = make(Math.max(2, Math.floor(rowsPerClass / 4)));
  const labels = [...new Set(train.map((r) => r.label))].sort();
  return {
    name: `synthetic-${classes}`,
    sha256: datasetSha256(train, test),
    train,
    test,
    classes: labels,
    source: 'synthetic',
    split: { testFile: 'synthetic' },
  };
}

/**
 * A small dataset whose texts share long phrases, so every n-gram length up to 8 (words or
 * characters) occurs in two or more texts: a model exists for every n-gram range of the grid.
 * Accents, Greek capitals and CJK keep lowercasing and tokenizing in play.
 */
export function phraseDataset(seed = 11): Dataset {
  const rand = seeded(seed);
  const phrases: Record<string, string[]> = {
    sport: ['the home team scored twice in the final minutes', 'ΟΙ ΠΑΙΚΤΕΣ έπαιξαν πολύ καλά απόψε'],
    cooking: ['crème brûlée needs slow heat and fresh vanilla beans', '这道菜 需要 慢火 和 新鲜的 香草'],
    travel: [
      'the night train crosses the alps before dawn arrives',
      'İSTANBUL köprüsü akşam çok güzel görünür',
    ],
  };
  const noise = ['really', 'today', 'again', 'maybe', 'honestly', 'ok', 'well', 'so'];
  const make = (perClass: number): Row[] =>
    Object.entries(phrases).flatMap(([label, own]) =>
      Array.from({ length: perClass }, (_, i) => {
        const phrase = own[i % own.length] as string;
        const before = noise[Math.floor(rand() * noise.length)] as string;
        const after = noise[Math.floor(rand() * noise.length)] as string;
        return { text: `${before} ${phrase} ${after}`, label };
      }),
    );
  const train = make(8);
  const test = make(3);
  return {
    name: 'phrases',
    sha256: datasetSha256(train, test),
    train,
    test,
    classes: Object.keys(phrases).sort(),
    source: 'synthetic',
    split: { testFile: 'synthetic' },
  };
}

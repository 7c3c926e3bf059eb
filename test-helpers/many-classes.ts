/** Names like a real many-class data set has: short ones, and long ones a layout must not cut. */
function classNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) =>
    i % 7 === 3
      ? `billing-and-payment-question-${String(i).padStart(3, '0')}`
      : `topic-${String(i).padStart(3, '0')}`,
  );
}

/**
 * A CSV (`text,label`) with `count` classes of `rowsPerClass` rows each. Each class has its own words,
 * and a text borrows words from the next class with probability `1 - own`, so a model confuses
 * neighbours: a confusion matrix with something to show. Seeded: the same arguments give the same file.
 * @example await writeFile(path, manyClassCsv(100, 20));
 */
export function manyClassCsv(count: number, rowsPerClass: number, own = 0.5, seed = 7): string {
  let state = seed;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const names = classNames(count);
  const rows = ['text,label'];
  names.forEach((name, i) => {
    for (let k = 0; k < rowsPerClass; k++) {
      const words: string[] = [];
      for (let w = 0; w < 6; w++) {
        const from = random() < own ? i : (i + 1) % count;
        words.push(`w${from}x${Math.floor(random() * 3)}`);
      }
      words.push(`noise${Math.floor(random() * 50)}`);
      rows.push(`${words.join(' ')},${name}`);
    }
  });
  return `${rows.join('\n')}\n`;
}

/**
 * A CSV (`text,label`) shaped like a real many-class data set: class sizes fall off like Zipf's law
 * (the first class has `largest` rows, class i about largest / (i + 1), at least 4), and each of a
 * text's 8 words is the class's own with probability `signal`, otherwise a word every class uses.
 * Seeded: the same arguments give the same file. Small enough to train in a second.
 * @example await writeFile(path, skewedManyClassCsv(43, 120, 0.3));
 */
export function skewedManyClassCsv(count: number, largest: number, signal: number, seed = 11): string {
  let state = seed;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const names = classNames(count);
  const rows = ['text,label'];
  names.forEach((name, i) => {
    const size = Math.max(4, Math.round(largest / (i + 1)));
    for (let k = 0; k < size; k++) {
      const words: string[] = [];
      for (let w = 0; w < 8; w++)
        words.push(
          random() < signal ? `c${i}w${Math.floor(random() * 4)}` : `common${Math.floor(random() * 40)}`,
        );
      rows.push(`${words.join(' ')},${name}`);
    }
  });
  return `${rows.join('\n')}\n`;
}

import type { Dataset } from './types.js';

/**
 * One line about the texts longer than the endpoint accepts (`maxChars`, UTF-16 code units as the
 * server counts them): how many, and the longest with its label. Undefined when there are none.
 * Training keeps them; the served model will refuse texts that long with a 400.
 * @example longTextWarning(dataset, 10_000) // 'warning   3 texts are longer than …'
 */
export function longTextWarning(
  dataset: Pick<Dataset, 'train' | 'test'>,
  maxChars: number,
): string | undefined {
  let count = 0;
  let longest: { chars: number; label: string; split: string } | undefined;
  for (const [split, rows] of [
    ['train', dataset.train],
    ['test', dataset.test],
  ] as const) {
    for (const row of rows) {
      if (row.text.length <= maxChars) continue;
      count++;
      if (!longest || row.text.length > longest.chars)
        longest = { chars: row.text.length, label: row.label, split };
    }
  }
  if (!longest) return undefined;
  const n = (x: number) => x.toLocaleString('en-US');
  return (
    `warning   ${n(count)} text${count === 1 ? ' is' : 's are'} longer than the ${n(maxChars)} characters the endpoint accepts ` +
    `(longest: ${n(longest.chars)} characters, label "${longest.label}", ${longest.split} split); they train as they are, ` +
    'but the served model answers 400 to texts that long: cut or split them if requests will look like them'
  );
}

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dataError } from '../errors.js';
import { type BuiltinRow, expectCounts, packageDir } from './packages.js';

const SOURCES = ['amazon', 'imdb', 'yelp'] as const;
const LABELS: Readonly<Record<number, string>> = { 0: 'negative', 1: 'positive' };

/** Rows per class the UCI Sentiment Labelled Sentences set has (1,000 per source, half each). */
const SENTIMENT_COUNTS = { negative: 1500, positive: 1500 } as const;

/**
 * UCI Sentiment Labelled Sentences as shipped by `sentiment@5` in `test/fixtures/{amazon,imdb,yelp}.json`
 * (`[{text, class: 0|1}]`, each file ending with an empty `{text: "", class: null}` entry, skipped).
 * Ids are `<source>/<1-based index, 4 digits>`.
 */
export async function loadSentiment(): Promise<BuiltinRow[]> {
  const dir = join(packageDir('sentiment'), 'test', 'fixtures');
  const rows: BuiltinRow[] = [];
  for (const source of SOURCES) {
    const file = join(dir, `${source}.json`);
    let entries: unknown;
    try {
      entries = JSON.parse(await readFile(file, 'utf8'));
    } catch (cause) {
      throw dataError(
        file,
        undefined,
        'cannot be read as JSON; reinstall `sentiment@5.0.2` with `npm ci`',
        cause,
      );
    }
    if (!Array.isArray(entries))
      throw dataError(file, undefined, 'is not a JSON array; expected sentiment@5.0.2');
    entries.forEach((entry: { text?: unknown; class?: unknown }, index) => {
      if (entry.class === null && entry.text === '') return;
      const label = typeof entry.class === 'number' ? LABELS[entry.class] : undefined;
      if (typeof entry.text !== 'string' || label === undefined) {
        throw dataError(
          file,
          undefined,
          `entry ${index} is not {text, class: 0|1}; expected sentiment@5.0.2`,
        );
      }
      rows.push({ id: `${source}/${String(index + 1).padStart(4, '0')}`, text: entry.text, label });
    });
  }
  expectCounts(rows, SENTIMENT_COUNTS, dir);
  return rows;
}

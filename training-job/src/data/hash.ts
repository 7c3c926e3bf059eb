import { createHash } from 'node:crypto';
import type { Row } from './types.js';

/** One row as a canonical JSON line: keys `text` then `label`, `JSON.stringify` escaping, then "\n". */
function canonicalLine(row: Row): string {
  // Same bytes as JSON.stringify({ text, label }), without building an object per row.
  return `{"text":${JSON.stringify(row.text)},"label":${JSON.stringify(row.label)}}\n`;
}

/** The canonical `train.jsonl` / `test.jsonl` content: every row's canonical line, in order. */
export function canonicalJsonl(rows: readonly Row[]): string {
  let out = '';
  for (const row of rows) out += canonicalLine(row);
  return out;
}

/**
 * The dataset version: lowercase hex sha256 over the UTF-8 bytes of
 * `"train\n" + canonicalJsonl(train) + "test\n" + canonicalJsonl(test)`, where each row is the line
 * `JSON.stringify({text, label}) + "\n"` in the dataset's order. The files written by `writeDataset`
 * are exactly those canonical JSONL texts, so the hash can be re-checked from the file bytes alone.
 * Name, source and split settings are not part of the hash; only the rows and their order are.
 *
 * @example datasetSha256([{ text: 'good', label: 'pos' }], [{ text: 'bad', label: 'neg' }])
 */
export function datasetSha256(train: readonly Row[], test: readonly Row[]): string {
  const hash = createHash('sha256');
  // Rows are fed in chunks of about 1 MB: one update call per row costs more than the hashing.
  let chunk = 'train\n';
  const feed = (rows: readonly Row[]) => {
    for (const row of rows) {
      chunk += canonicalLine(row);
      if (chunk.length > 1 << 20) {
        hash.update(chunk);
        chunk = '';
      }
    }
  };
  feed(train);
  chunk += 'test\n';
  feed(test);
  return hash.update(chunk).digest('hex');
}

/** The same hash from the bytes of canonical `train.jsonl` and `test.jsonl` files. */
export function sha256OfFiles(train: Uint8Array, test: Uint8Array): string {
  return createHash('sha256').update('train\n').update(train).update('test\n').update(test).digest('hex');
}

import { createHash } from 'node:crypto';
import { DATASET_SCHEMA } from './manifest.js';

/** A labelled text as the dataset files hold it. */
export interface DatasetRow {
  readonly text: string;
  readonly label: string;
}

/** One row as a canonical JSON line: keys `text` then `label`, `JSON.stringify` escaping, then "\n". */
function canonicalLine(row: DatasetRow): string {
  // Same bytes as JSON.stringify({ text, label }), without building an object per row.
  return `{"text":${JSON.stringify(row.text)},"label":${JSON.stringify(row.label)}}\n`;
}

/** The canonical `train.jsonl` / `test.jsonl` content: every row's canonical line, in order. */
export function canonicalJsonl(rows: readonly DatasetRow[]): string {
  let out = '';
  for (const row of rows) out += canonicalLine(row);
  return out;
}

/**
 * The dataset version, the one definition every part uses (the store's key
 * `datasets/<name>/<sha256>/`, the lineage's `dataset.sha256`, the trainer's check): lowercase hex
 * sha256 over the UTF-8 bytes of `"train\n" + canonicalJsonl(train) + "test\n" + canonicalJsonl(test)`.
 * Only the rows and their order count; name, source and split settings do not. The stored files are
 * exactly those canonical texts, so {@link sha256OfFiles} re-checks a stored dataset from its bytes.
 *
 * @example datasetSha256([{ text: 'good', label: 'pos' }], [{ text: 'bad', label: 'neg' }])
 */
export function datasetSha256(train: readonly DatasetRow[], test: readonly DatasetRow[]): string {
  const hash = createHash('sha256');
  // Rows are fed in chunks of about 1 MB: one update call per row costs more than the hashing.
  let chunk = 'train\n';
  const feed = (rows: readonly DatasetRow[]) => {
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

/**
 * {@link datasetSha256} from the bytes of `train.jsonl` and `test.jsonl`.
 *
 * @example sha256OfFiles(stored.train, stored.test) === lineage.dataset.sha256
 */
export function sha256OfFiles(train: Uint8Array | string, test: Uint8Array | string): string {
  return createHash('sha256').update('train\n').update(train).update('test\n').update(test).digest('hex');
}

/**
 * The model store's former dataset version (sha256 over the two files' sha256s, labelled), which
 * `putDataset` used when called without `sha256`. Nothing writes it any more; it is kept only so a
 * dataset stored under it, and a lineage naming it, can still be checked.
 */
export function legacyDatasetContentHash(train: Uint8Array | string, test: Uint8Array | string): string {
  const hex = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');
  return createHash('sha256')
    .update(`${DATASET_SCHEMA}\ntrain.jsonl ${hex(train)}\ntest.jsonl ${hex(test)}\n`)
    .digest('hex');
}

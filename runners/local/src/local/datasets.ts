import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { defaultLimits } from '@slipway/inference';
import type { ModelStore } from '@slipway/model-store';
import {
  canonicalJsonl,
  DataError,
  type Dataset,
  type LoadOptions,
  loadDataset,
  longTextWarning,
} from '@slipway/training-job';

/**
 * Loads a dataset (`builtin:<name>` or a file) and stores it as a version in the model store, where
 * training jobs read it: `datasets/<name>/<sha256>/{train,test}.jsonl`. The files are the canonical
 * JSONL the dataset's hash is defined over, so the training job re-derives the same version from
 * them. Storing the same content again is a no-op.
 */
export async function storeDataset(
  store: ModelStore,
  spec: string,
  options: LoadOptions = {},
): Promise<{ dataset: Dataset; created: boolean }> {
  return putDataset(store, await loadDataset(spec, options));
}

async function putDataset(
  store: ModelStore,
  loaded: Dataset,
): Promise<{ dataset: Dataset; created: boolean }> {
  // Store names are lowercase; a file called "Reviews 2024.csv" becomes dataset "reviews-2024".
  const name =
    loaded.name
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[^a-z0-9]+/, '') || 'dataset';
  const dataset = name === loaded.name ? loaded : { ...loaded, name };
  const { created } = await store.putDataset(dataset.name, {
    train: canonicalJsonl(dataset.train),
    test: canonicalJsonl(dataset.test),
    sha256: dataset.sha256,
    manifest: {
      source: dataset.source,
      split: dataset.split,
      classes: dataset.classes,
      rows: { train: dataset.train.length, test: dataset.test.length },
    },
  });
  return { dataset, created };
}

/** A file a person uploaded: the name it had on their machine and its bytes. */
export interface UploadedFile {
  readonly name: string;
  readonly content: Uint8Array;
}

/** Stems that name a split rather than a dataset (as `slipway run --data` reads them). */
const SPLIT_STEMS = /^(train|training|test|testing|data|dataset)$/i;

/**
 * Stores uploaded files as a dataset version, checked by the very loader `slipway run --data <file>
 * [--test <file>]` uses (format by extension, encoding, rows, labels, the split). Nothing is stored
 * unless every check passes; errors name the uploaded files, not where they were put to be read.
 * The dataset is called `options.name`, else the train file's stem (`upload` for `train.csv` and the like).
 * `longTexts` is the warning `slipway run` prints about texts longer than the endpoint accepts.
 * @example await storeUploadedDataset(store, { train: { name: 'tickets.csv', content } })
 */
export async function storeUploadedDataset(
  store: ModelStore,
  files: { readonly train: UploadedFile; readonly test?: UploadedFile | undefined },
  options: Omit<LoadOptions, 'test'> = {},
): Promise<{ dataset: Dataset; created: boolean; longTexts: string | undefined }> {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-upload-'));
  const shown = new Map<string, string>();
  const place = async (role: 'train' | 'test', file: UploadedFile) => {
    const path = join(dir, role, safeFileName(file.name));
    await mkdir(join(dir, role));
    await writeFile(path, file.content);
    shown.set(path, file.name);
    return path;
  };
  try {
    const trainPath = await place('train', files.train);
    const testPath = files.test ? await place('test', files.test) : undefined;
    const fileName = safeFileName(files.train.name);
    const stem = fileName.slice(0, fileName.length - extname(fileName).length);
    const name = options.name ?? (SPLIT_STEMS.test(stem) || stem === '' ? 'upload' : stem.slice(0, 100));
    let loaded: Dataset;
    try {
      loaded = await loadDataset(trainPath, {
        ...options,
        name: name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'upload',
        ...(testPath ? { test: testPath } : {}),
      });
    } catch (error) {
      throw error instanceof DataError ? renamed(error, shown) : error;
    }
    // Where the rows came from, as the person knows it: not the temporary copy.
    const dataset: Dataset = {
      ...loaded,
      source: `upload:${files.train.name}`,
      split: files.test ? { testFile: `upload:${files.test.name}` } : loaded.split,
    };
    const stored = await putDataset(store, dataset);
    return { ...stored, longTexts: longTextWarning(stored.dataset, defaultLimits.maxTextChars) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The file's own name without any folder, in characters every file system takes; the extension is kept. */
function safeFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const cleaned = base
    .replace(/[^A-Za-z0-9._ -]+/g, '-')
    .replace(/^[.\s]+/, '')
    .slice(-200);
  return cleaned === '' || /^\.*$/.test(cleaned) ? 'data' : cleaned;
}

/** The same DataError with the temporary paths replaced by the names the person uploaded. */
function renamed(error: DataError, shown: ReadonlyMap<string, string>): DataError {
  let message = error.message;
  let file = error.file;
  for (const [path, name] of shown) {
    message = message.split(path).join(name);
    if (file === path) file = name;
  }
  return new DataError(message, {
    ...(file === undefined ? {} : { file }),
    ...(error.line === undefined ? {} : { line: error.line }),
    cause: error,
  });
}

import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { datasetSha256 } from '@slipway/contracts/dataset-hash';
import { listBuiltinDatasets, loadBuiltinRows } from './builtin/index.js';
import { parseCsv } from './csv.js';
import { dataError } from './errors.js';
import { parseJsonl } from './jsonl.js';
import type { SourcedRow } from './rows.js';
import { checkClassCount, checkSplitOptions, stratifiedSplit } from './split.js';
import {
  compareStrings,
  type Dataset,
  DEFAULT_SEED,
  DEFAULT_TEST_FRACTION,
  type LoadOptions,
  type Row,
  type Split,
} from './types.js';
import { decodeUtf8 } from './utf8.js';

const FORMATS: Readonly<Record<string, 'jsonl' | 'csv'>> = {
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.json-lines': 'jsonl',
  '.csv': 'csv',
};
const SUPPORTED = '.jsonl, .ndjson, .json-lines (JSON Lines) or .csv';
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/**
 * Loads a dataset and splits it into train and test.
 *
 * `spec` is `builtin:sentiment`, `builtin:spam`, a data file (JSON Lines or CSV, by extension), or a
 * directory (a SageMaker channel) holding `train.<ext>` (+ optional `test.<ext>`) or a single data
 * file. With a test file (`options.test`, or `test.<ext>` beside `train.<ext>`) the rows are used as
 * given and `seed`/`testFraction` are ignored; otherwise a stratified split seeded by `seed` is made.
 * Builtin rows are sorted by a stable id first, file rows keep the file's order.
 *
 * @example const data = await loadDataset('reviews.csv', { seed: 7 }); // data.train, data.test, data.sha256
 */
export async function loadDataset(spec: string, options: LoadOptions = {}): Promise<Dataset> {
  if (options.name !== undefined && !NAME.test(options.name)) {
    throw dataError(
      undefined,
      undefined,
      `dataset name "${options.name}" is not allowed: use letters, digits, ".", "_" and "-" (at most 100, starting with a letter or digit)`,
    );
  }
  const seed = options.seed ?? DEFAULT_SEED;
  const testFraction = options.testFraction ?? DEFAULT_TEST_FRACTION;
  if (spec.startsWith('builtin:')) return loadBuiltin(spec, options, seed, testFraction);

  const trainPath = await resolveDataFile(spec, 'train');
  const testPath =
    options.test !== undefined ? (await resolveDataFile(options.test, 'test')).file : trainPath.test;
  if (testPath === undefined) checkSplitOptions(seed, testFraction);
  const name = options.name ?? defaultName(spec);
  const trainRows = await readRows(trainPath.file);
  if (testPath === undefined) {
    const { train, test } = stratifiedSplit(trainRows, trainPath.file, seed, testFraction);
    return makeDataset(name, trainPath.file, train, test, { seed, testFraction });
  }
  const testRows = await readRows(testPath);
  const labels = new Set(trainRows.map((r) => r.label));
  checkClassCount([...labels], trainPath.file);
  const unseen = testRows.find((r) => !labels.has(r.label));
  if (unseen !== undefined) {
    throw dataError(
      testPath,
      unseen.line,
      `label "${unseen.label}" does not occur in the training data (${trainPath.file}); add training rows with that label or remove the test row`,
    );
  }
  return makeDataset(name, trainPath.file, trainRows, testRows, { testFile: testPath });
}

async function loadBuiltin(spec: string, options: LoadOptions, seed: number, testFraction: number) {
  const builtin = spec.slice('builtin:'.length);
  if (options.test !== undefined) {
    throw dataError(
      undefined,
      undefined,
      `${spec} is split by seed and testFraction; a test file only goes with your own data file`,
    );
  }
  checkSplitOptions(seed, testFraction);
  const rows = await loadBuiltinRows(builtin);
  if (rows === undefined) {
    const known = listBuiltinDatasets()
      .map((b) => `builtin:${b.name}`)
      .join(', ');
    throw dataError(undefined, undefined, `unknown builtin dataset "${spec}"; choose one of ${known}`);
  }
  const { train, test } = stratifiedSplit(rows, spec, seed, testFraction);
  return makeDataset(options.name ?? builtin, spec, train, test, { seed, testFraction });
}

function makeDataset(
  name: string,
  source: string,
  trainRows: readonly Row[],
  testRows: readonly Row[],
  split: Split,
): Dataset {
  const train = trainRows.map(({ text, label }) => ({ text, label }));
  const test = testRows.map(({ text, label }) => ({ text, label }));
  const classes = [...new Set(train.map((r) => r.label))].sort(compareStrings);
  return { name, sha256: datasetSha256(train, test), train, test, classes, source, split };
}

/** File stems that name a split, not a dataset: `reviews/train.csv` is the dataset "reviews". */
const SPLIT_STEMS = /^(train|training|test|testing|data|dataset)$/i;

/**
 * The dataset name a path gives: its base name without extension (the folder's name when the file is
 * called train, test or data), reduced to allowed characters.
 */
function defaultName(spec: string): string {
  const path = resolve(spec);
  const base = basename(path);
  const fileStem = base.slice(0, base.length - extname(base).length) || base;
  const folder = basename(dirname(path));
  const stem = SPLIT_STEMS.test(fileStem) && folder !== '' && folder !== '/' ? folder : fileStem;
  const cleaned = stem.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return cleaned.slice(0, 100) || 'dataset';
}

/** Resolves a file or a channel directory to the data file to read (and, for train, a sibling test file). */
async function resolveDataFile(
  path: string,
  role: 'train' | 'test',
): Promise<{ file: string; test: string | undefined }> {
  const absolute = resolve(path);
  const info = await stat(absolute).catch((cause: NodeJS.ErrnoException) => {
    const hint =
      cause.code === 'ENOENT'
        ? `does not exist; give a ${SUPPORTED} file, a directory holding one, or builtin:sentiment / builtin:spam`
        : `cannot be read (${cause.code ?? cause.message})`;
    throw dataError(absolute, undefined, hint, cause);
  });
  if (info.isFile()) {
    formatOf(absolute);
    return { file: absolute, test: undefined };
  }
  if (!info.isDirectory()) throw dataError(absolute, undefined, `is neither a file nor a directory`);
  const names = (await readdir(absolute, { withFileTypes: true }))
    .filter(
      (e) => e.isFile() && !e.name.startsWith('.') && FORMATS[extname(e.name).toLowerCase()] !== undefined,
    )
    .map((e) => e.name)
    .sort(compareStrings);
  const named = (stem: string) => {
    const found = names.filter((n) => n.slice(0, n.length - extname(n).length) === stem);
    if (found.length > 1) {
      throw dataError(absolute, undefined, `holds ${found.join(' and ')}; keep only one ${stem} file`);
    }
    return found[0] === undefined ? undefined : join(absolute, found[0]);
  };
  const own = named(role);
  if (own !== undefined) return { file: own, test: role === 'train' ? named('test') : undefined };
  const candidates = role === 'train' ? names.filter((n) => !/^test\./.test(n)) : names;
  const only = candidates[0];
  if (candidates.length === 1 && only !== undefined) return { file: join(absolute, only), test: undefined };
  const problem =
    candidates.length === 0
      ? `holds no ${role} data file (${SUPPORTED})`
      : `holds several data files (${candidates.join(', ')})`;
  throw dataError(
    absolute,
    undefined,
    `${problem}; name it ${role}.jsonl or ${role}.csv, or pass the file itself`,
  );
}

function formatOf(file: string): 'jsonl' | 'csv' {
  const ext = extname(file).toLowerCase();
  const format = FORMATS[ext];
  if (format !== undefined) return format;
  const hint =
    ext === '.json'
      ? 'a .json file is one document; write one object per line and name it .jsonl'
      : `use ${SUPPORTED}`;
  throw dataError(file, undefined, `has an unsupported extension "${ext || '(none)'}"; ${hint}`);
}

/** Reads and validates the rows of one JSON Lines or CSV file. */
async function readRows(file: string): Promise<SourcedRow[]> {
  const format = formatOf(file);
  const bytes = await readFile(file).catch((cause: NodeJS.ErrnoException) => {
    const problem =
      cause.code === 'ENOENT' ? 'does not exist' : `cannot be read (${cause.code ?? cause.message})`;
    throw dataError(file, undefined, `${problem}; check the path`, cause);
  });
  const content = decodeUtf8(bytes, file);
  return format === 'csv' ? parseCsv(content, file) : parseJsonl(content, file);
}

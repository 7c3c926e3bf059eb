import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { DATASET_SCHEMA } from '@slipway/contracts';
import { canonicalJsonl, sha256OfFiles } from '@slipway/contracts/dataset-hash';
import { dataError } from './errors.js';
import { parseJsonl } from './jsonl.js';
import { compareStrings, type Dataset, type Split } from './types.js';
import { decodeUtf8 } from './utf8.js';

/** What manifest.json of a dataset directory holds. */
export interface DatasetManifest {
  readonly schema: typeof DATASET_SCHEMA;
  readonly name: string;
  readonly sha256: string;
  readonly rows: { readonly train: number; readonly test: number };
  /** Rows per label over train and test. */
  readonly classes: Readonly<Record<string, number>>;
  readonly source: string;
  readonly split: Split;
  /** sha256 and size of each data file, so a copy can be checked file by file. */
  readonly files: Readonly<
    Record<'train.jsonl' | 'test.jsonl', { readonly sha256: string; readonly bytes: number }>
  >;
}

/**
 * The content of a dataset directory: canonical `train.jsonl` / `test.jsonl` text and the manifest.
 * For stores that write the files themselves (e.g. the model store's `putDataset`, given `sha256`).
 *
 * @example const { trainJsonl, testJsonl, manifest } = datasetFiles(ds);
 */
export function datasetFiles(
  dataset: Dataset,
  where?: string,
): { trainJsonl: string; testJsonl: string; manifest: DatasetManifest } {
  const trainJsonl = canonicalJsonl(dataset.train);
  const testJsonl = canonicalJsonl(dataset.test);
  const sha256 = sha256OfFiles(Buffer.from(trainJsonl), Buffer.from(testJsonl));
  if (sha256 !== dataset.sha256) {
    throw dataError(
      where,
      undefined,
      `dataset "${dataset.name}" says sha256 ${dataset.sha256} but its rows hash to ${sha256}; build datasets with loadDataset or readDatasetDir instead of editing them`,
    );
  }
  return { trainJsonl, testJsonl, manifest: manifestOf(dataset, trainJsonl, testJsonl) };
}

/**
 * Writes `train.jsonl`, `test.jsonl` (canonical, see `datasetSha256`) and `manifest.json` into
 * `dir`, atomically: the files go to a temporary directory beside `dir` that is then renamed, so `dir`
 * either does not exist or is complete. Writing a dataset that is already there with the same sha256
 * succeeds without changing it; a different one there is an error.
 *
 * @example await writeDataset(`store/datasets/${ds.name}/${ds.sha256}`, ds);
 */
export async function writeDataset(dir: string, dataset: Dataset): Promise<void> {
  const target = resolve(dir);
  const { trainJsonl, testJsonl, manifest } = datasetFiles(dataset, target);
  const parent = dirname(target);
  let temp: string | undefined;
  try {
    try {
      await mkdir(parent, { recursive: true });
      temp = await mkdtemp(join(parent, `.${basename(target)}.tmp-`));
      await writeFile(join(temp, 'train.jsonl'), trainJsonl, { flush: true });
      await writeFile(join(temp, 'test.jsonl'), testJsonl, { flush: true });
      await writeFile(join(temp, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, { flush: true });
    } catch (cause) {
      throw dataError(
        target,
        undefined,
        `could not write the dataset (${(cause as Error).message}); nothing was written`,
        cause,
      );
    }
    try {
      await rename(temp, target);
      temp = undefined;
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') {
        throw dataError(
          target,
          undefined,
          `could not move the dataset into place (${(cause as Error).message})`,
          cause,
        );
      }
      // Same content already there (datasets are content-addressed): nothing to do.
      const existing = await readDatasetDir(target).catch(() => undefined);
      if (existing?.sha256 === dataset.sha256) return;
      throw dataError(
        target,
        undefined,
        `already exists and does not hold dataset ${dataset.sha256}; a dataset directory never changes: write to a new directory or remove this one`,
        cause,
      );
    }
  } finally {
    if (temp !== undefined) await rm(temp, { recursive: true, force: true });
  }
}

/** Rows per label over train and test, keys in sorted order. */
function classCounts(dataset: Dataset): Record<string, number> {
  const counts = new Map<string, number>();
  for (const row of [...dataset.train, ...dataset.test])
    counts.set(row.label, (counts.get(row.label) ?? 0) + 1);
  // fromEntries defines own properties, so a label such as "__proto__" stays a plain key.
  return Object.fromEntries([...counts].sort(([a], [b]) => compareStrings(a, b)));
}

function manifestOf(dataset: Dataset, trainText: string, testText: string): DatasetManifest {
  const file = (text: string) => ({
    sha256: createHash('sha256').update(text).digest('hex'),
    bytes: Buffer.byteLength(text),
  });
  return {
    schema: DATASET_SCHEMA,
    name: dataset.name,
    sha256: dataset.sha256,
    rows: { train: dataset.train.length, test: dataset.test.length },
    classes: classCounts(dataset),
    source: dataset.source,
    split: cleanSplit(dataset.split),
    files: { 'train.jsonl': file(trainText), 'test.jsonl': file(testText) },
  };
}

/** What readDatasetDir needs from a manifest; the rest is checked only when present. */
interface ReadManifest {
  readonly name: string;
  readonly sha256: string;
  readonly rows?: { readonly train: number; readonly test: number };
  readonly classes?: Readonly<Record<string, number>> | readonly string[];
  readonly source?: string;
  readonly split?: Split;
}

/**
 * Reads a dataset directory (as written by {@link writeDataset}, or by the model store's
 * `putDataset`, whose manifest adds `createdAt` and may list classes as an array) and checks it:
 * the sha256 of the file bytes always, row and class counts when the manifest has them. Any
 * mismatch is a DataError. Without `split` in the manifest the split reads as `{testFile: <dir>/test.jsonl}`.
 *
 * @example const ds = await readDatasetDir(`store/datasets/spam/${sha}`);
 */
export async function readDatasetDir(dir: string): Promise<Dataset> {
  const target = resolve(dir);
  const manifestFile = join(target, 'manifest.json');
  const read = (file: string) =>
    readFile(file).catch((cause: NodeJS.ErrnoException) => {
      const problem =
        cause.code === 'ENOENT' ? 'is missing' : `cannot be read (${cause.code ?? cause.message})`;
      throw dataError(file, undefined, `${problem}; ${target} is not a complete dataset directory`, cause);
    });
  const manifest = parseManifest(decodeUtf8(await read(manifestFile), manifestFile), manifestFile);
  const trainFile = join(target, 'train.jsonl');
  const testFile = join(target, 'test.jsonl');
  const [trainBytes, testBytes] = await Promise.all([read(trainFile), read(testFile)]);
  const sha256 = sha256OfFiles(trainBytes, testBytes);
  if (sha256 !== manifest.sha256) {
    throw dataError(
      target,
      undefined,
      `content hashes to ${sha256} but manifest.json says ${manifest.sha256}: the files were changed or damaged; write the dataset again`,
    );
  }
  const rowsOf = (bytes: Buffer, file: string) =>
    parseJsonl(decodeUtf8(bytes, file), file).map(({ text, label }) => ({ text, label }));
  const train = rowsOf(trainBytes, trainFile);
  const test = rowsOf(testBytes, testFile);
  const dataset: Dataset = {
    name: manifest.name,
    sha256,
    train,
    test,
    classes: [...new Set(train.map((r) => r.label))].sort(compareStrings),
    source: manifest.source ?? target,
    split: cleanSplit(manifest.split ?? { testFile }),
  };
  const counts = classCounts(dataset);
  const mismatch = (what: string, said: unknown, found: unknown) =>
    dataError(
      manifestFile,
      undefined,
      `${what} ${JSON.stringify(said)} do not match the files' ${JSON.stringify(found)}; write the dataset again`,
    );
  const rows = { train: train.length, test: test.length };
  if (
    manifest.rows !== undefined &&
    (manifest.rows.train !== rows.train || manifest.rows.test !== rows.test)
  ) {
    throw mismatch('rows', manifest.rows, rows);
  }
  if (Array.isArray(manifest.classes)) {
    const listed = [...manifest.classes].sort(compareStrings);
    if (JSON.stringify(listed) !== JSON.stringify(Object.keys(counts).sort(compareStrings))) {
      throw mismatch('classes', manifest.classes, Object.keys(counts));
    }
  } else if (manifest.classes !== undefined) {
    const sorted = (o: object) => JSON.stringify(Object.entries(o).sort(([a], [b]) => compareStrings(a, b)));
    if (sorted(manifest.classes) !== sorted(counts)) throw mismatch('classes', manifest.classes, counts);
  }
  return dataset;
}

function cleanSplit(split: Split): Split {
  return 'testFile' in split
    ? { testFile: split.testFile }
    : { seed: split.seed, testFraction: split.testFraction };
}

function parseManifest(text: string, file: string): ReadManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw dataError(
      file,
      undefined,
      `is not valid JSON (${(cause as Error).message}); write the dataset again`,
      cause,
    );
  }
  const m = value as Partial<Record<keyof DatasetManifest, unknown>> | null;
  const bad = (what: string) =>
    dataError(file, undefined, `${what}; expected a ${DATASET_SCHEMA} manifest as written by writeDataset`);
  if (typeof m !== 'object' || m === null || Array.isArray(m)) throw bad('is not a JSON object');
  if (m.schema !== DATASET_SCHEMA) throw bad(`has schema ${JSON.stringify(m.schema)}`);
  if (typeof m.name !== 'string') throw bad('lacks a string name');
  if (typeof m.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(m.sha256)) throw bad('lacks a hex sha256');
  if (m.source !== undefined && typeof m.source !== 'string') throw bad('has a source that is not a string');
  const rows = m.rows as { train?: unknown; test?: unknown } | undefined;
  if (rows !== undefined && (!Number.isInteger(rows?.train) || !Number.isInteger(rows?.test))) {
    throw bad('has rows without integer train/test');
  }
  const classes = m.classes;
  const classesOk =
    classes === undefined ||
    (Array.isArray(classes) && classes.every((c) => typeof c === 'string')) ||
    (typeof classes === 'object' &&
      classes !== null &&
      !Array.isArray(classes) &&
      Object.values(classes).every((n) => Number.isInteger(n)));
  if (!classesOk) throw bad('has classes that are neither label counts nor a list of labels');
  const split = m.split as { seed?: unknown; testFraction?: unknown; testFile?: unknown } | undefined;
  const splitOk =
    split === undefined ||
    typeof split?.testFile === 'string' ||
    (typeof split?.seed === 'number' && typeof split?.testFraction === 'number');
  if (!splitOk) throw bad('has a split that is neither {seed, testFraction} nor {testFile}');
  return value as ReadManifest;
}

import { DEFAULT_TEST_FRACTION } from '../data/types.js';
import type { Analyzer } from '../text/preprocess.js';
import { TrainingError } from './errors.js';

/** Everything that shapes a model. Defaults follow scikit-learn's TfidfVectorizer + LogisticRegression. */
export interface Hyperparameters {
  readonly analyzer: Analyzer;
  readonly ngramMin: number;
  readonly ngramMax: number;
  readonly minDf: number;
  readonly maxDf: number;
  readonly maxFeatures: number;
  readonly sublinearTf: boolean;
  /** Inverse L2 regularization strength. */
  readonly C: number;
  readonly maxIter: number;
  readonly tol: number;
  readonly seed: number;
  readonly testFraction: number;
}

export const DEFAULT_HYPERPARAMETERS: Hyperparameters = {
  analyzer: 'word',
  ngramMin: 1,
  ngramMax: 2,
  minDf: 2,
  maxDf: 1,
  maxFeatures: 0,
  sublinearTf: true,
  C: 10,
  maxIter: 1000,
  tol: 1e-4,
  seed: 42,
  testFraction: DEFAULT_TEST_FRACTION,
};

/** Character n-grams need longer n-grams to carry meaning; these replace the word defaults. */
const CHAR_DEFAULTS: Partial<Hyperparameters> = { ngramMin: 1, ngramMax: 3 };

type Spec = { kind: 'int' | 'number' | 'bool' | 'analyzer'; min?: number; max?: number; help: string };

/** Each hyperparameter's type, bounds and meaning: drives parsing, `--help` and error messages. */
export const HYPERPARAMETER_SPECS: Record<keyof Hyperparameters, Spec> = {
  analyzer: {
    kind: 'analyzer',
    help: 'word n-grams, or char n-grams for text without spaces (CJK) or misspellings',
  },
  ngramMin: { kind: 'int', min: 1, max: 8, help: 'shortest n-gram' },
  ngramMax: { kind: 'int', min: 1, max: 8, help: 'longest n-gram' },
  minDf: { kind: 'int', min: 1, help: 'keep n-grams found in at least this many training texts' },
  maxDf: { kind: 'number', min: 0, max: 1, help: 'drop n-grams found in more than this fraction of texts' },
  maxFeatures: { kind: 'int', min: 0, help: 'keep the most frequent n-grams only (0 = all)' },
  sublinearTf: { kind: 'bool', help: 'use 1 + ln(tf) instead of raw counts' },
  C: { kind: 'number', min: 1e-9, help: 'inverse L2 regularization strength' },
  maxIter: { kind: 'int', min: 1, help: 'L-BFGS iteration limit' },
  tol: { kind: 'number', min: 0, help: 'stop when the largest gradient component is below this' },
  seed: { kind: 'int', min: 0, help: 'seed of the train/test split' },
  testFraction: {
    kind: 'number',
    min: 0.01,
    max: 0.9,
    help: 'share of rows held out when no test file is given',
  },
};

const aliases: Record<string, keyof Hyperparameters> = {
  ngram_min: 'ngramMin',
  ngram_max: 'ngramMax',
  min_df: 'minDf',
  max_df: 'maxDf',
  max_features: 'maxFeatures',
  sublinear_tf: 'sublinearTf',
  max_iter: 'maxIter',
  test_fraction: 'testFraction',
  c: 'C',
};

function parseValue(key: keyof Hyperparameters, raw: unknown): Hyperparameters[keyof Hyperparameters] {
  const spec = HYPERPARAMETER_SPECS[key];
  const text = typeof raw === 'string' ? raw.trim() : raw;
  const fail = (why: string): never => {
    throw new TrainingError(`hyperparameter ${key}=${JSON.stringify(raw)}: ${why} (${spec.help})`);
  };
  if (spec.kind === 'analyzer') {
    if (text !== 'word' && text !== 'char') fail('expected "word" or "char"');
    return text as Analyzer;
  }
  if (spec.kind === 'bool') {
    if (text === true || text === 'true' || text === '1') return true;
    if (text === false || text === 'false' || text === '0') return false;
    return fail('expected true or false');
  }
  const n =
    typeof text === 'number' ? text : typeof text === 'string' && text !== '' ? Number(text) : Number.NaN;
  if (!Number.isFinite(n)) fail('expected a number');
  if (spec.kind === 'int' && !Number.isInteger(n)) fail('expected an integer');
  if (spec.min !== undefined && n < spec.min) fail(`must be at least ${spec.min}`);
  if (spec.max !== undefined && n > spec.max) fail(`must be at most ${spec.max}`);
  return n;
}

/**
 * Merges overrides (from flags or SageMaker's hyperparameters.json, where every value is a string)
 * onto the defaults. Keys may be camelCase or snake_case; unknown keys are an error, not ignored.
 */
export function resolveHyperparameters(overrides: Readonly<Record<string, unknown>> = {}): Hyperparameters {
  const out: Record<string, unknown> = {};
  for (const [rawKey, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    const alias = [rawKey, rawKey.toLowerCase()].find((k) => Object.hasOwn(aliases, k));
    const key = (alias === undefined ? rawKey : aliases[alias]) as keyof Hyperparameters;
    if (!Object.hasOwn(HYPERPARAMETER_SPECS, key)) {
      throw new TrainingError(
        `unknown hyperparameter "${rawKey}"; known: ${Object.keys(HYPERPARAMETER_SPECS).join(', ')}`,
      );
    }
    out[key] = parseValue(key, value);
  }
  const analyzerDefaults = out.analyzer === 'char' ? CHAR_DEFAULTS : {};
  const hp = { ...DEFAULT_HYPERPARAMETERS, ...analyzerDefaults, ...out } as Hyperparameters;
  if (hp.ngramMin > hp.ngramMax) {
    throw new TrainingError(`hyperparameter ngramMin=${hp.ngramMin} is larger than ngramMax=${hp.ngramMax}`);
  }
  return hp;
}

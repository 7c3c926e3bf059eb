import { execFileSync } from 'node:child_process';
import { userInfo } from 'node:os';
import { InvalidArgumentError, Option } from 'commander';
import { checkHyperparameters } from '../input.js';
import { UsageError } from './exit-codes.js';

/** Where commands look when neither --store nor SLIPWAY_STORE says otherwise. */
export const DEFAULT_STORE = 'file://./.slipway/store';

/** `--store <uri>`, defaulting to SLIPWAY_STORE or the project's `.slipway/store`. */
export function storeOption(): Option {
  return new Option('--store <uri>', 'model store: file:///path, ./path or s3://bucket/prefix')
    .env('SLIPWAY_STORE')
    .default(DEFAULT_STORE);
}

/** Who is acting, for approvals and alias moves: SLIPWAY_ACTOR, else the OS user. */
export function currentActor(): string {
  if (process.env.SLIPWAY_ACTOR) return process.env.SLIPWAY_ACTOR;
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** "1.2 s", "340 ms", "2 min 3 s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** An option parser for integers in [min, max]. */
export const integer = (min: number, max: number) => (value: string) => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) {
    throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
  }
  return n;
};

/** An option parser for a number in [0, 1]. */
export const fraction = (flag: string) => (value: string) => {
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError(`${flag} must be a number from 0 to 1`);
  return n;
};

/** A repeatable `key=value` option, collected into a record. */
export const keyValue = (value: string, previous: Record<string, string>) => {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`expected key=value, got "${value}"`);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
};

/** The current git commit, when run inside a repository ("" otherwise). */
export function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return '';
  }
}

/** The model name a dataset trains by default: store names are lowercase letters, digits and dashes. */
export function modelNameFor(dataset: string): string {
  return dataset
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** Gate thresholds from the command's flags; the ones not given take the execution schema's defaults. */
export function thresholdsFrom(flags: {
  readonly minAccuracy?: number;
  readonly maxRegression?: number;
  readonly minClassF1?: number;
}): { minAccuracy?: number; maxRegression?: number; minClassF1?: number } {
  return {
    ...(flags.minAccuracy === undefined ? {} : { minAccuracy: flags.minAccuracy }),
    ...(flags.maxRegression === undefined ? {} : { maxRegression: flags.maxRegression }),
    ...(flags.minClassF1 === undefined ? {} : { minClassF1: flags.minClassF1 }),
  };
}

/**
 * Checks `--hp` values before anything starts, with the built-in trainer's own rules: a bad one is a
 * usage error (exit code 2) naming the hyperparameter, like any other malformed flag.
 */
export function checkHyperparameterFlags(hyperparameters: Record<string, string>): void {
  try {
    checkHyperparameters(hyperparameters);
  } catch (error) {
    throw new UsageError((error as Error).message, { cause: error });
  }
}

import { execFileSync } from 'node:child_process';
import { userInfo } from 'node:os';
import { DEFAULT_THRESHOLDS } from '@slipway/contracts';
import { defaultLimits } from '@slipway/inference';
import type { ModelStore } from '@slipway/model-store';
import { type Compute, checkHyperparameters, storeDataset, type Thresholds } from '@slipway/runner-local';
import {
  type Dataset,
  DEFAULT_HYPERPARAMETERS,
  HYPERPARAMETER_SPECS,
  type Hyperparameters,
  longTextWarning,
} from '@slipway/training-job';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { type ExitStatus, UsageError } from './exit-codes.js';
import type { Io, Output } from './output.js';

/** Where commands look when neither --store nor SLIPWAY_STORE says otherwise. */
const DEFAULT_STORE = 'file://./.slipway/store';

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
const fraction = (flag: string) => (value: string) => {
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError(`${flag} must be a number from 0 to 1`);
  return n;
};

/** A repeatable `key=value` option, collected into a record. */
const keyValue = (value: string, previous: Record<string, string> = {}) => {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`expected key=value, got "${value}"`);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
};

/** A hyperparameter's name as `--hp` and SageMaker's hyperparameters.json spell it: `ngram_max`, `C`. */
function hyperparameterKey(key: keyof Hyperparameters): string {
  return key === 'C' ? key : key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** Every hyperparameter with its default and meaning, as `--help` lists them. */
function hyperparametersHelp(): string {
  const rows = Object.entries(HYPERPARAMETER_SPECS).map(([key, spec]) => [
    `${hyperparameterKey(key as keyof Hyperparameters)}=${String(DEFAULT_HYPERPARAMETERS[key as keyof Hyperparameters])}`,
    spec.help,
  ]);
  const width = Math.max(...rows.map(([left]) => (left ?? '').length));
  return [
    'Hyperparameters (--hp key=value, repeatable; shown with their defaults):',
    ...rows.map(([left, help]) => `  ${(left ?? '').padEnd(width)}  ${help}`),
    '  analyzer=char makes ngram_max 3 unless given.',
  ].join('\n');
}

/** `--hp key=value`, the one way `train`, `run` and `start` take hyperparameters; --help lists them. */
export function hyperparameterOption(command: Command): Command {
  return (
    command
      .option('--hp <key=value>', 'a hyperparameter (repeatable), e.g. --hp ngram_max=3 --hp C=4', keyValue)
      .addHelpText('after', `\n${hyperparametersHelp()}`)
      // No default in the option itself, or --help would print "(default: {})".
      .hook('preAction', (_, action) => {
        if (action.getOptionValue('hp') === undefined) action.setOptionValue('hp', {});
      })
  );
}

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

/** The gate's flags, as `run` and `start` take them. */
export interface GateFlags {
  readonly minAccuracy?: number;
  readonly minBaselineGain?: number;
  readonly maxRegression?: number;
  readonly minClassF1?: number;
}

/** Gate thresholds from the command's flags; the ones not given take the execution schema's defaults. */
export function thresholdsFrom(flags: GateFlags): Partial<Thresholds> {
  const given: Partial<Thresholds> = {};
  for (const key of Object.keys(DEFAULT_THRESHOLDS) as (keyof Thresholds)[]) {
    const value = flags[key];
    if (value !== undefined) given[key] = value;
  }
  return given;
}

/** The flag that sets each threshold, in the order the gate checks them. */
const GATE_FLAGS: Readonly<Record<keyof Thresholds, string>> = {
  minBaselineGain: '--min-baseline-gain',
  minAccuracy: '--min-accuracy',
  minClassF1: '--min-class-f1',
  maxRegression: '--max-regression',
};

/** `--min-baseline-gain`, `--min-accuracy`, `--min-class-f1`, `--max-regression`, defaults from input.ts. */
export function gateOptions(command: Command): Command {
  const d = DEFAULT_THRESHOLDS;
  return command
    .option(
      `${GATE_FLAGS.minBaselineGain} <x>`,
      `gate: share of the majority-class baseline's errors the candidate must avoid (default ${d.minBaselineGain}: accuracy ≥ baseline + ${d.minBaselineGain} × (1 − baseline))`,
      fraction(GATE_FLAGS.minBaselineGain),
    )
    .option(
      `${GATE_FLAGS.minAccuracy} <x>`,
      `gate: lowest accuracy accepted (default ${d.minAccuracy}: none)`,
      fraction(GATE_FLAGS.minAccuracy),
    )
    .option(
      `${GATE_FLAGS.minClassF1} <x>`,
      `gate: lowest F1 of any class (default ${d.minClassF1})`,
      fraction(GATE_FLAGS.minClassF1),
    )
    .option(
      `${GATE_FLAGS.maxRegression} <x>`,
      `gate: largest accuracy/macro-F1 drop against production (default ${d.maxRegression})`,
      fraction(GATE_FLAGS.maxRegression),
    );
}

/** How to change the gate, for the output of a run whose candidate failed it. */
export function gateAdvice(command: string): string {
  return `change the gate with ${Object.values(GATE_FLAGS).join(', ')} (\`slipway ${command} --help\` shows the defaults)`;
}

/** What `--compute` and the deprecated `--trainer` gave. */
export interface ComputeFlags {
  readonly compute?: Compute;
  /** `--trainer`, compute's name before the rename (hidden; the name is for the training code). */
  readonly trainer?: Compute;
}

/**
 * `--compute <where>`, and `--trainer <where>` under its old meaning: hidden, still accepted, with a
 * warning. No default here: a project file may set compute, and flags only override what was given.
 */
export function computeOptions(command: Command, choices: readonly Compute[], fallback: Compute): Command {
  return command
    .addOption(new Option('--compute <where>', `where training runs (default: ${fallback})`).choices(choices))
    .addOption(new Option('--trainer <where>', 'deprecated: use --compute').choices(choices).hideHelp());
}

/**
 * The compute the flags ask for (undefined when neither was given). `--trainer local|sagemaker|fargate`
 * still works and says once, on stderr, to use `--compute`; both flags with different values is a usage error.
 */
export function computeFrom(flags: ComputeFlags, out: Output): Compute | undefined {
  if (flags.trainer === undefined) return flags.compute;
  if (flags.compute !== undefined && flags.compute !== flags.trainer) {
    throw new UsageError(
      `--compute ${flags.compute} and --trainer ${flags.trainer} disagree: give --compute only (--trainer is its old name)`,
    );
  }
  out.info(`warning: --trainer ${flags.trainer} is deprecated; use --compute ${flags.trainer}`);
  return flags.trainer;
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

/**
 * A command group: adds its subcommands to the program. An action whose outcome is not success
 * without being an error (an execution that failed its gate) reports it on `status`.
 */
export type CommandModule = (program: Command, io: Io, status: ExitStatus) => void;

/**
 * Puts the dataset `--data` (and `--test`) names in the store, then says what it is in one line (name,
 * hash, rows; `created` says what was new, e.g. " (uploaded)") and warns about texts longer than the
 * endpoint accepts.
 */
export async function storeDatasetAndReport(
  store: ModelStore,
  flags: { readonly data: string; readonly test?: string },
  out: Output,
  created = '',
): Promise<Dataset> {
  const stored = await storeDataset(store, flags.data, flags.test ? { test: flags.test } : {});
  const { dataset } = stored;
  out.info(
    `dataset   ${dataset.name} ${dataset.sha256.slice(0, 12)}: ${dataset.train.length} train / ${dataset.test.length} test rows${stored.created ? created : ' (already in the store)'}`,
  );
  const longTexts = longTextWarning(dataset, defaultLimits.maxTextChars);
  if (longTexts) out.info(longTexts);
  return dataset;
}

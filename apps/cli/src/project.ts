import { readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DEFAULT_THRESHOLDS,
  IMAGE_BY_DIGEST,
  IMAGE_BY_DIGEST_RULE,
  MODEL_NAME,
  MODEL_NAME_RULE,
} from '@slipway/contracts';
import { type Compute, type Thresholds, type Trainer, thresholdOverridesSchema } from '@slipway/runner-local';
import type { Command } from 'commander';
import { z } from 'zod';
import {
  type ComputeFlags,
  checkHyperparameterFlags,
  computeFrom,
  type GateFlags,
  thresholdsFrom,
} from './common.js';
import { UsageError } from './exit-codes.js';
import type { Output } from './output.js';

/** The project file's name, at the project root. */
export const PROJECT_FILE = 'slipway.json';

/** The JSON Schema published with the package, generated from {@link projectSchema}. */
export const PROJECT_SCHEMA_PATH = fileURLToPath(new URL('../slipway.schema.json', import.meta.url));

const DATA_SOURCE =
  'builtin:sentiment, builtin:spam, or a .jsonl/.csv file with text,label (relative to slipway.json)';

/** A hyperparameter name: `__proto__` would change the object it is read into, so it is not one. */
const HYPERPARAMETER_KEY = /^(?!__proto__$)[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

/**
 * `slipway.json`: what a project trains and how it is judged. Every key is optional; flags override
 * it, and what neither gives takes the command's default.
 *
 * @example { "model": "reviews", "data": { "train": "data/train.jsonl" }, "trainer": "builtin" }
 */
const projectSchema = z
  .object({
    $schema: z
      .string()
      .describe("Where editors find this file's schema (written by `slipway init`).")
      .optional(),
    model: z
      .string()
      .regex(MODEL_NAME, MODEL_NAME_RULE)
      .describe("The model's name in the store (default: the dataset's name).")
      .optional(),
    data: z
      .object({
        train: z.string().min(1).describe(`The training data: ${DATA_SOURCE}.`),
        test: z
          .string()
          .min(1)
          .describe('A separate test file (default: a seeded, stratified split of train).')
          .optional(),
      })
      .strict()
      .describe('The dataset (default: builtin:sentiment).')
      .optional(),
    trainer: z
      .union([
        z.literal('builtin').describe("slipway's own trainer (TF-IDF + logistic regression to ONNX)."),
        z
          .object({
            command: z
              .array(z.string().min(1))
              .min(1)
              .describe(
                "The training program as argv (no shell), run from the project root; it follows SageMaker's training contract.",
              ),
            image: z
              .string()
              .regex(IMAGE_BY_DIGEST, `${IMAGE_BY_DIGEST_RULE}; a tag can move between builds`)
              .describe(
                "On AWS: the image that runs it, pinned by digest (<registry>/<repository>@sha256:<hex>), in the stage's training repository.",
              )
              .optional(),
            dockerfile: z
              .string()
              .min(1)
              .describe(
                'On AWS: the Dockerfile the pull request workflow builds the image from (relative to slipway.json).',
              )
              .optional(),
          })
          .strict(),
      ])
      .describe('Who trains: "builtin" (the default) or your own program.')
      .optional(),
    hyperparameters: z
      .record(
        z.string().regex(HYPERPARAMETER_KEY, 'a hyperparameter name: letters, digits, "_", "." and "-"'),
        z.union([z.string(), z.number(), z.boolean()]),
      )
      .describe(
        "Passed to the trainer (as strings, like SageMaker's hyperparameters.json); --hp overrides each.",
      )
      .optional(),
    thresholds: thresholdOverridesSchema
      .describe('The gate: the candidate is registered only if all hold.')
      .optional(),
    compute: z
      .enum(['sagemaker', 'fargate'])
      .describe(
        'Where training runs on AWS (default: sagemaker); `slipway run` takes the same path on this machine.',
      )
      .optional(),
  })
  .strict()
  .describe('A slipway project: what it trains and how the candidate is judged. Flags override it.');

type ProjectFile = z.output<typeof projectSchema>;

/** A project file as read: its settings, with paths resolved against its folder. */
export interface Project {
  /** The file it was read from; null when there is none (every setting is then the default). */
  readonly path: string | null;
  /** The folder paths in it are relative to (the current folder when there is no file). */
  readonly root: string;
  readonly settings: ProjectFile;
  /** `data.train` resolved against {@link root} (builtin:<name> left as it is). */
  readonly train?: string;
  readonly test?: string;
  /** Hyperparameters as strings, the way the execution input and SageMaker take them. */
  readonly hyperparameters: Readonly<Record<string, string>>;
}

/** The JSON Schema of `slipway.json`, from {@link projectSchema}. */
export function projectJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(projectSchema, { target: 'draft-2020-12', io: 'input' }),
    $id: 'https://slipway.dev/slipway.schema.json',
    title: 'slipway.json',
  };
}

/** The schema file's text, as it is published (and checked to be current by a test). */
export function projectJsonSchemaText(): string {
  return `${JSON.stringify(projectJsonSchema(), null, 2)}\n`;
}

/**
 * Reads the project file: `--project <path>` (the file or its folder), else `./slipway.json` if there
 * is one, else no project. A file that is not valid is refused (a usage error) naming the key and what
 * was expected; one given with --project must exist.
 */
export async function readProject(given?: string, cwd = process.cwd()): Promise<Project> {
  let path: string;
  if (given !== undefined) {
    path = resolve(cwd, given);
    const info = await stat(path).catch(() => undefined);
    if (!info) throw new UsageError(`--project ${given}: no such file or folder`);
    if (info.isDirectory()) path = join(path, PROJECT_FILE);
  } else {
    path = join(cwd, PROJECT_FILE);
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && given === undefined) {
      return { path: null, root: cwd, settings: {}, hyperparameters: {} };
    }
    throw new UsageError(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  return parseProject(text, path);
}

/** Parses a project file's text; `path` names it in errors and anchors its relative paths. */
export function parseProject(text: string, path: string): Project {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${path} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  const result = projectSchema.safeParse(json);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => describeIssue(issue));
    throw new UsageError(`${path} is not a valid project file:\n  ${problems.join('\n  ')}`);
  }
  const settings = result.data;
  const root = dirname(path);
  const at = (p: string) => (p.startsWith('builtin:') || isAbsolute(p) ? p : resolve(root, p));
  return {
    path,
    root,
    settings,
    ...(settings.data ? { train: at(settings.data.train) } : {}),
    ...(settings.data?.test ? { test: at(settings.data.test) } : {}),
    hyperparameters: Object.fromEntries(
      Object.entries(settings.hyperparameters ?? {}).map(([k, v]) => [k, String(v)]),
    ),
  };
}

const TOP_KEYS = Object.keys(projectSchema.shape);

/** One problem as `key: what was expected`, with the keys that exist when the key is unknown. */
function describeIssue(issue: z.core.$ZodIssue): string {
  const key = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const where = key === '' ? '' : `${key}.`;
    const known = key === '' ? ` (the keys are ${TOP_KEYS.join(', ')})` : '';
    return issue.keys.map((k) => `${where}${k}: not a slipway.json key${known}`).join('\n  ');
  }
  if (key === 'trainer' && issue.code === 'invalid_union') {
    return 'trainer: expected "builtin" or {"command": ["program", "arg", ...], "image"?: "...", "dockerfile"?: "..."}';
  }
  return `${key || '(file)'}: ${issue.message}`;
}

/** What `slipway init` writes: the defaults spelled out, so the file shows what can be changed. */
function initialProject(root: string, schemaPath = PROJECT_SCHEMA_PATH): ProjectFile {
  const schema = relative(root, schemaPath).split('\\').join('/');
  return {
    $schema: schema.startsWith('.') ? schema : `./${schema}`,
    model: 'sentiment',
    data: { train: 'builtin:sentiment' },
    trainer: 'builtin',
    hyperparameters: {},
    thresholds: { ...DEFAULT_THRESHOLDS },
    compute: 'sagemaker',
  };
}

/** Writes `slipway.json` into `root`; an existing one is never overwritten (a usage error). */
export async function writeInitialProject(root: string): Promise<string> {
  const path = join(root, PROJECT_FILE);
  const text = `${JSON.stringify(initialProject(root), null, 2)}\n`;
  try {
    await writeFile(path, text, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new UsageError(`${path} already exists; edit it, or remove it to start over`, { cause: error });
    }
    throw error;
  }
  return path;
}

/** What a run trains on, from flags over the project file over the defaults. */
export interface RunSettings {
  readonly data: string;
  readonly test?: string;
  /** Undefined: named after the dataset. */
  readonly model?: string;
  readonly hyperparameters: Readonly<Record<string, string>>;
  readonly thresholds: Partial<Thresholds>;
  /** Undefined: the command's default. */
  readonly compute?: Compute;
  /** The execution input's trainer: a project's command runs from the project root. */
  readonly trainer: Trainer;
  /** On AWS, a command trainer's image (slipway.json `trainer.image`, pinned by digest). */
  readonly trainerImage?: string;
  /** On AWS, the Dockerfile a command trainer's image is built from (slipway.json `trainer.dockerfile`). */
  readonly trainerDockerfile?: string;
}

/** The flags `run` and `start --aws` share with the project file. */
export interface ProjectFlags extends ComputeFlags, GateFlags {
  readonly project?: string;
  readonly data?: string;
  readonly test?: string;
  readonly model?: string;
  readonly hp: Record<string, string>;
}

/**
 * Flags over the project file over the defaults. `--data` replaces the project's data as a whole (its
 * test file too); `--hp` and the gate flags override one key each.
 */
export function runSettings(
  project: Project,
  flags: ProjectFlags,
  out: Output,
  trainerFlag?: Trainer,
): RunSettings {
  const compute = computeFrom(flags, out) ?? project.settings.compute;
  const model = flags.model ?? project.settings.model;
  const data = flags.data ?? project.train ?? 'builtin:sentiment';
  const test = flags.data !== undefined ? flags.test : (flags.test ?? project.test);
  return {
    data,
    ...(test !== undefined ? { test } : {}),
    ...(model !== undefined ? { model } : {}),
    hyperparameters: { ...project.hyperparameters, ...flags.hp },
    thresholds: { ...project.settings.thresholds, ...thresholdsFrom(flags) },
    ...(compute !== undefined ? { compute } : {}),
    trainer: trainerFlag ?? projectTrainer(project),
    ...(trainerFlag === undefined ? projectTrainerImage(project) : {}),
  };
}

/** Where a project's command trainer runs on AWS: its image, or the Dockerfile it is built from. */
function projectTrainerImage(project: Project): { trainerImage?: string; trainerDockerfile?: string } {
  const trainer = project.settings.trainer;
  if (trainer === undefined || trainer === 'builtin') return {};
  return {
    ...(trainer.image !== undefined ? { trainerImage: trainer.image } : {}),
    ...(trainer.dockerfile !== undefined ? { trainerDockerfile: trainer.dockerfile } : {}),
  };
}

/** The project's trainer as the execution input takes it. */
function projectTrainer(project: Project): Trainer {
  const trainer = project.settings.trainer;
  if (trainer === undefined || trainer === 'builtin') return { type: 'builtin' };
  return { type: 'command', command: [...trainer.command], workdir: project.root };
}

/** `--project <path>`: the project file (or its folder) to read instead of ./slipway.json. */
export function projectOption(command: Command): Command {
  return command.option(
    '--project <path>',
    `the project file, or its folder (default: ./${PROJECT_FILE} when there is one)`,
  );
}

/**
 * Reads the project file and settles the run's settings (`trainerFlag`: `--trainer-command`, over the
 * project's trainer), refusing before anything starts what would fail later: hyperparameters the
 * built-in trainer refuses (a program's hyperparameters are its own). Says which project file it read.
 */
export async function loadRunSettings(
  flags: ProjectFlags,
  out: Output,
  trainerFlag?: Trainer,
): Promise<RunSettings> {
  const project = await readProject(flags.project);
  if (project.path) out.info(`project   ${project.path}`);
  const settings = runSettings(project, flags, out, trainerFlag);
  if (settings.trainer.type === 'builtin') checkHyperparameterFlags({ ...settings.hyperparameters });
  return settings;
}

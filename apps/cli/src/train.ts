import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ENV, type ModelManifest } from '@slipway/contracts';
import { defaultLimits } from '@slipway/inference';
import {
  canonicalJsonl,
  HYPERPARAMETER_SPECS,
  type Hyperparameters,
  layOutTrainingRoot,
  loadDataset,
  longTextWarning,
  openModel,
  recordCommandModel,
  resolveHyperparameters,
  runTrainingProgram,
  sageMakerEnvironment,
  TrainingError,
  type TrainingProgress,
  trainModel,
  writeModelDir,
} from '@slipway/training-job';
import { type Command, Option } from 'commander';
import { splitCommandLine } from './command-line.js';
import { hyperparameterOption } from './common.js';
import { UsageError } from './exit-codes.js';
import { type Io, Output } from './output.js';
import { PROJECT_FILE, projectOption, readProject } from './project.js';

const kebab = (key: string) => key.replace(/(?<=[a-z])[A-Z]/g, (c) => `-${c}`).toLowerCase();

/** Draws training progress: one rewritten line on a TTY, plain lines otherwise (logs, CI). */
function progressPrinter(stream: Io['stderr']): (p: TrainingProgress) => void {
  const tty = Boolean(stream.isTTY);
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
  return (p) => {
    if (p.phase === 'fit') {
      const line = `fit       iteration ${String(p.iteration).padStart(4)}  loss ${p.loss.toFixed(6)}  ${seconds(p.elapsedMs)}`;
      if (tty) stream.write(`\r${line}\x1b[K`);
      else if (p.iteration === 1 || p.iteration % 25 === 0) stream.write(`${line}\n`);
      return;
    }
    const text =
      p.phase === 'done'
        ? `done      accuracy ${p.metrics.accuracy.toFixed(4)}  macro-F1 ${p.metrics.macroF1.toFixed(4)}  ${seconds(p.elapsedMs)}`
        : `${p.phase.padEnd(9)} ${seconds(p.elapsedMs)}`;
    stream.write(tty ? `\r${text}\x1b[K\n` : `${text}\n`);
  };
}

/** `slipway train` and `slipway predict`. */
export function trainCommands(program: Command, io: Io): void {
  const train = hyperparameterOption(
    program
      .command('train')
      .description('Train a text classifier and write model.onnx, metrics.json and manifest.json')
      .option(
        '--data <source>',
        "builtin:sentiment, builtin:spam, or a .jsonl/.csv file with text,label (default: the project's data)",
      )
      .option(
        '--test <path>',
        'a separate test file (default: a seeded, stratified split, see test_fraction)',
      )
      .requiredOption('--out <dir>', 'folder to write the model into')
      .option(
        '--name <name>',
        "model name (default: the project's model, else the dataset name or the --data file name)",
      )
      .option(
        '--hyperparameters <file>',
        "a JSON file of hyperparameters (SageMaker's hyperparameters.json works); --hp overrides it",
      )
      .option(
        '--split-out <dir>',
        'also write the train.jsonl and test.jsonl this model was trained and scored on, to compare with other tools',
      )
      .option(
        '--trainer-command <command line>',
        "train with your own program instead of the built-in trainer, run from this directory under SageMaker's training contract (split into words like a shell does, but run without one; see docs/model-contract.md)",
      )
      .option('--json', 'print the manifest as JSON'),
  );
  projectOption(train);
  // The flags `train` took before --hp (--c 4, --ngram-max 3) still work; --help lists --hp only.
  const hpFlags = new Map<string, string>();
  for (const [key, spec] of Object.entries(HYPERPARAMETER_SPECS)) {
    const option = new Option(
      `--${kebab(key)} <${spec.kind === 'bool' ? 'true|false' : 'value'}>`,
      spec.help,
    ).hideHelp();
    hpFlags.set(option.attributeName(), key);
    train.addOption(option);
  }
  train.action(async (opts: Record<string, unknown> & { hp: Record<string, string> }) => {
    const out = new Output(io, Boolean(opts.json));
    const project = await readProject(opts.project === undefined ? undefined : String(opts.project));
    if (project.path) out.info(`project   ${project.path}`);
    if (project.settings.trainer !== undefined && project.settings.trainer !== 'builtin') {
      throw new UsageError(
        `${project.path}: slipway train runs the built-in trainer; its trainer.command runs with \`slipway run\``,
      );
    }
    const data = opts.data === undefined ? project.train : String(opts.data);
    if (data === undefined) {
      throw new UsageError(`give --data, or data.train in ${PROJECT_FILE} (\`slipway init\` writes one)`);
    }
    const test =
      opts.data === undefined ? (opts.test === undefined ? project.test : String(opts.test)) : opts.test;
    const name = opts.name ?? project.settings.model;
    const fromFile = {
      ...project.hyperparameters,
      ...(opts.hyperparameters ? await readHyperparametersFile(String(opts.hyperparameters)) : {}),
    };
    const fromFlags: Record<string, unknown> = {};
    for (const [attribute, key] of hpFlags) {
      if (opts[attribute] !== undefined) fromFlags[key] = opts[attribute];
    }
    const passed = { ...fromFile, ...fromFlags, ...opts.hp };
    if (opts.trainerCommand !== undefined) {
      const manifest = await trainWithCommand(
        splitCommandLine(String(opts.trainerCommand)),
        opts,
        stringValues(passed),
        out,
      );
      out.result(manifest, () => summary(resolve(String(opts.out)), manifest));
      return;
    }
    let hp: Hyperparameters;
    try {
      hp = resolveHyperparameters(passed);
    } catch (error) {
      throw new UsageError((error as Error).message, { cause: error });
    }
    const dataset = await loadDataset(data, {
      ...(test ? { test: String(test) } : {}),
      seed: hp.seed,
      testFraction: hp.testFraction,
    });
    out.info(
      `dataset   ${dataset.name} (${dataset.sha256.slice(0, 12)}): ${dataset.train.length} train / ${dataset.test.length} test rows, ${dataset.classes.length} classes`,
    );
    const longTexts = longTextWarning(dataset, defaultLimits.maxTextChars);
    if (longTexts) out.info(longTexts);
    const result = await trainModel(dataset, hp, {
      ...(name ? { name: String(name) } : {}),
      lineage: { hyperparametersPassed: passedScalars(passed) },
      onProgress: progressPrinter(io.stderr),
    });
    const dir = resolve(String(opts.out));
    const manifest = await writeModelDir(dir, result);
    if (opts.splitOut !== undefined) {
      const splitDir = resolve(String(opts.splitOut));
      await mkdir(splitDir, { recursive: true });
      await writeFile(join(splitDir, 'train.jsonl'), canonicalJsonl(dataset.train));
      await writeFile(join(splitDir, 'test.jsonl'), canonicalJsonl(dataset.test));
      out.info(`split     ${splitDir}/{train,test}.jsonl (dataset ${dataset.sha256.slice(0, 12)})`);
    }
    out.result(manifest, () => summary(dir, manifest));
  });

  program
    .command('predict')
    .description('Classify texts with a model folder (reads lines from stdin when given "-")')
    .requiredOption('--model <dir>', 'a folder written by slipway train')
    .argument('<texts...>', 'texts to classify, or - to read one text per line from stdin')
    .option('--json', 'print predictions as JSON')
    .action(async (texts: string[], opts: { model: string; json?: boolean }) => {
      const out = new Output(io, Boolean(opts.json));
      const inputs = texts.length === 1 && texts[0] === '-' ? await readStdinLines() : texts;
      const { manifest, classifier } = await openModel(resolve(opts.model));
      try {
        const predictions = await classifier.predict(inputs);
        out.result({ model: { name: manifest.name, version: manifest.version }, predictions }, () =>
          predictions
            .map((p, i) => {
              const probability = p.probabilities[p.label] ?? 0;
              return `${p.label.padEnd(12)} ${probability.toFixed(3)}  ${JSON.stringify(inputs[i])}`;
            })
            .join('\n'),
        );
      } finally {
        await classifier.close();
      }
    });
}

/** The last lines of `slipway train`: where the model is and how it did on the test split. */
function summary(dir: string, manifest: ModelManifest): string {
  const m = manifest.metrics;
  return [
    `model     ${dir}`,
    `accuracy  ${m.accuracy.toFixed(4)}   macro-F1 ${m.macroF1.toFixed(4)}   log loss ${m.logLoss.toFixed(4)}`,
    ...manifest.classes.map((c) => {
      const pc = m.perClass[c];
      return `  ${c.padEnd(16)} precision ${pc?.precision.toFixed(3)}  recall ${pc?.recall.toFixed(3)}  f1 ${pc?.f1.toFixed(3)}  n=${pc?.support}`;
    }),
    `try it:   slipway predict --model ${dir} "some text"`,
  ].join('\n');
}

/**
 * `slipway train --trainer-command`: the program runs under SageMaker's training contract in a
 * temporary root holding the dataset's split, its lines shown as it prints them; its model is checked
 * against the model contract and written to --out with its manifest. A failure is the program's reason.
 */
async function trainWithCommand(
  command: string[],
  opts: Record<string, unknown>,
  hyperparameters: Record<string, string>,
  out: Output,
): Promise<ModelManifest> {
  const dataset = await loadDataset(String(opts.data), opts.test ? { test: String(opts.test) } : {});
  out.info(
    `dataset   ${dataset.name} (${dataset.sha256.slice(0, 12)}): ${dataset.train.length} train / ${dataset.test.length} test rows, ${dataset.classes.length} classes`,
  );
  const root = await mkdtemp(join(tmpdir(), 'slipway-train-'));
  try {
    const jsonl = (rows: Parameters<typeof canonicalJsonl>[0]) =>
      new TextEncoder().encode(canonicalJsonl(rows));
    await layOutTrainingRoot(root, {
      hyperparameters,
      channels: {
        train: { 'train.jsonl': jsonl(dataset.train) },
        test: { 'test.jsonl': jsonl(dataset.test) },
      },
    });
    const started = Date.now();
    const outcome = await runTrainingProgram({
      command,
      root,
      environment: {
        ...sageMakerEnvironment(root, hyperparameters, ['train', 'test']),
        [ENV.modelName]: String(opts.name ?? dataset.name),
        [ENV.datasetName]: dataset.name,
      },
      log: (line) => out.info(`   │ ${line}`),
    });
    if (!outcome.ok) throw new TrainingError(`the training program failed: ${outcome.reason}`);
    const manifest = await recordCommandModel(root, {
      name: String(opts.name ?? dataset.name),
      trainer: { type: 'command', command, workdir: process.cwd() },
      datasetName: dataset.name,
      hyperparameters,
      trainingDurationMs: Date.now() - started,
    });
    const dir = resolve(String(opts.out));
    await mkdir(dir, { recursive: true });
    // The manifest last: a folder without one is not a model.
    await rm(join(dir, 'manifest.json'), { force: true });
    await cp(join(root, 'model'), dir, {
      recursive: true,
      filter: (source) => !source.endsWith('/manifest.json'),
    });
    await cp(join(root, 'model/manifest.json'), join(dir, 'manifest.json'));
    // recordCommandModel has already run the model in onnxruntime (contract and self-test): no second load.
    return manifest;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** Hyperparameters as SageMaker passes them: strings (numbers and booleans as they print). */
function stringValues(passed: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(passed)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
  );
}

/** A hyperparameters.json: an object of values; anything else is a usage error naming the file. */
async function readHyperparametersFile(file: string): Promise<Record<string, unknown>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).syscall) throw error;
    throw new UsageError(`--hyperparameters ${file} is not JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new UsageError(`--hyperparameters ${file} must hold a JSON object like {"C": "4"}`);
  return parsed as Record<string, unknown>;
}

/** Hyperparameters as the user gave them, for the manifest's lineage. */
function passedScalars(passed: Record<string, unknown>): Record<string, string | number | boolean> {
  return Object.fromEntries(
    Object.entries(passed)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [
        k,
        typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : JSON.stringify(v),
      ]),
  );
}

/** One text per line of stdin, blank lines included, so outputs line up with input lines. */
async function readStdinLines(input: AsyncIterable<Buffer | string> = process.stdin): Promise<string[]> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return [];
  // The newline that ends the last line does not start another one.
  return text.replace(/\r?\n$/, '').split(/\r?\n/);
}

import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  isAlive,
  layOutTrainingRoot,
  type ProcessRef,
  runTrainingProgram,
  sageMakerEnvironment,
} from '@slipway/training-job';
import { afterEach, beforeEach, describe, expect, onTestFinished, test } from 'vitest';

const PYTHON = '/usr/bin/python3';
let root: string;
let work: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'slipway-program-root-'));
  work = await mkdtemp(join(tmpdir(), 'slipway-program-work-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
  await rm(work, { recursive: true, force: true });
});

const utf8 = new TextEncoder();
const inputs = {
  hyperparameters: { epochs: '3', learning_rate: '0.1', analyzer: 'word' },
  channels: {
    train: { 'train.jsonl': utf8.encode('{"text":"good","label":"pos"}\n') },
    test: { 'test.jsonl': utf8.encode('{"text":"bad","label":"neg"}\n') },
  },
};

/** Resolves once `predicate` holds for some logged line. */
function lineMatching(lines: string[], predicate: (line: string) => boolean): Promise<string> {
  return new Promise((resolve) => {
    const check = () => {
      const found = lines.find(predicate);
      if (found !== undefined) resolve(found);
      else setTimeout(check, 20);
    };
    check();
  });
}

describe('a training program under SageMaker’s training contract', () => {
  test('sees the toolkit’s variables and the laid-out root, from its working directory', async () => {
    await layOutTrainingRoot(root, inputs);
    await writeFile(
      join(work, 'train.py'),
      [
        'import json, os',
        'env = {k: v for k, v in os.environ.items() if k.startswith("SM_") or k == "SAGEMAKER_BASE_DIR"}',
        'hps = json.load(open(os.path.join(os.environ["SM_INPUT_DIR"], "config/hyperparameters.json")))',
        'rows = [json.loads(l) for l in open(os.path.join(os.environ["SM_CHANNEL_TRAIN"], "train.jsonl"))]',
        'open(os.path.join(os.environ["SM_MODEL_DIR"], "seen.json"), "w").write(json.dumps({"env": env, "hps": hps, "rows": rows, "cwd": os.getcwd()}))',
      ].join('\n'),
    );
    const outcome = await runTrainingProgram({
      command: [PYTHON, 'train.py'],
      cwd: work,
      root,
      environment: sageMakerEnvironment(root, inputs.hyperparameters, ['train', 'test']),
      log: () => {},
    });
    expect(outcome).toEqual({ ok: true });
    const seen = JSON.parse(await readFile(join(root, 'model/seen.json'), 'utf8'));
    expect(seen.cwd).toBe(work);
    expect(seen.hps).toEqual(inputs.hyperparameters);
    expect(seen.rows).toEqual([{ text: 'good', label: 'pos' }]);
    expect(seen.env).toEqual({
      SAGEMAKER_BASE_DIR: root,
      SM_MODEL_DIR: join(root, 'model'),
      SM_INPUT_DIR: join(root, 'input'),
      SM_INPUT_CONFIG_DIR: join(root, 'input/config'),
      SM_OUTPUT_DIR: join(root, 'output'),
      SM_OUTPUT_DATA_DIR: join(root, 'output/data'),
      SM_CHANNELS: '["test","train"]',
      SM_CHANNEL_TRAIN: join(root, 'input/data/train'),
      SM_CHANNEL_TEST: join(root, 'input/data/test'),
      // The toolkit JSON-decodes each value where it can (read_hyperparameters) and sorts keys.
      SM_HPS: '{"analyzer":"word","epochs":3,"learning_rate":0.1}',
      SM_HP_EPOCHS: '3',
      SM_HP_LEARNING_RATE: '0.1',
      SM_HP_ANALYZER: 'word',
      SM_CURRENT_HOST: 'algo-1',
      SM_HOSTS: '["algo-1"]',
      SM_NUM_CPUS: expect.stringMatching(/^[1-9]\d*$/),
      SM_NUM_GPUS: '0',
    });
    expect(JSON.parse(await readFile(join(root, 'input/config/inputdataconfig.json'), 'utf8'))).toEqual({
      train: { TrainingInputMode: 'File', S3DistributionType: 'FullyReplicated', RecordWrapperType: 'None' },
      test: { TrainingInputMode: 'File', S3DistributionType: 'FullyReplicated', RecordWrapperType: 'None' },
    });
  });

  test('streams each line while the program runs, and fails with the failure file’s text', async () => {
    await layOutTrainingRoot(root, inputs);
    const gate = join(work, 'go-on');
    await writeFile(
      join(work, 'train.py'),
      [
        'import os, sys, time',
        'print("epoch 1 loss 0.5")',
        `while not os.path.exists(${JSON.stringify(gate)}): time.sleep(0.02)`,
        'print("warning: few rows", file=sys.stderr)',
        'open(os.path.join(os.environ["SM_OUTPUT_DIR"], "failure"), "w").write("ValueError: label column missing\\n")',
        'sys.exit(2)',
      ].join('\n'),
    );
    const lines: string[] = [];
    const running = runTrainingProgram({
      command: [PYTHON, 'train.py'],
      cwd: work,
      root,
      environment: sageMakerEnvironment(root, {}, ['train', 'test']),
      log: (line, stream) => lines.push(`${stream}: ${line}`),
    });
    // The program waits for the gate, so the line can only have come while it still runs.
    await lineMatching(lines, (l) => l === 'stdout: epoch 1 loss 0.5');
    await writeFile(gate, '');
    const outcome = await running;
    expect(outcome).toEqual({
      ok: false,
      reason: 'ValueError: label column missing',
      exitCode: 2,
      aborted: false,
    });
    expect(lines).toContain('stderr: warning: few rows');
  });

  test('without a failure file the reason is the exit status and the end of stderr', async () => {
    await layOutTrainingRoot(root, inputs);
    const outcome = await runTrainingProgram({
      command: [
        PYTHON,
        '-c',
        'import sys\nfor i in range(30): print("line", i, file=sys.stderr)\nraise SystemExit(3)',
      ],
      root,
      log: () => {},
    });
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.exitCode).toBe(3);
    const expected = Array.from({ length: 20 }, (_, i) => `line ${i + 10}`).join('\n');
    expect(outcome.reason).toBe(
      `the training program exited with 3 without writing output/failure; its stderr ended with:\n${expected}`,
    );
  });

  test('a program that does not exist fails with its name, not a crash', async () => {
    await layOutTrainingRoot(root, inputs);
    const outcome = await runTrainingProgram({
      command: ['no-such-trainer', '--epochs', '3'],
      cwd: work,
      root,
      log: () => {},
    });
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.exitCode).toBe(127);
    expect(outcome.reason).toContain(
      `cannot start "no-such-trainer" in ${work}: no such file, or not on PATH`,
    );
  });

  test('aborting stops the program and what it started', async () => {
    await layOutTrainingRoot(root, inputs);
    const lines: string[] = [];
    const controller = new AbortController();
    let group: ProcessRef | undefined;
    const running = runTrainingProgram({
      // The program starts a grandchild that ignores SIGTERM, then waits forever.
      command: [
        PYTHON,
        '-c',
        'import subprocess, time\np = subprocess.Popen(["/usr/bin/python3", "-c", "import signal, time\\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\\nprint(\\"ignoring SIGTERM\\", flush=True)\\ntime.sleep(600)"])\nprint("grandchild", p.pid)\ntime.sleep(600)',
      ],
      root,
      log: (line) => lines.push(line),
      signal: controller.signal,
      onStart: (g) => {
        group = g;
      },
    });
    const grandchild = Number((await lineMatching(lines, (l) => l.startsWith('grandchild '))).split(' ')[1]);
    onTestFinished(() => {
      if (isAlive(grandchild)) process.kill(grandchild, 'SIGKILL');
    });
    // Abort only once the grandchild ignores SIGTERM: before that, SIGTERM alone would end it and the
    // test would not show that SIGKILL reaches a process that outlives the program it was started by.
    await lineMatching(lines, (l) => l === 'ignoring SIGTERM');
    expect(isAlive(grandchild)).toBe(true);
    controller.abort();
    const outcome = await running;
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.aborted).toBe(true);
    expect(group && isAlive(group.pid)).toBe(false);
    // SIGKILL after the grace period reaches the whole group, the grandchild that ignored SIGTERM too.
    await lineMatching([''], () => !isAlive(grandchild));
    expect(isAlive(grandchild)).toBe(false);
  }, 60_000);

  test('when the process that started it is killed, the program and its children die too', async () => {
    await layOutTrainingRoot(root, inputs);
    // A parent process that runs the program and is then SIGKILLed: no JavaScript of it runs after that.
    const parentScript = join(work, 'parent.mjs');
    await writeFile(
      parentScript,
      `import { runTrainingProgram } from ${JSON.stringify(join(import.meta.dirname, '../../../src/index.ts'))};
       await runTrainingProgram({
         command: [${JSON.stringify(PYTHON)}, '-c', 'import subprocess, time\\np = subprocess.Popen(["sleep", "600"])\\nprint("pids", p.pid, flush=True)\\ntime.sleep(600)'],
         root: ${JSON.stringify(root)},
         log: (line) => console.log(line),
       });`,
    );
    const parent = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', parentScript], {
      cwd: join(import.meta.dirname, '../../..'),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines: string[] = [];
    parent.stdout.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n')));
    parent.on('exit', (code) => lines.push(`parent exited with ${code}`));
    const started = await lineMatching(lines, (l) => l.startsWith('pids ') || l.startsWith('parent exited'));
    expect(started).toMatch(/^pids /);
    const sleeper = Number((await lineMatching(lines, (l) => l.startsWith('pids '))).split(' ')[1]);
    expect(isAlive(sleeper)).toBe(true);
    parent.kill('SIGKILL');
    await lineMatching([''], () => !isAlive(sleeper));
    expect(isAlive(sleeper)).toBe(false);
  }, 60_000);
});

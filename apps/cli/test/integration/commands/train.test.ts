import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runCli, slipway } from '../../helpers/cli.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-cli-train-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('slipway train and predict', () => {
  test('train --json prints the manifest; predict classifies texts', async () => {
    const out = join(dir, 'model');
    const trained = await slipway(
      'train',
      '--data',
      'builtin:sentiment',
      '--out',
      out,
      '--hp',
      'C=4',
      '--json',
    );
    expect(trained.stderr).toMatch(/dataset {3}sentiment/);
    expect(trained.code).toBe(0);
    const manifest = JSON.parse(trained.stdout);
    expect(manifest.classes).toEqual(['negative', 'positive']);
    expect(manifest.lineage.hyperparameters.C).toBe(4);

    const predicted = await slipway(
      'predict',
      '--model',
      out,
      'what a wonderful, lovely film',
      'awful, boring, waste of time',
      '--json',
    );
    expect(predicted.code).toBe(0);
    const body = JSON.parse(predicted.stdout);
    expect(body.predictions.map((p: { label: string }) => p.label)).toEqual(['positive', 'negative']);
    const p = body.predictions[0].probabilities;
    expect(p.positive + p.negative).toBeCloseTo(1, 6);

    const human = await slipway('predict', '--model', out, 'great');
    expect(human.stdout).toMatch(/^positive +0\.\d{3} {2}"great"$/m);

    // From stdin: one output per input line, blank lines included, so results line up with the input.
    const lines = 'what a wonderful film\n\n   \nawful, boring\r\n\n';
    const piped = await runCli(['predict', '--model', out, '-', '--json'], { input: lines });
    expect(piped.code).toBe(0);
    const texts = JSON.parse(piped.stdout).predictions.map((p: { label: string }) => p.label);
    expect(texts).toHaveLength(5);
    expect([texts[0], texts[3]]).toEqual(['positive', 'negative']);
    const plain = await runCli(['predict', '--model', out, '-'], { input: lines });
    expect(
      plain.stdout
        .split('\n')
        .slice(0, -1)
        .map((l) => /^\S+ +\d\.\d{3} {2}(.*)$/.exec(l)?.[1]),
    ).toEqual(['"what a wonderful film"', '""', '"   "', '"awful, boring"', '""']);
    expect((await runCli(['predict', '--model', out, '-', '--json'], { input: '' })).stdout).toMatch(
      /"predictions": \[\]/,
    );
  });

  test('n-grams that start above length 1 train a model that predicts', async () => {
    const out = join(dir, 'bigrams');
    const trained = await slipway(
      'train',
      '--data',
      'builtin:sentiment',
      '--out',
      out,
      '--ngram-min',
      '2',
      '--ngram-max',
      '3',
    );
    expect(trained.stderr).not.toContain('unexpected error');
    expect(trained.code).toBe(0);
    const predicted = await slipway('predict', '--model', out, 'this is a great film', '--json');
    expect(predicted.code).toBe(0);
    expect(JSON.parse(predicted.stdout).predictions).toHaveLength(1);
  });

  test('--hp is the one way to pass hyperparameters; --help lists each with its default; the old flags still work', async () => {
    for (const command of ['train', 'run']) {
      const help = (await slipway(command, '--help')).stdout;
      expect(help).toMatch(/^Hyperparameters \(--hp key=value, repeatable; shown with their defaults\):$/m);
      expect(help).toMatch(/^ {2}C=10 +inverse L2 regularization strength$/m);
      expect(help).toMatch(/^ {2}ngram_max=2 +longest n-gram$/m);
      expect(help).not.toContain('(default: {})');
      expect(help).not.toMatch(/--ngram-max/);
    }
    const out = join(dir, 'hp-model');
    const trained = await slipway(
      'train',
      '--data',
      'builtin:sentiment',
      '--out',
      out,
      '--hp',
      'ngram_max=1',
      '--c',
      '2',
      '--json',
    );
    expect(trained.code).toBe(0);
    expect(JSON.parse(trained.stdout).lineage.hyperparameters).toMatchObject({ C: 2, ngramMax: 1 });

    const unknown = await slipway('train', '--data', 'builtin:sentiment', '--out', out, '--hp', 'depth=3');
    expect(unknown.stderr).toMatch(/^error: unknown hyperparameter "depth"/m);
    expect(unknown.code).toBe(2);
    const file = join(dir, 'hp.json');
    await writeFile(file, '{"C": 4,');
    const broken = await slipway(
      'train',
      '--data',
      'builtin:sentiment',
      '--out',
      out,
      '--hyperparameters',
      file,
    );
    expect(broken.stderr).toContain(`error: --hyperparameters ${file} is not JSON`);
    expect(broken.code).toBe(2);
  });

  test('--split-out writes the exact split, so training again on those files gives the same dataset', async () => {
    const split = join(dir, 'split');
    const first = await slipway(
      'train',
      '--data',
      'builtin:sentiment',
      '--out',
      join(dir, 's1'),
      '--split-out',
      split,
      '--json',
    );
    expect(first.code).toBe(0);
    const lines = async (file: string) => (await readFile(join(split, file), 'utf8')).trimEnd().split('\n');
    expect(await lines('train.jsonl')).toHaveLength(2400);
    expect(await lines('test.jsonl')).toHaveLength(600);
    expect(JSON.parse((await lines('test.jsonl'))[0] as string)).toEqual({
      text: expect.any(String),
      label: expect.any(String),
    });
    const again = await slipway(
      'train',
      '--data',
      join(split, 'train.jsonl'),
      '--test',
      join(split, 'test.jsonl'),
      '--out',
      join(dir, 's2'),
      '--json',
    );
    const [a, b] = [JSON.parse(first.stdout), JSON.parse(again.stdout)];
    expect(b.lineage.dataset.sha256).toBe(a.lineage.dataset.sha256);
    expect(b.metrics.accuracy).toBe(a.metrics.accuracy);
  });

  test('a train.jsonl/test.jsonl pair is named after its folder, not "train"', async () => {
    const folder = join(dir, 'support-tickets');
    await mkdir(folder, { recursive: true });
    const rows = (n: number) =>
      Array.from({ length: n }, (_, i) =>
        JSON.stringify({ text: `word${i % 2} text ${i}`, label: `c${i % 2}` }),
      ).join('\n');
    await writeFile(join(folder, 'train.jsonl'), rows(20));
    await writeFile(join(folder, 'test.jsonl'), rows(6));
    const trained = await slipway(
      'train',
      '--data',
      join(folder, 'train.jsonl'),
      '--test',
      join(folder, 'test.jsonl'),
      '--out',
      join(dir, 'tickets-model'),
      '--hp',
      'min_df=1',
      '--json',
    );
    expect(trained.code).toBe(0);
    const manifest = JSON.parse(trained.stdout);
    expect(manifest.name).toBe('support-tickets');
    expect(manifest.lineage.dataset.name).toBe('support-tickets');
  });

  test('texts longer than the endpoint accepts: one warning with their count and the longest, training goes on', async () => {
    const rows: string[] = [];
    for (let i = 0; i < 20; i++) rows.push(JSON.stringify({ text: `good fine nice ${i}`, label: 'pos' }));
    for (let i = 0; i < 20; i++) rows.push(JSON.stringify({ text: `bad awful poor ${i}`, label: 'neg' }));
    rows.push(JSON.stringify({ text: 'good '.repeat(2_400), label: 'pos' })); // 12,000 characters
    rows.push(JSON.stringify({ text: `${'bad '.repeat(3_750)}x`, label: 'neg' })); // 15,001
    rows.push(JSON.stringify({ text: 'x'.repeat(10_000), label: 'pos' })); // exactly the limit: accepted
    const data = join(dir, 'long.jsonl');
    await writeFile(data, `${rows.join('\n')}\n`);
    const trained = await slipway('train', '--data', data, '--out', join(dir, 'long-model'));
    expect(trained.code).toBe(0);
    expect(trained.stderr.split('\n').filter((l) => l.startsWith('warning'))).toEqual([
      'warning   2 texts are longer than the 10,000 characters the endpoint accepts (longest: 15,001 characters, ' +
        'label "neg", train split); they train as they are, ' +
        'but the served model answers 400 to texts that long: cut or split them if requests will look like them',
    ]);
  }, 120_000);

  test('bad data names the file and line and exits 1', async () => {
    const file = join(dir, 'bad.jsonl');
    await writeFile(file, '{"text":"a","label":"x"}\n{"text":"b","label":"y"}\n{"text": oops}\n');
    const result = await slipway('train', '--data', file, '--out', join(dir, 'never'));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${file}:3`);
  });

  test('usage errors exit 2 and every command has --help', async () => {
    expect((await slipway('train', '--out', dir)).code).toBe(2);
    for (const command of ['train', 'predict']) {
      const help = await slipway(command, '--help');
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`Usage: slipway ${command}`);
    }
  });

  test('a model folder that is not a model is a clear error', async () => {
    const result = await slipway('predict', '--model', dir, 'hello');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/manifest\.json cannot be read/);
  });
});

describe('slipway train --trainer-command', () => {
  const trainers = join(import.meta.dirname, '../../fixtures/trainers');

  test('runs the program from the current directory and writes its checked model with a manifest', async () => {
    const out = join(dir, 'command-model');
    const trained = await runCli(
      [
        'train',
        '--data',
        'builtin:sentiment',
        '--out',
        out,
        '--json',
        '--trainer-command',
        '/usr/bin/python3 constant.py',
      ],
      { cwd: trainers },
    );
    expect(trained.code, trained.stderr).toBe(0);
    expect(trained.stderr).toMatch(/ {3}│ constant trainer, mode ok\n/);
    const manifest = JSON.parse(trained.stdout);
    expect(manifest.lineage.trainer).toEqual({
      type: 'command',
      command: ['/usr/bin/python3', 'constant.py'],
      image: null,
    });
    expect(manifest.metrics.rows).toBe(600);
    const predicted = await runCli(['predict', '--model', out, '--json', 'a fine film']);
    expect(JSON.parse(predicted.stdout).predictions[0].label).toBe('negative');
  }, 120_000);

  test("a failing program's reason is the command's error, exit 1", async () => {
    const trained = await runCli(
      [
        'train',
        '--data',
        'builtin:sentiment',
        '--out',
        join(dir, 'failed-model'),
        '--hp',
        'mode=fail',
        '--trainer-command',
        '/usr/bin/python3 constant.py',
      ],
      { cwd: trainers },
    );
    expect(trained.code).toBe(1);
    expect(trained.stderr).toContain(
      'the training program failed: ValueError: the constant trainer was told to fail',
    );
  }, 120_000);
});

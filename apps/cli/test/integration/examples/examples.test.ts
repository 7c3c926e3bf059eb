import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore } from '@slipway/model-store';
import { readEvaluationReport } from '@slipway/steps';
import {
  checkModelContract,
  layOutTrainingRoot,
  loadDataset,
  runTrainingProgram,
  sageMakerEnvironment,
} from '@slipway/training-job';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runCli, stopCliProcesses } from '../../helpers/cli.js';

const example = (name: string) => fileURLToPath(new URL(`../../../../../examples/${name}/`, import.meta.url));
const PYTHON = '/usr/bin/python3';
const QUIET = ['--auto-approve', '--exit', '--no-console', '--port', '0'];

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'slipway-examples-'));
});
afterAll(async () => {
  await stopCliProcesses();
  await rm(scratch, { recursive: true, force: true });
});

const jsonl = (rows: readonly { text: string; label: string }[]) =>
  new TextEncoder().encode(rows.map((r) => JSON.stringify(r)).join('\n'));

/** Each example: its folder, and the line it prints with its own test accuracy. */
const EXAMPLES = [
  { name: 'sklearn', framework: 'scikit-learn', accuracyLine: /│ scikit-learn test accuracy 0\.\d{4}/ },
  {
    name: 'pytorch',
    framework: 'PyTorch',
    accuracyLine: /│ epoch 8 loss [\d.]+\n(.*\n)*.*│ pytorch test accuracy 0\.\d{4}/,
  },
] as const;

describe.each(EXAMPLES)(
  'examples/$name: trained with $framework, served by onnxruntime-node',
  ({ name, framework, accuracyLine }) => {
    const EXAMPLE = example(name);
    test(`its ONNX graph gives ${framework}'s own probabilities on every test text, within 1e-5`, async () => {
      const root = join(scratch, `${name}-parity`);
      const dataset = await loadDataset('builtin:sentiment');
      await layOutTrainingRoot(root, {
        hyperparameters: {},
        channels: {
          train: { 'train.jsonl': jsonl(dataset.train) },
          test: { 'test.jsonl': jsonl(dataset.test) },
        },
      });
      const lines: string[] = [];
      const outcome = await runTrainingProgram({
        command: [PYTHON, 'train.py'],
        cwd: EXAMPLE,
        root,
        environment: sageMakerEnvironment(root, {}, ['train', 'test']),
        log: (line) => lines.push(line),
      });
      expect(outcome, lines.join('\n')).toEqual({ ok: true });
      // The program's own answers on the test split, written to output/data beside the model.
      const expected = (await readFile(join(root, 'output/data/predictions.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { text: string; probabilities: Record<string, number> });
      expect(expected.map((e) => e.text)).toEqual(dataset.test.map((r) => r.text));
      const classifier = await checkModelContract(
        await readFile(join(root, 'model/model.onnx')),
        dataset.test.map((r) => r.text),
      );
      try {
        const predictions = await classifier.predict(expected.map((e) => e.text));
        let worst = 0;
        predictions.forEach((p, i) => {
          for (const [label, probability] of Object.entries(expected[i]?.probabilities ?? {}))
            worst = Math.max(worst, Math.abs((p.probabilities[label] ?? Number.NaN) - probability));
        });
        expect(worst).toBeLessThan(1e-5);
        expect(predictions).toHaveLength(600);
      } finally {
        await classifier.close();
      }
    }, 180_000);

    test('slipway run in its folder trains it (slipway.json names the command), evaluates it next to the built-in trainer’s model, and serves it', async () => {
      const store = `file://${join(scratch, `${name}-store`)}`;
      // The built-in trainer first: it becomes production, the model the candidate is compared with.
      const builtin = await runCli(['run', ...QUIET, '--store', store]);
      expect(builtin.code, builtin.stderr).toBe(0);

      // No --trainer-command: the example's slipway.json names its program, as a team's repository would.
      const run = await runCli(
        // Both models are good; the gate's regression margin is widened so that the test is about the
        // path, not about which of two near-equal models is ahead by a fraction of a point.
        ['run', ...QUIET, '--store', store, '--max-regression', '0.05'],
        { cwd: EXAMPLE },
      );
      expect(run.code, run.stderr).toBe(0);
      // The program's own lines, as it printed them.
      expect(run.stderr).toMatch(/│ 2400 train rows, 600 test rows/);
      expect(run.stderr).toMatch(accuracyLine);
      expect(run.stderr).toMatch(/│ model\.onnx follows the model contract: 2 classes/);
      const id = /execution (\S+) succeeded/.exec(run.stdout)?.[1] as string;

      const opened = await openStore(store);
      try {
        const report = await readEvaluationReport(opened, id);
        expect(report?.candidate.trainerVersion).toBe(`command: ${PYTHON} train.py`);
        expect(report?.production?.trainerVersion).toMatch(/^\d+\.\d+\.\d+/);
        // Both on the same test split, side by side.
        expect(report?.candidate.metrics.rows).toBe(600);
        expect(report?.production?.metrics.rows).toBe(600);
        expect(report?.candidate.metrics.accuracy).toBeGreaterThan(0.75);
        const { manifest } = await opened.getManifest('sentiment', 'production');
        expect(manifest.lineage.trainer).toEqual({
          type: 'command',
          command: [PYTHON, 'train.py'],
          image: null,
        });
      } finally {
        await opened.close();
      }
    }, 400_000);
  },
);

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { skewedManyClassCsv } from '../../../../../test-helpers/many-classes.js';
import { EXIT_CODES } from '../../../src/exit-codes.js';
import { runCli, stopCliProcesses } from '../../helpers/cli.js';

// 43 classes from 120 rows down to 4, as real many-class data sets are: the majority-class baseline
// is about 0.23, and this model reaches about 0.49, far above it and below the old fixed 0.6.
let dir: string;
let data: string;
const local = ['--exit', '--no-console', '--port', '0', '--auto-approve', '--json'];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-gate-defaults-'));
  data = join(dir, 'tickets.csv');
  await writeFile(data, skewedManyClassCsv(43, 120, 0.15));
});
afterEach(stopCliProcesses);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('gate defaults for any number of classes', () => {
  it('the first run of a 43-class model passes the default gate, judged against the majority-class baseline', async () => {
    const store = join(dir, 'store-pass');
    const run = await runCli(['run', '--data', data, ...local, '--store', `file://${store}`]);
    const outcome = JSON.parse(run.stdout) as { finalState: string; id: string };
    expect(outcome.finalState).toBe('Done');
    expect(run.code).toBe(EXIT_CODES.succeeded);
    const report = JSON.parse(
      await readFile(join(store, 'executions', outcome.id, 'evaluation.json'), 'utf8'),
    ) as {
      baseline: { label: string; accuracy: number };
      candidate: { metrics: { accuracy: number } };
      thresholds: Record<string, number>;
      verdict: { reasons: { check: string; required: number; passed: boolean }[] };
    };
    expect(report.thresholds).toEqual({
      minAccuracy: 0,
      minBaselineGain: 0.2,
      maxRegression: 0.01,
      minClassF1: 0,
    });
    expect(report.baseline.label).toBe('topic-000');
    expect(report.baseline.accuracy).toBeGreaterThan(0.15);
    expect(report.baseline.accuracy).toBeLessThan(0.3);
    const check = report.verdict.reasons.find((r) => r.check === 'baselineGain');
    expect(check?.required).toBeCloseTo(report.baseline.accuracy + 0.2 * (1 - report.baseline.accuracy), 9);
    expect(report.candidate.metrics.accuracy).toBeLessThan(0.6);
  }, 240_000);

  it('a candidate that fails the gate says which flags change it: exit 4', async () => {
    const run = await runCli([
      'run',
      '--data',
      data,
      '--min-baseline-gain',
      '0.9',
      ...local,
      '--store',
      `file://${join(dir, 'store-fail')}`,
    ]);
    expect(run.code).toBe(EXIT_CODES.gateFailed);
    expect(run.stderr).toContain(
      'change the gate with --min-baseline-gain, --min-accuracy, --min-class-f1, --max-regression (`slipway run --help` shows the defaults)',
    );
    const help = (await runCli(['run', '--help'])).stdout.replace(/\s+/g, ' ');
    expect(help).toContain(
      "--min-baseline-gain <x> gate: share of the majority-class baseline's errors the candidate must avoid (default 0.2: accuracy ≥ baseline + 0.2 × (1 − baseline))",
    );
    expect(help).toContain('--min-accuracy <x> gate: lowest accuracy accepted (default 0: none)');
  }, 240_000);
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { main } from '@slipway/cli';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { manyClassCsv } from '../../../../../test-helpers/many-classes.js';
import { slipway } from '../../helpers/cli.js';

/** `slipway run` in-process, with its stderr readable while it runs. */
function startRun(args: string[]): { stdout: () => string; stderr: () => string; done: Promise<number> } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const done = main(['node', 'slipway', 'run', ...args], { stdout, stderr });
  return {
    stdout: () => Buffer.concat(out).toString('utf8'),
    stderr: () => Buffer.concat(err).toString('utf8'),
    done,
  };
}

async function until(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// A 43-class model, as a team would train on its own data: the prompt must stay short and say what changed.
describe('slipway run on a many-class dataset', () => {
  let dir: string;
  let data: string;
  let store: string;
  const common = () => ['--data', data, '--store', store, '--exit', '--no-console', '--port', '0'];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-review-'));
    data = join(dir, 'tickets.csv');
    store = pathToFileURL(join(dir, 'store')).href;
    await writeFile(data, manyClassCsv(43, 20, 0.45));
    const first = startRun([...common(), '--auto-approve']);
    await first.done;
    expect(first.stderr()).toContain('production none -> v1');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('approval-rejected: the prompt summarizes 43 classes, shows what changed from production, and the end names the rejection once', async () => {
    const run = startRun([...common(), '--hp', 'C=1', '--hp', 'ngram_max=1', '--approval-timeout', '120']);
    await until(() => run.stderr().includes('from another terminal'), 'the approval prompt');
    const text = run.stderr();
    const prompt = text.slice(text.indexOf('waits for approval'), text.indexOf('from another terminal'));
    const lines = prompt.split('\n');
    // Headline, lineage, six classes, three confusions, the gate: not one line per class.
    expect(lines.length).toBeLessThanOrEqual(26);
    expect(prompt).toMatch(/^ +candidate v2 +production v1 +change$/m);
    expect(prompt).toMatch(/^ +accuracy +\d+\.\d% +\d+\.\d% +([+−]\d+\.\d pt|same)$/m);
    expect(prompt).toContain('changed from production v1:\n      C 10 -> 1\n      ngramMax 2 -> 1\n');
    expect(prompt).toMatch(/^ {4}hyperparams {2}analyzer=word C=1 /m);
    expect(prompt).toMatch(/^ {2}43 classes: \d+ better, \d+ worse, \d+ unchanged; the 6 that moved most:$/m);
    expect(prompt).toContain('top confusions (true -> predicted):');
    // Names are whole (the long ones are 32 characters), not cut to nine.
    expect(prompt).toMatch(/billing-and-payment-question-\d{3} /);

    const id = /execution (\S+) +store/.exec(text)?.[1] as string;
    expect((await slipway('reject', id, '--store', store, '--reason', 'C=1 underfits')).code).toBe(0);
    await run.done;
    const end = run.stderr();
    expect(run.stdout()).toContain(`execution ${id} ended in Rejected: C=1 underfits\n`);
    expect(end).toMatch(/^ {2}!! {2}Approval +\S+ \S+ {2}rejected: C=1 underfits$/m);
    expect(end).toMatch(/^ {2}!! {2}Rejected +the candidate was rejected$/m);
    expect(end).not.toMatch(/^ {2}ok {2}Approval/m);
  });

  test('gate-fails: the Gate line is a failure, not "ok … failed", and the end says why once', async () => {
    const run = startRun([...common(), '--min-accuracy', '1']);
    await run.done;
    const text = run.stderr();
    expect(text).toMatch(/^ {2}!! {2}Gate +\S+ \S+ {2}failed$/m);
    expect(text).not.toMatch(/^ {2}ok {2}Gate/m);
    expect(run.stdout()).toMatch(/ended in EvaluationFailedGate: GateFailed: candidate accuracy/);
    expect(text).toMatch(
      /^ {2}!! {2}EvaluationFailedGate +the candidate did not pass the gate: candidate accuracy/m,
    );
  });
});

import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { slipway } from '../../helpers/cli.js';

// Deterministic input problems are found before any execution starts: nothing trains, nothing is
// recorded, and no training job fails minutes later on what a flag said.
describe('slipway run validates its input before an execution starts', () => {
  let dir: string;
  let store: string;
  const run = (...args: string[]) =>
    slipway('run', '--store', store, '--exit', '--no-console', '--port', '0', '--auto-approve', ...args);
  const nothingStarted = async () =>
    expect(await readdir(join(dir, 'store', 'executions')).catch(() => [])).toEqual([]);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-run-validation-'));
    store = pathToFileURL(join(dir, 'store')).href;
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('an unknown hyperparameter', async () => {
    const result = await run('--hp', 'bogus=1');
    expect(result.stderr).toContain('error: unknown hyperparameter "bogus"; known: analyzer,');
    expect(result.stderr).toContain('nothing was started');
    expect(result.code).toBe(2);
    await nothingStarted();
  });

  test('values out of range, of the wrong type, or inconsistent with each other', async () => {
    for (const [hp, message] of [
      ['ngram_max=99', 'ngramMax="99": must be at most 8'],
      ['C=0', 'C="0": must be at least 1e-9'],
      ['max_iter=many', 'maxIter="many": expected a number'],
      ['analyzer=bytes', 'analyzer="bytes": expected "word" or "char"'],
    ] as const) {
      const result = await run('--hp', hp);
      expect(result.stderr).toContain(message);
      expect(result.code).toBe(2);
    }
    const upsideDown = await run('--hp', 'ngram_min=3', '--hp', 'ngram_max=2');
    expect(upsideDown.stderr).toContain('ngramMin=3 is larger than ngramMax=2');
    expect(upsideDown.code).toBe(2);
    await nothingStarted();
  });

  test('data that cannot be used, named by file and line (exit 1, like every command given bad data)', async () => {
    const data = join(dir, 'reviews.jsonl');
    await writeFile(data, '{"text":"fine","label":"a"}\n{"text":"no label"}\n');
    const result = await run('--data', data);
    expect(result.stderr).toMatch(/error: \S*reviews\.jsonl:2: /);
    expect(result.code).toBe(1);
    await nothingStarted();
  });
});

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadDataset } from '@slipway/training-job';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const script = fileURLToPath(new URL('./print-dataset.ts', import.meta.url));
const fixture = fileURLToPath(new URL('../../fixtures/data/turkish-labels.csv', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

/** The dataset a fresh Node process computes under another locale and time zone. */
async function inFreshProcess(spec: string) {
  const { stdout } = await run(process.execPath, ['--conditions=source', '--import', 'tsx', script, spec], {
    cwd: repoRoot,
    env: { ...process.env, LANG: 'tr_TR.UTF-8', LC_ALL: 'tr_TR.UTF-8', TZ: 'Pacific/Chatham' },
  });
  return JSON.parse(stdout) as { sha256: string; classes: string[]; test: number };
}

describe('dataset versions do not depend on the process, locale or time zone', () => {
  it('gives the same sentiment version in a fresh process', async () => {
    const here = await loadDataset('builtin:sentiment');
    expect(await inFreshProcess('builtin:sentiment')).toEqual({
      sha256: here.sha256,
      classes: ['negative', 'positive'],
      test: 600,
    });
  });

  it('sorts labels by code unit, not by the locale, and splits them identically', async () => {
    const here = await loadDataset(fixture);
    // U+0049, U+0069, U+0130, U+0131: code-unit order; a Turkish collation would differ.
    expect(here.classes).toEqual(['I', 'i', 'İ', 'ı']);
    expect(await inFreshProcess(fixture)).toEqual({ sha256: here.sha256, classes: here.classes, test: 4 });
  });
});

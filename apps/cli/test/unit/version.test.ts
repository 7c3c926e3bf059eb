import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/main.js';
import { slipway } from '../helpers/cli.js';

describe('slipway --version', () => {
  it('prints the CLI package version and exits 0, with either flag', async () => {
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    for (const flag of ['--version', '-V']) {
      expect(await slipway(flag)).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
    }
  });

  it('loads no command group to answer (a script calling it should not wait for onnxruntime or the SDK)', async () => {
    expect((await buildProgram(undefined, '--version')).commands).toEqual([]);
    expect((await buildProgram(undefined, 'serve')).commands.map((c) => c.name())).toEqual(['serve']);
  });
});

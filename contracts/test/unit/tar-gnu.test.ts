import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { packArchive } from '../../src/tar.js';

const utf8 = new TextEncoder();
const longName = `${'long-name-'.repeat(12)}.json`;
const files: Record<string, Uint8Array> = {
  'model.onnx': new Uint8Array(1500).map((_, i) => (i * 7) % 256),
  'metrics.json': utf8.encode('{"accuracy":0.75}\n'),
  'manifest.json': utf8.encode('{"name":"topics","files":{}}\n'),
  'empty.txt': new Uint8Array(0),
  'exactly-512.bin': new Uint8Array(512).fill(0xab),
  [longName]: utf8.encode('x'),
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'slipway-tar-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('packArchive', () => {
  test('GNU tar lists the files in name order, owned by 0/0, mode 644, dated the epoch', () => {
    writeFileSync(join(dir, 'model.tar.gz'), packArchive(files));
    const listed = execFileSync('tar', ['-tzf', join(dir, 'model.tar.gz')], { encoding: 'utf8' });
    expect(listed).toBe(`${Object.keys(files).sort().join('\n')}\n`);
    const verbose = execFileSync(
      'tar',
      ['--numeric-owner', '--utc', '-tvzf', join(dir, 'model.tar.gz'), 'model.onnx'],
      { encoding: 'utf8' },
    );
    expect(verbose).toBe('-rw-r--r-- 0/0            1500 1970-01-01 00:00 model.onnx\n');
  });

  test('GNU tar extracts every file byte-identical', () => {
    writeFileSync(join(dir, 'model.tar.gz'), packArchive(files));
    const out = join(dir, 'out');
    mkdirSync(out);
    execFileSync('tar', ['-xzf', join(dir, 'model.tar.gz'), '-C', out]);
    expect(readdirSync(out).sort()).toEqual(Object.keys(files).sort());
    for (const [name, bytes] of Object.entries(files)) {
      expect(new Uint8Array(readFileSync(join(out, name))), name).toEqual(bytes);
    }
  });

  test('the same files give the same bytes, whatever order they are given in', () => {
    const reversed = Object.fromEntries(Object.entries(files).reverse());
    expect(Buffer.from(packArchive(reversed)).equals(Buffer.from(packArchive(files)))).toBe(true);
  });

  test('an empty folder packs to an archive GNU tar reads as empty', () => {
    writeFileSync(join(dir, 'empty.tar.gz'), packArchive({}));
    expect(execFileSync('tar', ['-tzf', join(dir, 'empty.tar.gz')], { encoding: 'utf8' })).toBe('');
  });
});

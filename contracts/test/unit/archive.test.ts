import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { ArchiveError, packArchive, unpackArchive } from '../../src/tar.js';

const utf8 = new TextEncoder();
const files = {
  'model.onnx': new Uint8Array(1500).map((_, i) => (i * 7) % 256),
  'manifest.json': utf8.encode('{"name":"m"}'),
  [`${'long-name-'.repeat(12)}.json`]: utf8.encode('x'),
};

describe('model.tar.gz', () => {
  test('round-trips and is deterministic', () => {
    const a = packArchive(files);
    expect(Buffer.from(a).equals(Buffer.from(packArchive(files)))).toBe(true);
    expect(unpackArchive(a)).toEqual(files);
  });

  test('GNU tar reads what we write, and we read what GNU tar writes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-tar-'));
    try {
      writeFileSync(join(dir, 'ours.tar.gz'), packArchive(files));
      const listed = execFileSync('tar', ['-tzf', join(dir, 'ours.tar.gz')], { encoding: 'utf8' })
        .trim()
        .split('\n');
      expect(listed.sort()).toEqual(Object.keys(files).sort());
      execFileSync('tar', ['-xzf', join(dir, 'ours.tar.gz'), '-C', dir, 'model.onnx']);
      expect(new Uint8Array(readFileSync(join(dir, 'model.onnx')))).toEqual(files['model.onnx']);

      writeFileSync(join(dir, 'metrics.json'), '{"accuracy":1}');
      execFileSync('tar', ['-czf', join(dir, 'theirs.tar.gz'), '-C', dir, 'metrics.json', 'model.onnx']);
      const theirs = unpackArchive(readFileSync(join(dir, 'theirs.tar.gz')));
      expect(Object.keys(theirs).sort()).toEqual(['metrics.json', 'model.onnx']);
      expect(new TextDecoder().decode(theirs['metrics.json'])).toBe('{"accuracy":1}');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('refuses corrupt or hostile archives', () => {
    expect(() => unpackArchive(new Uint8Array([0x1f, 0x8b, 1, 2, 3]))).toThrow(ArchiveError);
    const packed = packArchive({ 'a.bin': new Uint8Array(2000) });
    const tar = new Uint8Array(gunzipSync(packed));
    expect(() => unpackArchive(gzipSync(tar.subarray(0, 1024)))).toThrow(
      /truncated archive at entry "a.bin"/,
    );
    const climbing = new Uint8Array(tar);
    climbing.set(utf8.encode('../evil\0\0\0\0\0\0'), 0);
    expect(() => unpackArchive(climbing)).toThrow(/points outside the archive/);
  });
});

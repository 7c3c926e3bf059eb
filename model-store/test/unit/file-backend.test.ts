import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileBackend } from '@slipway/model-store';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const text = (s: string) => new TextEncoder().encode(s);

describe('folder backend', () => {
  let root: string;
  let backend: FileBackend;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'slipway-fb-'));
    backend = new FileBackend(root);
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('leaves no temp files behind and never lists them', async () => {
    await backend.put('a/b.json', text('1'));
    expect(await backend.putIfAbsent('a/b.json', text('2'))).toBe(false);
    expect(await backend.putIfAbsent('a/c.json', text('3'))).toBe(true);
    expect((await readdir(join(root, 'a'))).sort()).toEqual(['b.json', 'c.json']);
    await writeFile(join(root, 'a', '.d.json.tmp-123-abc'), 'half');
    expect((await backend.list('a/')).map((o) => o.key)).toEqual(['a/b.json', 'a/c.json']);
  });

  it('sweeps interrupted writes older than the given age only', async () => {
    await backend.put('a/b.json', text('1'));
    const old = join(root, 'a', '.x.tmp-1-old');
    await writeFile(old, 'partial');
    await utimes(old, new Date(Date.now() - 7_200_000), new Date(Date.now() - 7_200_000));
    await writeFile(join(root, 'a', '.y.tmp-1-new'), 'partial');
    expect(await backend.sweepInterruptedWrites(3_600_000)).toBe(1);
    expect((await readdir(join(root, 'a'))).sort()).toEqual(['.y.tmp-1-new', 'b.json']);
  });

  it('takes over a compare-and-swap lock left by a process that died', async () => {
    await backend.put('alias.json', text('v1'));
    const etag = (await backend.get('alias.json'))?.etag ?? '';
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid;
    await writeFile(
      join(root, '.alias.json.lock'),
      JSON.stringify({ pid: dead, host: hostname(), at: Date.now() }),
    );
    const started = Date.now();
    expect(await backend.putIfMatch('alias.json', text('v2'), etag)).toBeTypeOf('string');
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(new TextDecoder().decode((await backend.get('alias.json'))?.body)).toBe('v2');
    expect(await readdir(root)).toEqual(['alias.json']);
  });

  it('takes over a lock older than 30 s whoever holds it', async () => {
    await backend.put('alias.json', text('v1'));
    const etag = (await backend.get('alias.json'))?.etag ?? '';
    const lock = join(root, '.alias.json.lock');
    await writeFile(lock, JSON.stringify({ pid: process.pid, host: 'another-host', at: 0 }));
    await utimes(lock, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    expect(await backend.putIfMatch('alias.json', text('v2'), etag)).toBeTypeOf('string');
  });

  it('removes folders left empty by deletes, so child listings stay truthful', async () => {
    await backend.put('models/m/versions/1/model.onnx', text('x'));
    await backend.put('models/m/model.json', text('{}'));
    await backend.delete('models/m/versions/1/model.onnx');
    expect(await backend.listChildren('models/m/')).toEqual([]);
    expect(await backend.listChildren('models/')).toEqual(['m']);
  });
});

/** `slipway models …` run in-process against a folder store in a temp dir. */

import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { main } from '@slipway/cli';
import { layout } from '@slipway/contracts';
import { type ModelStore, openStore } from '@slipway/model-store';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../src/exit-codes.js';

async function slipway(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const code = await main(['node', 'slipway', ...args], { stdout, stderr });
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

const manifest = (
  gitCommit: string,
  pullRequest: number,
  hyperparameters: Record<string, string | number | boolean> = { C: 10, analyzer: 'word' },
  dataset = 'a'.repeat(64),
) => ({
  schema: 'slipway.model/v1',
  name: 'sentiment',
  version: null,
  classes: ['negative', 'positive'],
  metrics: { accuracy: 0.8125, macroF1: 0.8, logLoss: 0.4 },
  lineage: {
    gitCommit,
    pullRequest,
    executionId: `exec-${gitCommit}`,
    dataset: { name: 'sentiment', sha256: dataset },
    hyperparameters,
    trainerVersion: '0.1.0',
    createdAt: '2025-02-03T04:05:06.000Z',
  },
});

describe('slipway models', () => {
  let dir: string;
  let uri: string;
  let store: ModelStore;

  // `models gc` also sweeps the temp folders of dead slipway processes; a private TMPDIR keeps what
  // other processes on this machine left behind out of this file's exact outputs.
  const savedTmp = process.env.TMPDIR;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-cli-'));
    await mkdir(join(dir, 'tmp'));
    process.env.TMPDIR = join(dir, 'tmp');
    uri = pathToFileURL(join(dir, 'store')).href;
    store = await openStore(uri);
  });
  afterEach(async () => {
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const seed = async (count: number) => {
    for (let i = 1; i <= count; i++) {
      await store.registerModel({
        name: 'sentiment',
        files: { 'model.onnx': new Uint8Array([i, i, i]) },
        manifest: manifest(`commit${i}`, 10 + i),
      });
    }
  };

  it('lists models, then the versions of one, newest first with a cursor for the next page', async () => {
    expect(await slipway('models', 'list', '--store', uri)).toEqual({
      code: 0,
      stdout: `no models in ${uri}\n`,
      stderr: '',
    });
    await seed(3);
    await store.setAlias('sentiment', 'production', 2);

    const models = await slipway('models', 'list', '--store', uri, '--json');
    expect(models.code).toBe(0);
    expect(JSON.parse(models.stdout)).toEqual({
      store: uri,
      models: [{ name: 'sentiment', latest: 3, aliases: { production: 2 } }],
    });

    const page = await slipway('models', 'list', 'sentiment', '--limit', '2', '--store', uri, '--json');
    const parsed = JSON.parse(page.stdout);
    expect(
      parsed.versions.map((v: { version: number; aliases: string[] }) => [v.version, v.aliases]),
    ).toEqual([
      [3, []],
      [2, ['production']],
    ]);
    expect(parsed.nextCursor).toBe('2');

    const human = await slipway('models', 'list', 'sentiment', '--limit', '2', '--store', uri);
    expect(human.stdout.split('\n').slice(0, 3)).toEqual([
      'VERSION  CREATED                   ACCURACY  MACRO-F1  COMMIT   PR   ALIASES     VS PRODUCTION',
      '3        2025-02-03T04:05:06.000Z  0.8125    0.8000    commit3  #13  -           commit',
      '2        2025-02-03T04:05:06.000Z  0.8125    0.8000    commit2  #12  production  -',
    ]);
    expect(human.stderr).toBe('more versions: slipway models list sentiment --cursor 2 --limit 2\n');
    const rest = JSON.parse(
      (await slipway('models', 'list', 'sentiment', '--cursor', '2', '--store', uri, '--json')).stdout,
    );
    expect(rest.versions.map((v: { version: number }) => v.version)).toEqual([1]);
  });

  it('shows hyperparameters, dataset and commit, and what differs from production, in list and show', async () => {
    await store.registerModel({
      name: 'sentiment',
      files: { 'model.onnx': new Uint8Array([1]) },
      manifest: manifest('commit1', 11),
    });
    await store.registerModel({
      name: 'sentiment',
      files: { 'model.onnx': new Uint8Array([2]) },
      manifest: manifest('commit2', 11, { C: 20, analyzer: 'word' }, 'b'.repeat(64)),
    });
    const alone = await slipway('models', 'show', 'sentiment', '2', '--store', uri);
    expect(alone.stdout).toContain('  hyperparams  analyzer=word C=20\n  production   none yet\n');

    await store.setAlias('sentiment', 'production', 1);
    const shown = await slipway('models', 'show', 'sentiment', '2', '--store', uri);
    expect(shown.stdout).toContain(
      [
        `  dataset      sentiment ${'b'.repeat(64)}`,
        // An older manifest's trainerVersion reads as the built-in trainer at that version.
        '  trainer      builtin 0.1.0',
        '  hyperparams  analyzer=word C=20',
        '  vs production v1:',
        `    dataset sentiment ${'a'.repeat(12)} -> sentiment ${'b'.repeat(12)}`,
        '    commit commit1 -> commit2',
        '    C 10 -> 20',
      ].join('\n'),
    );
    const json = JSON.parse(
      (await slipway('models', 'show', 'sentiment', '2', '--store', uri, '--json')).stdout,
    );
    expect(json.comparison.changed.map((r: { key: string }) => r.key)).toEqual(['dataset', 'commit', 'hp.C']);
    expect(json.verifications).toEqual([]);
    expect(shown.stdout).toContain('  rebuilds     never verified (slipway verify sentiment 2)\n');
    const record = await store.recordVerification('sentiment', 2, {
      outcome: 'differs',
      by: 'carol',
      at: '2026-12-07T01:30:00.000Z',
      where: 'local',
      trainer: { type: 'builtin', version: '0.2.0' },
      environment: { node: '22.1.0', onnxruntime: '1.30.0', platform: 'linux-x64', image: null },
      registeredSha256: 'c'.repeat(64),
      rebuiltSha256: 'd'.repeat(64),
      differences: [{ field: 'trainer', recorded: 'builtin 0.1.0', rebuilt: 'builtin 0.2.0' }],
      predictions: { rows: 10, sameLabel: 9, maxProbabilityDiff: 0.25 },
      summary: 'differs',
    });
    const verified = await slipway('models', 'show', 'sentiment', '2', '--store', uri);
    expect(verified.stdout).toContain(
      '  rebuilds (slipway verify)\n    2026-12-07T01:30:00.000Z  differs            by carol (local)  node 22.1.0, onnxruntime 1.30.0, linux-x64\n',
    );
    const verifiedJson = JSON.parse(
      (await slipway('models', 'show', 'sentiment', '2', '--store', uri, '--json')).stdout,
    );
    expect(verifiedJson.verifications).toEqual([record]);
    const production = await slipway('models', 'show', 'sentiment', 'production', '--store', uri);
    expect(production.stdout).toContain('  production   this version\n');

    const list = await slipway('models', 'list', 'sentiment', '--store', uri);
    expect(list.stdout.split('\n').map((l) => l.split('  ').at(-1)?.trim())).toEqual([
      'VS PRODUCTION',
      'dataset C 10->20 commit',
      '-',
      '',
    ]);
  });

  it('shows a version by number, alias or latest, after verifying its files', async () => {
    await seed(2);
    await store.setAlias('sentiment', 'staging', 1);
    const shown = JSON.parse(
      (await slipway('models', 'show', 'sentiment', 'staging', '--store', uri, '--json')).stdout,
    );
    expect(shown).toMatchObject({ name: 'sentiment', version: 1, aliases: ['staging'], verified: true });
    expect(shown.manifest.lineage.gitCommit).toBe('commit1');
    const latest = await slipway('models', 'show', 'sentiment', '--store', uri);
    expect(latest.stdout).toContain('sentiment v2\n');
    expect(latest.stdout).toContain('  git commit   commit2\n');

    await writeFile(
      join(dir, 'store', ...layout.versionFile('sentiment', 2, 'model.onnx').split('/')),
      new Uint8Array([9, 9, 9]),
    );
    const broken = await slipway('models', 'show', 'sentiment', '2', '--store', uri);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(
      /^error: model "sentiment" version 2: file "model.onnx" failed its integrity check \(expected sha256 [0-9a-f]{64}, got [0-9a-f]{64}\)/,
    );
  });

  it('moves aliases by compare-and-swap, shows their history, and rolls back', async () => {
    await seed(3);
    const set = await slipway(
      'models',
      'set-alias',
      'sentiment',
      'production',
      '1',
      '--expected',
      'none',
      '--actor',
      'alice',
      '--reason',
      'first release',
      '--store',
      uri,
      '--json',
    );
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({
      alias: 'production',
      version: 1,
      previous: null,
      updatedBy: 'alice',
      reason: 'first release',
    });
    expect(
      (
        await slipway(
          'models',
          'set-alias',
          'sentiment',
          'production',
          '2',
          '--expected',
          '1',
          '--actor',
          'bob',
          '--store',
          uri,
        )
      ).code,
    ).toBe(0);

    const conflict = await slipway(
      'models',
      'set-alias',
      'sentiment',
      'production',
      '3',
      '--expected',
      '1',
      '--store',
      uri,
    );
    expect(conflict.code).toBe(EXIT_CODES.conflict);
    expect(conflict.stderr).toMatch(
      /^error: alias "production" of model "sentiment" is at version 2 \(moved by bob at .*\), not at the expected version 1; re-read the alias and retry/,
    );

    const list = JSON.parse(
      (await slipway('models', 'aliases', 'sentiment', '--store', uri, '--json')).stdout,
    );
    expect(list.aliases).toEqual([
      expect.objectContaining({ alias: 'production', version: 2, previous: 1, updatedBy: 'bob' }),
    ]);

    const back = await slipway(
      'models',
      'rollback',
      'sentiment',
      'production',
      '--actor',
      'oncall',
      '--reason',
      'smoke test failed',
      '--store',
      uri,
    );
    expect(back.code).toBe(0);
    expect(back.stdout).toMatch(
      /^sentiment production -> v1 {2}\(.* rollback {2}v2 -> v1 {2}by oncall: smoke test failed\)\n$/,
    );

    const history = await slipway('models', 'aliases', 'sentiment', 'production', '--store', uri);
    expect(history.stdout.split('\n').map((l) => l.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/, 'T'))).toEqual([
      'sentiment production -> v1',
      '  T  rollback  v2 -> v1  by oncall: smoke test failed',
      '  T  set       v1 -> v2  by bob',
      '  T  set       unset -> v1  by alice: first release',
      '',
    ]);
  });

  it('removes only registrations that never completed, after the grace period', async () => {
    await seed(1);
    const claim = {
      version: 2,
      owner: 'dead',
      executionId: null,
      actor: 'x',
      claimedAt: '2020-01-01T00:00:00.000Z',
      state: 'open',
    };
    const root = join(dir, 'store');
    const leftover = join(root, ...layout.versionFile('sentiment', 2, 'model.onnx').split('/'));
    await store.backend.put(layout.claim('sentiment', 2), new TextEncoder().encode(JSON.stringify(claim)));
    await store.backend.put(layout.versionFile('sentiment', 2, 'model.onnx'), new Uint8Array([1]));
    await utimes(leftover, new Date('2020-01-01'), new Date('2020-01-01'));

    const dry = await slipway('models', 'gc', '--grace', '1h', '--dry-run', '--store', uri);
    expect(dry.stdout).toBe('would remove model-version sentiment 2 (1 object)\n');
    expect(await readFile(leftover)).toHaveLength(1);
    const real = JSON.parse((await slipway('models', 'gc', '--store', uri, '--json')).stdout);
    expect(real.removed).toEqual([
      {
        kind: 'model-version',
        name: 'sentiment',
        id: '2',
        keys: [layout.versionFile('sentiment', 2, 'model.onnx')],
      },
    ]);
    await expect(readFile(leftover)).rejects.toThrow(/ENOENT/);
    expect((await slipway('models', 'gc', '--store', uri)).stdout).toBe('nothing to remove\n');
    expect((await slipway('models', 'show', 'sentiment', '1', '--store', uri)).code).toBe(0);
  });

  it('gc removes the temporary folders of dead slipway processes, of every kind, and no live one', async () => {
    // A pid that is certainly gone: a child that has exited.
    const child = spawn(process.execPath, ['-e', '']);
    const dead = await new Promise<number>((resolve) =>
      child.once('exit', () => resolve(child.pid as number)),
    );
    const tmp = join(dir, 'tmp');
    const kinds = ['job', 'run', 'evaluate'];
    for (const kind of kinds) await mkdir(join(tmp, `slipway-${kind}-${dead}-abc`));
    await mkdir(join(tmp, `slipway-evaluate-${process.pid}-live`));
    const gone = kinds.map((kind) => `removed temporary folder ${join(tmp, `slipway-${kind}-${dead}-abc`)}`);

    const dry = await slipway('models', 'gc', '--dry-run', '--store', uri);
    expect(dry.stdout.split('\n').filter(Boolean).sort()).toEqual(
      gone
        .map((line) => line.replace('removed', 'would remove'))
        .map((l) => `${l} (its process is gone)`)
        .sort(),
    );
    const real = await slipway('models', 'gc', '--store', uri);
    expect(real.stdout.split('\n').filter(Boolean).sort()).toEqual(
      gone.map((l) => `${l} (its process is gone)`).sort(),
    );
    expect(await readdir(tmp)).toEqual([`slipway-evaluate-${process.pid}-live`]);
  });

  it('marks rejected versions, moves an alias onto one only with --force and a reason, and gc removes unaliased ones', async () => {
    await seed(3);
    await store.setAlias('sentiment', 'production', 1);
    await store.recordRejection('sentiment', 2, {
      executionId: 'exec-commit2',
      by: 'carol',
      reason: 'worse on refunds',
      at: '2026-12-06T10:00:00.000Z',
    });

    const list = await slipway('models', 'list', 'sentiment', '--store', uri);
    expect(list.stdout.split('\n')[0]).toMatch(/VS PRODUCTION {2}REJECTED$/);
    expect(list.stdout.split('\n').map((l) => l.split(/ {2,}/).at(-1))).toEqual([
      expect.stringContaining('REJECTED'),
      '-',
      'by carol: worse on refunds',
      '-',
      '',
    ]);
    const json = JSON.parse((await slipway('models', 'list', 'sentiment', '--store', uri, '--json')).stdout);
    expect(json.versions.map((v: { rejected: { by: string } | null }) => v.rejected?.by ?? null)).toEqual([
      null,
      'carol',
      null,
    ]);
    const show = await slipway('models', 'show', 'sentiment', '2', '--store', uri);
    expect(show.stdout.split('\n').slice(0, 2)).toEqual([
      'sentiment v2  REJECTED',
      '  rejected     by carol at 2026-12-06T10:00:00.000Z: worse on refunds',
    ]);

    const refused = await slipway('models', 'set-alias', 'sentiment', 'production', '2', '--store', uri);
    expect(refused.code).toBe(EXIT_CODES.failed);
    expect(refused.stderr).toContain(
      'version 2 of model "sentiment" was rejected by carol at 2026-12-06T10:00:00.000Z: worse on refunds; ' +
        'if it must serve anyway, pass --force with --reason "..."',
    );
    const noReason = await slipway(
      'models',
      'set-alias',
      'sentiment',
      'production',
      '2',
      '--force',
      '--store',
      uri,
    );
    expect(noReason.code).toBe(EXIT_CODES.failed);
    expect(noReason.stderr).toContain('say why with a reason');
    expect((await store.getAlias('sentiment', 'production')).version).toBe(1);

    const forced = await slipway(
      'models',
      'set-alias',
      'sentiment',
      'staging',
      '2',
      '--force',
      '--reason',
      'compare by hand',
      '--actor',
      'dave',
      '--store',
      uri,
    );
    expect(forced.code).toBe(0);
    const history = await slipway('models', 'aliases', 'sentiment', 'staging', '--store', uri);
    expect(history.stdout).toMatch(
      /set {7}unset -> v2 {2}by dave: compare by hand {2}\[forced onto a version rejected by carol at 2026-12-06T10:00:00.000Z: worse on refunds\]/,
    );

    // Aliased by staging: gc keeps it; once staging moves away, gc --rejected removes it and says so.
    expect((await slipway('models', 'gc', '--rejected', '--grace', '0', '--store', uri)).stdout).toBe(
      'nothing to remove\n',
    );
    await store.setAlias('sentiment', 'staging', 3);
    expect((await slipway('models', 'gc', '--grace', '0', '--store', uri)).stdout).toBe(
      'nothing to remove\n',
    );
    const gc = await slipway('models', 'gc', '--rejected', '--grace', '0', '--store', uri);
    expect(gc.stdout).toBe(
      'removed rejected version sentiment v2 (3 objects; no alias names it, its rejection record is kept)\n',
    );
    expect((await slipway('models', 'show', 'sentiment', '2', '--store', uri)).code).toBe(
      EXIT_CODES.notFound,
    );
  });

  it('reads the store from SLIPWAY_STORE when --store is not given', async () => {
    await seed(1);
    const saved = process.env.SLIPWAY_STORE;
    process.env.SLIPWAY_STORE = uri;
    try {
      expect(JSON.parse((await slipway('models', 'list', '--json')).stdout).models).toHaveLength(1);
    } finally {
      if (saved === undefined) delete process.env.SLIPWAY_STORE;
      else process.env.SLIPWAY_STORE = saved;
    }
  });

  it('explains bad input and exits non-zero', async () => {
    await seed(1);
    const cases: [string[], number, RegExp][] = [
      [
        ['models', 'show', 'nope', '1'],
        EXIT_CODES.notFound,
        /^error: model "nope" does not exist in .* \(models: sentiment\); check the name or the --store URI\n$/,
      ],
      [
        ['models', 'show', 'sentiment', '7'],
        EXIT_CODES.notFound,
        /^error: model "sentiment" has no version 7 .*\(latest is 1\)/,
      ],
      [
        ['models', 'show', 'sentiment', 'canary'],
        EXIT_CODES.notFound,
        /^error: model "sentiment" has no alias "canary"/,
      ],
      [
        ['models', 'set-alias', 'sentiment', 'Prod!', '1'],
        1,
        /^error: invalid alias name "Prod!": use a lowercase letter/,
      ],
      [
        ['models', 'rollback', 'sentiment', 'production'],
        EXIT_CODES.notFound,
        /^error: alias "production" of model "sentiment" has no earlier version to roll back to \(it is not set\)/,
      ],
      [['models', 'list', '--limit', '0'], 2, /--limit must be a positive integer/],
      [['models', 'gc', '--grace', 'soon'], 2, /use a duration like 24h/],
    ];
    for (const [args, code, message] of cases) {
      const result = await slipway(...args, '--store', uri);
      expect({ args, code: result.code }).toEqual({ args, code });
      expect(result.stderr).toMatch(message);
    }
    const scheme = await slipway('models', 'list', '--store', 'gs://bucket/x');
    expect(scheme.code).toBe(1);
    expect(scheme.stderr).toBe(
      'error: unknown store URI scheme "gs://" in "gs://bucket/x": use file:///path/to/folder (or a plain path) for a local store, or s3://bucket/prefix for S3\n',
    );
    const bucket = await slipway('models', 'list', '--store', 's3://');
    expect(bucket.stderr).toBe(
      'error: missing bucket in "s3://": use s3://<bucket>/<prefix>, e.g. s3://my-models/slipway\n',
    );
  });

  it('documents every subcommand in --help', async () => {
    const help = await slipway('models', '--help');
    expect(help.code).toBe(0);
    for (const sub of ['list', 'show', 'aliases', 'set-alias', 'rollback', 'gc'])
      expect(help.stdout).toContain(`  ${sub}`);
    const gc = await slipway('models', 'gc', '--help');
    expect(gc.stdout).toContain('--store <uri>');
    expect(gc.stdout).toContain('(default: "file://./.slipway/store", env: SLIPWAY_STORE)');
  });
});

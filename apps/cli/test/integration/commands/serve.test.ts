import { type ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { openStore } from '@slipway/model-store';
import { loadDataset, resolveHyperparameters, trainModel, writeModelDir } from '@slipway/training-job';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slipway } from '../../helpers/cli.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
let scratch: string;
let modelDir: string;
let altDir: string;

async function train(out: string, C: number): Promise<string> {
  const hp = resolveHyperparameters({ C });
  const dataset = await loadDataset('builtin:sentiment', { seed: hp.seed, testFraction: hp.testFraction });
  await writeModelDir(out, await trainModel(dataset, hp, { name: 'sentiment' }));
  return out;
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'slipway-serve-cli-'));
  modelDir = await train(join(scratch, 'model'), 10);
  altDir = await train(join(scratch, 'alt'), 1);
}, 120_000);

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** `slipway <args>` as a real process running the TypeScript sources. */
function spawnSlipway(
  args: string[],
): ChildProcessWithoutNullStreams & { out: () => string; err: () => string } {
  const child = spawn(
    process.execPath,
    [
      '--conditions=source',
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      "import { main } from '@slipway/cli'; process.exitCode = await main(['node', 'slipway', ...process.argv.slice(1)]);",
      '--',
      ...args,
    ],
    { cwd: root, env: { ...process.env, NO_COLOR: '1' } },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  return Object.assign(child, { out: () => stdout, err: () => stderr });
}

async function waitFor<T>(
  get: () => T | undefined | Promise<T | undefined>,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await get();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function exited(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  return new Promise((done) => child.once('exit', (code) => done(code)));
}

function tryJson(text: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** The pids of a process's children (Linux /proc). */
async function childPids(pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  return text.trim().split(/\s+/).filter(Boolean).map(Number);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('slipway serve', () => {
  it('serves a model folder on an ephemeral loopback port, prints a curl line that works, and stops on SIGTERM', async () => {
    const child = spawnSlipway(['serve', '--model', modelDir, '--port', '0', '--json']);
    const exit = exited(child);
    const info = await waitFor(() => tryJson(child.out()), 'the JSON description');
    expect(info).toMatchObject({
      host: '127.0.0.1',
      model: { name: 'sentiment', version: null },
      source: `folder ${modelDir}`,
    });
    const port = info.port as number;
    expect(port).toBeGreaterThan(0);
    expect(info.url).toBe(`http://127.0.0.1:${port}`);
    expect(info.docs).toBe(`http://127.0.0.1:${port}/docs`);

    const { stdout } = await promisify(execFile)('sh', ['-c', info.curl as string]);
    const manifest = JSON.parse(await readFile(join(modelDir, 'manifest.json'), 'utf8'));
    expect(JSON.parse(stdout)).toMatchObject({
      model: { name: 'sentiment', version: null },
      predictions: [{ label: expect.stringMatching(new RegExp(`^(${manifest.classes.join('|')})$`)) }],
    });

    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(child.err()).toContain('SIGTERM: finishing in-flight requests\nstopped\n');
  });

  it('--workers 2: two processes answer on one port, a dead one is replaced, and none outlives SIGTERM', async () => {
    const child = spawnSlipway(['serve', '--model', modelDir, '--port', '0', '--workers', '2', '--json']);
    const exit = exited(child);
    const info = await waitFor(() => tryJson(child.out()), 'the JSON description');
    expect(info.workers).toBe(2);
    const workers = await childPids(child.pid as number);
    expect(workers).toHaveLength(2);
    const predict = async () => {
      const response = await fetch(`${info.url}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'a lovely film' }),
      });
      return response.status;
    };
    expect(await Promise.all(Array.from({ length: 8 }, predict))).toEqual(Array(8).fill(200));

    process.kill(workers[0] as number, 'SIGKILL');
    await waitFor(() => (child.err().includes('starting another') ? true : undefined), 'the replacement');
    const replaced = await waitFor(async () => {
      const now = await childPids(child.pid as number);
      return now.length === 2 && !now.includes(workers[0] as number) ? now : undefined;
    }, 'a second worker again');
    expect(await predict()).toBe(200);

    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    for (const pid of replaced) expect(alive(pid)).toBe(false);
  }, 120_000);

  it('prints the URL, docs and curl line for people, and stops on Ctrl-C', async () => {
    const child = spawnSlipway(['serve', '--model', modelDir, '--port', '0']);
    const exit = exited(child);
    const out = await waitFor(
      () => (child.out().includes('Ctrl-C stops') ? child.out() : undefined),
      'the banner',
    );
    const port = /url {7}http:\/\/127\.0\.0\.1:(\d+)\n/.exec(out)?.[1];
    expect(port).toBeDefined();
    expect(out).toMatch(
      new RegExp(
        `^serving {3}sentiment \\(unregistered folder\\) from folder ${modelDir} \\(loaded and self-tested in \\d+ ms\\)\\n`,
      ),
    );
    expect(out).toContain(`docs      http://127.0.0.1:${port}/docs\n`);
    // The example is the model's own first self-test text, not a sentence about phones.
    const manifest = JSON.parse(await readFile(join(modelDir, 'manifest.json'), 'utf8'));
    const text = JSON.stringify({ text: manifest.selfTest[0].text }).replace(/'/g, `'\\''`);
    expect(out).toContain(
      `try       curl -s -X POST http://127.0.0.1:${port}/predict -H 'content-type: application/json' -d '${text}'\n`,
    );
    child.kill('SIGINT');
    expect(await exit).toBe(0);
  });

  // With a pool, every worker follows the alias on its own: "swapped" must mean all of them serve it.
  it.each([1, 2])(
    'follows a store alias and hot-swaps when it moves, with %i worker(s) (promotion-moves-alias)',
    async (workers) => {
      const storeUri = `file://${join(scratch, `store-${workers}`)}`;
      const store = await openStore(storeUri);
      for (const dir of [modelDir, altDir]) {
        const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
        await store.registerModel({ name: 'sentiment', files: dir, manifest });
      }
      await store.setAlias('sentiment', 'production', 1);
      const child = spawnSlipway([
        'serve',
        '--store',
        storeUri,
        '--port',
        '0',
        '--poll-ms',
        '50',
        '--json',
        '--workers',
        String(workers),
      ]);
      const exit = exited(child);
      try {
        const info = await waitFor(() => tryJson(child.out()), 'the JSON description');
        expect(info).toMatchObject({
          model: { name: 'sentiment', version: 1 },
          source: `alias production of sentiment in ${storeUri}`,
        });
        // The server (a pool: once, by its primary) announces itself in the store for consoles to list.
        const announced = await store.servers.list('sentiment');
        expect(announced).toHaveLength(1);
        expect(announced[0]).toMatchObject({
          url: info.url,
          alias: 'production',
          version: 1,
          pid: child.pid,
          host: hostname(),
          workers,
        });
        await store.setAlias('sentiment', 'production', 2);
        await waitFor(() => (child.err().includes('swapped') ? true : undefined), 'the swap');
        expect(child.err()).toMatch(
          workers === 1
            ? /swapped {3}sentiment v1 -> sentiment v2 \(loaded and self-tested in \d+ ms\)\n/
            : /swapped {3}sentiment v1 -> sentiment v2 \(loaded and self-tested in \d+ ms; all 2 workers serve it\)\n/,
        );
        expect(child.err().match(/swapped/g)).toHaveLength(1);
        // New connections land on any worker: each must answer with the new version.
        for (let i = 0; i < 8; i++) {
          const health = await fetch(`${info.url}/health`, { headers: { connection: 'close' } });
          expect(await health.json()).toEqual({ status: 'ok', model: { name: 'sentiment', version: 2 } });
        }
        await waitFor(async () => {
          const [record] = await store.servers.list('sentiment');
          return record?.version === 2 ? record : undefined;
        }, 'the announcement of v2');
      } finally {
        child.kill('SIGTERM');
      }
      expect(await exit).toBe(0);
      // A clean stop removes the record.
      expect(await store.servers.list('sentiment')).toEqual([]);
      await store.close();
    },
    120_000,
  );

  it('refuses to start on a model that fails its self-test, and says why', async () => {
    const dir = join(scratch, 'broken');
    await rm(dir, { recursive: true, force: true });
    const { cp, writeFile } = await import('node:fs/promises');
    await cp(modelDir, dir, { recursive: true });
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    const first = manifest.selfTest[0];
    first.label = manifest.classes.find((c: string) => c !== first.label);
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
    const result = await slipway('serve', '--model', dir, '--port', '0');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `error: model sentiment in ${dir} failed its start-up self-test: ${JSON.stringify(first.text)} should be "${first.label}"`,
    );
  });

  it.each([
    [['serve'], 2, 'error: give either --model <dir> or --store <uri> (with --alias), not both or neither'],
    [
      ['serve', '--model', 'a', '--store', 'file:///b'],
      2,
      'error: give either --model <dir> or --store <uri>',
    ],
    [
      ['serve', '--model', 'a', '--port', '70000'],
      2,
      "error: option '--port <port>' argument '70000' is invalid",
    ],
    [
      ['serve', '--model', 'a', '--log-level', 'loud'],
      2,
      'error: --log-level must be debug, info, warn or error',
    ],
  ])('rejects bad usage: %j', async (args, code, message) => {
    const result = await slipway(...args);
    expect(result.code).toBe(code);
    expect(result.stderr).toContain(message);
  });
});

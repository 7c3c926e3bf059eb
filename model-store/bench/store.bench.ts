/**
 * Model store figures, printed not asserted: register + read back a 1 MB model, and list 1,000 versions,
 * on the folder backend and on S3 served locally (s3rver behind the conditional-write proxy, as in tests).
 *
 *   npm run bench:store            (SLIPWAY_BENCH_ROUNDS=n to change the number of timed rounds)
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type ModelStore, type OpenStoreOptions, openStore } from '@slipway/model-store';
import { LOCAL_S3_CREDENTIALS, startLocalS3 } from '../../test-helpers/s3-server.js';

const ROUNDS = Number(process.env.SLIPWAY_BENCH_ROUNDS ?? 30);
const VERSIONS = 1_000;

const manifest = (name: string, i: number) => ({
  schema: 'slipway.model/v1',
  name,
  version: null,
  classes: ['negative', 'positive'],
  metrics: { accuracy: 0.8, macroF1: 0.8, logLoss: 0.4 },
  lineage: {
    gitCommit: `c${i}`,
    pullRequest: i,
    executionId: null,
    dataset: { name: 'sentiment', sha256: 'a'.repeat(64) },
    createdAt: new Date().toISOString(),
  },
});

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
};

async function time<T>(fn: () => Promise<T>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

interface Figures {
  registerRead: number[];
  /** Every version with its manifest. */
  listAll: number[];
  /** The newest 50 versions with their manifests (what `slipway models list` shows). */
  firstPage: number[];
}

async function measure(open: () => Promise<ModelStore>): Promise<Figures> {
  const store = await open();
  const model = randomBytes(1_000_000);
  const evaluation = new TextEncoder().encode('{"accuracy":0.8}');
  const registerRead: number[] = [];
  for (let i = 0; i < ROUNDS + 3; i++) {
    const ms = await time(async () => {
      const { version } = await store.registerModel({
        name: 'big',
        files: { 'model.onnx': model, 'evaluation.json': evaluation },
        manifest: manifest('big', i),
      });
      const read = await store.getModel('big', version);
      if (read.files['model.onnx']?.byteLength !== model.byteLength)
        throw new Error('read back the wrong model');
    });
    if (i >= 3) registerRead.push(ms); // the first rounds warm up connections and the JIT
  }

  // Seed 1,000 small versions through the normal registration path, 8 at a time.
  const small = { 'model.onnx': randomBytes(64) };
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < VERSIONS) {
        const i = next++;
        await store.registerModel({ name: 'many', files: small, manifest: manifest('many', i) });
      }
    }),
  );
  await store.close();

  const listAll: number[] = [];
  const firstPage: number[] = [];
  for (let i = 0; i < 5; i++) {
    // A fresh instance each time: no manifest cache, as a new process would list.
    const reader = await open();
    listAll.push(
      await time(async () => {
        const page = await reader.listVersions('many', { limit: VERSIONS });
        if (page.versions.length !== VERSIONS) throw new Error(`listed ${page.versions.length} versions`);
      }),
    );
    await reader.close();
    const pager = await open();
    firstPage.push(await time(() => pager.listVersions('many', { limit: 50 })));
    await pager.close();
  }
  return { registerRead, listAll, firstPage };
}

const dir = await mkdtemp(join(tmpdir(), 'slipway-bench-'));
const s3 = await startLocalS3('slipway-bench');
try {
  const folderUri = pathToFileURL(join(dir, 'store')).href;
  const s3Options: OpenStoreOptions = { endpoint: s3.endpoint, credentials: { ...LOCAL_S3_CREDENTIALS } };
  process.stderr.write(`measuring the folder backend (${ROUNDS} rounds)…\n`);
  const folder = await measure(() => openStore(folderUri));
  process.stderr.write(`measuring S3 on the local server (${ROUNDS} rounds)…\n`);
  const local = await measure(() => openStore(`s3://${s3.bucket}/bench`, s3Options));

  const ms = (v: number) => `${v.toFixed(1)} ms`;
  const row = (label: string, f: Figures, target: string) => [
    label,
    `${ms(quantile(f.registerRead, 0.5))} (p90 ${ms(quantile(f.registerRead, 0.9))})`,
    target,
    ms(quantile(f.firstPage, 0.5)),
    '< 1000 ms',
    ms(quantile(f.listAll, 0.5)),
  ];
  const rows = [
    [
      'backend',
      'register+read 1 MB, median',
      'target',
      `list ${VERSIONS} versions: first page`,
      'target',
      'all pages',
    ],
    row('folder', folder, '< 30 ms'),
    row('s3 (local s3rver + proxy)', local, '< 150 ms'),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  for (const r of rows) process.stdout.write(`${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ')}\n`);
  process.stdout.write(
    `node ${process.version}, ${ROUNDS} timed rounds after 3 warm-up rounds. Listing: median of 5 cold store instances; ` +
      `a page is 50 versions with their manifests, "all pages" reads all ${VERSIONS} manifests.\n`,
  );
} finally {
  await s3.stop();
  await rm(dir, { recursive: true, force: true });
}

/**
 * `npm run bench:train`: slipway against scikit-learn (the stack it replaces) on the same splits, in one
 * run. Prints accuracy, macro-F1, fit wall time (vectorizing included), the time ratio and peak RSS.
 * Sets: the built-in ones and the generated many-class set (training-job/bench/many-class.ts) with 50
 * classes at the sizes in BENCH_MANY_CLASS_SIZES (default 10000; e.g. 10000,100000,400000).
 * slipway fits on one thread and on BENCH_THREADS threads (default: every core).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Dataset, loadDataset } from '@slipway/training-job';
import { manyClassDataset } from './many-class.js';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const here = new URL('.', import.meta.url).pathname;

interface Figures {
  fitMs: number;
  accuracy: number;
  macroF1: number;
  features: number;
  peakRssMb: number;
}

async function median<T extends Figures>(times: number, once: () => Promise<T>): Promise<T> {
  const runs: T[] = [];
  for (let i = 0; i < times; i++) runs.push(await once());
  runs.sort((a, b) => a.fitMs - b.fitMs);
  return runs[Math.floor(runs.length / 2)] as T;
}

async function peerAvailable(): Promise<boolean> {
  if (!existsSync(PYTHON)) return false;
  return run(PYTHON, ['-c', 'import sklearn']).then(
    () => true,
    () => false,
  );
}

const repeats = Number(process.env.BENCH_REPEATS ?? 3);
// slipway is timed on one thread and on BENCH_THREADS (default: every core); the speed-up vs sklearn uses the latter.
const threads = Number(process.env.BENCH_THREADS ?? availableParallelism());
const hasPeer = await peerAvailable();
if (!hasPeer) {
  console.log(
    'scikit-learn peer missing: install it with `apt-get install -y python3-sklearn` to compare.\n',
  );
}
const dir = await mkdtemp(join(tmpdir(), 'slipway-bench-train-'));
const rows: string[][] = [];
try {
  const sizes = (process.env.BENCH_MANY_CLASS_SIZES ?? '10000').split(',').filter(Boolean).map(Number);
  const sets: [string, string, () => Promise<Dataset>][] = [
    ...['sentiment', 'spam'].map((name): [string, string, () => Promise<Dataset>] => [
      name,
      `builtin:${name}`,
      () => loadDataset(`builtin:${name}`),
    ]),
    ...sizes.map((n): [string, string, () => Promise<Dataset>] => [
      `many-class-50-${n}`,
      `many-class:50:${n}`,
      async () => manyClassDataset({ classes: 50, train: n, test: Math.round(n / 4) }),
    ]),
  ];
  const onlySets = process.env.BENCH_TRAIN_SETS?.split(',');
  for (const [name, spec, load] of sets) {
    if (onlySets && !onlySets.some((o) => name.startsWith(o))) continue;
    const dataset = await load();
    const toJsonl = (rs: readonly { text: string; label: string }[]) =>
      rs.map((r) => JSON.stringify({ text: r.text, label: r.label })).join('\n');
    await writeFile(join(dir, `${name}-train.jsonl`), toJsonl(dataset.train));
    await writeFile(join(dir, `${name}-test.jsonl`), toJsonl(dataset.test));
    // The worker imports the built package (npm run bench:train builds first), as users run it.
    const slipwayOn = (threads: number) =>
      median(repeats, async () => {
        const { stdout } = await run(
          process.execPath,
          ['--import', 'tsx', join(here, 'train-worker.ts'), spec],
          {
            env: { ...process.env, SLIPWAY_TRAIN_THREADS: String(threads) },
          },
        );
        return JSON.parse(stdout) as Figures & { totalMs: number };
      });
    const single = await slipwayOn(1);
    const slipway = threads > 1 ? await slipwayOn(threads) : single;
    const peer = hasPeer
      ? await median(repeats, async () => {
          const { stdout } = await run(PYTHON, [
            join(here, 'peer_train.py'),
            join(dir, `${name}-train.jsonl`),
            join(dir, `${name}-test.jsonl`),
          ]);
          return JSON.parse(stdout) as Figures;
        })
      : undefined;
    const pct = (x: number) => (x * 100).toFixed(2);
    rows.push([
      `${name} (${dataset.train.length}/${dataset.test.length})`,
      `${pct(slipway.accuracy)} / ${peer ? pct(peer.accuracy) : '-'}`,
      `${pct(slipway.macroF1)} / ${peer ? pct(peer.macroF1) : '-'}`,
      `${single.fitMs.toFixed(0)} / ${slipway.fitMs.toFixed(0)} / ${peer ? peer.fitMs.toFixed(0) : '-'}`,
      `${(single.fitMs / slipway.fitMs).toFixed(2)}x`,
      peer ? `${(peer.fitMs / slipway.fitMs).toFixed(2)}x` : '-',
      `${slipway.peakRssMb.toFixed(0)} / ${peer ? peer.peakRssMb.toFixed(0) : '-'}`,
      `${slipway.features} / ${peer ? peer.features : '-'}`,
      `${slipway.totalMs.toFixed(0)}`,
      loadavg()[0]?.toFixed(1) ?? '-',
    ]);
    // Each row as soon as it is measured: the large sets take long, and a partial run still tells.
    console.log(`| ${rows.at(-1)?.join(' | ')} |`);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}

const header = [
  'dataset (train/test)',
  'accuracy % slipway / sklearn',
  'macro-F1 % slipway / sklearn',
  `fit ms slipway 1 thread / ${threads} threads / sklearn`,
  `${threads} threads vs 1`,
  'speed-up vs sklearn',
  'peak RSS MB slipway / sklearn',
  'features',
  'slipway total ms (incl. ONNX export + evaluation)',
  'load average',
];
console.log(`| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|`);
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
console.log(
  `\nmedian of ${repeats} runs each (BENCH_REPEATS to change); targets: accuracy and macro-F1 within 0.5 points of sklearn,`,
);
console.log(
  'fit at least 2x faster than sklearn on spam, peak RSS under 1 GB on spam; both with C=10, word 1-2-grams,',
);
console.log(
  `min_df 2, sublinear tf, every n-gram kept. Machine: load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} at the end.`,
);

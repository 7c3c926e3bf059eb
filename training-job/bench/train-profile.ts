/**
 * Where one training run's time goes: wall and process CPU per section (vectorizing, the fit's
 * parts, export, evaluation), and for every kernel operation whether it ran split into chunks (work
 * the threads share) or in one piece. On one thread the split operations' share is the parallel
 * fraction p, and Amdahl's law bounds the 2-thread speed-up by 1 / ((1 - p) + p / 2).
 *
 *   node --conditions=source --import tsx training-job/bench/train-profile.ts --train 20000 --threads 1
 *
 * Runs from the TypeScript sources: n-grams are counted on this thread (the count workers need the
 * built package), so counting shows as serial here. CPU is the process's (user + system), so it is
 * the steadier number on a busy machine; on one thread it is this thread's plus the garbage
 * collector's.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { resolveHyperparameters } from '../src/train/hyperparameters.js';
import { recordSections, SectionProfile } from '../src/train/profile.js';
import { trainModel } from '../src/train/train.js';
import { manyClassDataset } from './many-class.js';

const { values } = parseArgs({
  options: {
    train: { type: 'string', default: '20000' },
    classes: { type: 'string', default: '50' },
    threads: { type: 'string', default: '1' },
  },
});
const train = Number(values.train);
const classes = Number(values.classes);
const threads = Number(values.threads);

const dataset = manyClassDataset({ classes, train, test: Math.round(train / 4) });
const profile = new SectionProfile();
let iterations = 0;
recordSections(profile);
const started = performance.now();
const cpuStarted = process.cpuUsage();
try {
  await trainModel(dataset, resolveHyperparameters(), {
    threads,
    onProgress: (p) => {
      if (p.phase === 'fit') iterations = p.iteration;
    },
  });
} finally {
  recordSections(undefined);
}
const totalWall = performance.now() - started;
const totalCpu = (({ user, system }) => (user + system) / 1000)(process.cpuUsage(cpuStarted));
const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];

const totals = profile.totals();
const get = (name: string) => totals.get(name) ?? { wallMs: 0, cpuMs: 0, calls: 0 };
// Up to the export, as train.bench.ts's fit time counts it.
const fitWall = get('vectorize').wallMs + get('fit').wallMs;
const fitCpu = get('vectorize').cpuMs + get('fit').cpuMs;
let splitWall = 0;
let splitCpu = 0;
for (const [name, t] of totals) {
  if (name.includes(' > split ')) {
    splitWall += t.wallMs;
    splitCpu += t.cpuMs;
  }
}

const fmt = (x: number) => x.toFixed(0).padStart(9);
console.log(
  `many-class ${classes} classes × ${train} texts, ${threads} thread(s), ${iterations} iterations, ` +
    `total ${totalWall.toFixed(0)} ms wall / ${totalCpu.toFixed(0)} ms CPU, VmHWM ${hwm ? Number(hwm) / 1024 : '?'} MB`,
);
console.log(`${'section'.padEnd(58)}  wall ms    cpu ms    calls  % of fit wall`);
for (const [name, t] of [...totals].sort(([a], [b]) => (a < b ? -1 : 1))) {
  console.log(
    `${name.padEnd(58)}${fmt(t.wallMs)} ${fmt(t.cpuMs)} ${String(t.calls).padStart(8)}  ${((100 * t.wallMs) / fitWall).toFixed(1).padStart(6)}`,
  );
}
const p = splitWall / fitWall;
const pc = splitCpu / fitCpu;
console.log(
  `\nfit (vectorize + fit): ${fitWall.toFixed(0)} ms wall, ${fitCpu.toFixed(0)} ms CPU; split operations ` +
    `${splitWall.toFixed(0)} ms wall (p = ${p.toFixed(3)}), ${splitCpu.toFixed(0)} ms CPU (p = ${pc.toFixed(3)})`,
);
console.log(
  `serial fraction s = ${(1 - p).toFixed(3)} (wall) / ${(1 - pc).toFixed(3)} (CPU); Amdahl bound on 2 threads: ` +
    `${(1 / (1 - p + p / 2)).toFixed(2)}x (wall) / ${(1 / (1 - pc + pc / 2)).toFixed(2)}x (CPU)`,
);

/**
 * The crash soak (`npm run test:chaos`): executions killed with SIGKILL at random boundaries and random
 * moments, resumed, and checked against the crash suite's invariants, on the folder store and on S3
 * (s3rver behind the conditional proxy). Bounded in count and time; prints its figures.
 *
 *   SLIPWAY_CHAOS_KILLS    total kills to aim for (default 300)
 *   SLIPWAY_CHAOS_MINUTES  stop starting trials after this long (default 30)
 *   SLIPWAY_CHAOS_SEED     seed of the random choices (default: the time)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { folderTarget, localS3Target, type StoreTarget } from '../../../../test-helpers/store-targets.js';
import {
  BOUNDARIES,
  boundaryTrial,
  type ChaosTarget,
  killsPerState,
  randomTrial,
  type TrialReport,
  writeSmallDataset,
} from '../helpers/chaos.js';
import { killAllStarted } from '../helpers/crash.js';

const positive = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!(value > 0)) throw new Error(`${name} must be a positive number, got ${process.env[name]}`);
  return value;
};
const targetKills = positive('SLIPWAY_CHAOS_KILLS', 300);
const deadline = Date.now() + positive('SLIPWAY_CHAOS_MINUTES', 30) * 60_000;
let seed = positive('SLIPWAY_CHAOS_SEED', Date.now() % 2 ** 31);
const firstSeed = seed;
/** mulberry32: a small seeded generator, so a failing soak can be replayed. */
const random = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const dir = await mkdtemp(join(tmpdir(), 'slipway-chaos-'));
const data = await writeSmallDataset(dir);
const targets: StoreTarget[] = [folderTarget(), localS3Target()];
const reports: (TrialReport & { store: string; kind: string })[] = [];
const started = Date.now();
let kills = 0;
try {
  for (const target of targets) await target.start();
  for (let trial = 0; kills < targetKills && Date.now() < deadline; trial++) {
    const target = targets[trial % targets.length] as StoreTarget;
    const t: ChaosTarget = {
      uri: target.freshUri(),
      env: target.childEnv(),
      options: target.options(),
      data,
    };
    // Half the trials kill at random boundaries (exact: each chosen boundary gets a kill of its own,
    // about half of them per trial), half at random moments (anywhere, even mid-write).
    const exact = random() < 0.5;
    const report = exact
      ? await boundaryTrial(
          t,
          BOUNDARIES.filter(() => random() < 0.5),
        )
      : await randomTrial(t, { kills: 1 + Math.floor(random() * 3), maxDelayMs: 5_000, random });
    kills += report.killedIn.length;
    reports.push({ ...report, store: target.name, kind: exact ? 'boundary' : 'random' });
    const flag = report.violations.length > 0 ? `  VIOLATIONS: ${report.violations.join('; ')}` : '';
    console.log(
      `trial ${trial + 1} ${target.name.split(' ')[0]} ${exact ? 'boundary' : 'random  '} kills ${report.killedIn.length} -> ${report.finalState}${flag}`,
    );
  }
} finally {
  await killAllStarted();
  for (const target of targets) await target.stop();
  await rm(dir, { recursive: true, force: true });
}

const violations = reports.flatMap((r) => r.violations);
const notDone = reports.filter((r) => r.finalState !== 'Done' && r.id !== '(none)');
console.log('\ncrash soak');
console.log(`  seed               ${firstSeed}`);
console.log(
  `  trials             ${reports.length} (${reports.filter((r) => r.kind === 'boundary').length} at boundaries, ${reports.filter((r) => r.kind === 'random').length} at random moments)`,
);
console.log(`  kills              ${kills} in ${((Date.now() - started) / 60_000).toFixed(1)} min`);
for (const name of new Set(reports.map((r) => r.store)))
  console.log(
    `  on ${name}: ${reports.filter((r) => r.store === name).reduce((n, r) => n + r.killedIn.length, 0)} kills`,
  );
console.log('  kills per state    (the state the execution record named when it was killed)');
for (const [state, count] of Object.entries(killsPerState(reports)))
  console.log(`    ${state.padEnd(22)} ${count}`);
console.log('  kills per boundary (boundary trials)');
const perBoundary = new Map<string, number>(BOUNDARIES.map((b) => [b, 0]));
for (const report of reports)
  for (const boundary of report.killedAt ?? [])
    perBoundary.set(boundary, (perBoundary.get(boundary) ?? 0) + 1);
for (const [boundary, count] of perBoundary) console.log(`    ${boundary.padEnd(32)} ${count}`);
console.log(`  not ending in Done ${notDone.length}`);
console.log(`  invariant violations ${violations.length}`);
for (const v of violations) console.log(`    ${v}`);
process.exitCode = violations.length > 0 || notDone.length > 0 ? 1 : 0;

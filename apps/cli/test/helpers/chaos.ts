import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { layout } from '@slipway/contracts';
import { type ModelStore, type OpenStoreOptions, openStore } from '@slipway/model-store';
import { readExecution } from '@slipway/runner-local';
import {
  eventually,
  killHard,
  processesOfExecution,
  QUIET,
  runSlipway,
  type SlipwayProcess,
  startSlipway,
} from './crash.js';
import { HAPPY_PATH } from './pipeline.js';

/**
 * Crash trials: `slipway run` killed with SIGKILL at state boundaries (stopped exactly there by a
 * failpoint) or at random moments, resumed until it ends, and checked against the invariants of a
 * crash-safe pipeline. Shared by the crash suite (npm test) and the soak (npm run test:chaos).
 */

/** Every boundary of the path a successful execution walks, in order; a kill lands right after each is on disk. */
export const BOUNDARIES: readonly string[] = [
  ...['Train', 'StageTrainingImage', 'TrainOnSageMaker'].flatMap((s) => [
    `StateEntered:${s}`,
    `StateExited:${s}`,
  ]),
  'TaskStarted:TrainOnSageMaker',
  ...['Evaluate', 'Gate', 'Register'].flatMap((s) => [`StateEntered:${s}`, `StateExited:${s}`]),
  'StateEntered:Approval',
  'TaskWaiting:Approval',
  'StateExited:Approval',
  ...['Promote', 'SmokeTest', 'SmokeTestPassed', 'Done'].flatMap((s) => [
    `StateEntered:${s}`,
    `StateExited:${s}`,
  ]),
].sort((a, b) => order(a) - order(b));

function order(boundary: string): number {
  const [type, state] = boundary.split(':') as [string, string];
  const rank = HAPPY_PATH.indexOf(state);
  const within = { StateEntered: 0, TaskStarted: 1, TaskWaiting: 1, StateExited: 2 }[type] ?? 0;
  return rank * 3 + within;
}

/** A small dataset: training takes a moment, so a trial is mostly process start-ups. */
export async function writeSmallDataset(dir: string): Promise<string> {
  const words = {
    positive: ['great', 'lovely', 'excellent', 'good', 'wonderful', 'nice', 'happy', 'fine'],
    negative: ['awful', 'bad', 'terrible', 'poor', 'boring', 'sad', 'broken', 'ugly'],
  };
  const rows: string[] = [];
  for (let i = 0; i < 160; i++) {
    const label = i % 2 === 0 ? 'positive' : 'negative';
    const pick = (k: number) => words[label][(i * 7 + k * 3) % 8];
    rows.push(JSON.stringify({ text: `a ${pick(0)} and ${pick(1)} thing, ${pick(2)} overall ${i}`, label }));
  }
  const path = join(dir, 'small.jsonl');
  await writeFile(path, `${rows.join('\n')}\n`);
  return path;
}

/** Where a trial runs: a store and what a slipway process needs to reach it. */
export interface ChaosTarget {
  readonly uri: string;
  readonly env: Record<string, string>;
  readonly options: OpenStoreOptions;
  readonly data: string;
}

/** How one execution went under crashes, and what its invariants showed. */
export interface TrialReport {
  readonly id: string;
  /** The state each kill interrupted (its record's current state), one per kill. */
  readonly killedIn: string[];
  /** The boundaries killed at, in order (boundary trials only). */
  readonly killedAt?: string[];
  readonly finalState: string | null;
  readonly violations: string[];
}

const args = (t: ChaosTarget) => [...QUIET, '--store', t.uri];

/** The state a killed execution's record says it was in. */
async function currentState(store: ModelStore, id: string): Promise<string> {
  const { record } = await readExecution(store, id);
  return record.currentState ?? '(before Train)';
}

/** Kills a stopped or running slipway process and waits until this execution has no process left. */
async function kill(proc: SlipwayProcess, id: string | undefined): Promise<void> {
  await killHard(proc);
  if (id)
    await eventually(
      `no process of ${id} is left`,
      async () => (await processesOfExecution(id)).length === 0,
    );
}

/**
 * One execution killed at each boundary in turn: `slipway run` stops at the first, is killed, then each
 * `slipway resume` stops at the next boundary it reaches and is killed, until the last resume runs to the end.
 * A failpoint writes the journal exactly up to its event, so each boundary gets a kill of its own: a
 * boundary never reached, or a kill whose journal ends on another event, is a violation.
 */
export async function boundaryTrial(t: ChaosTarget, boundaries: readonly string[]): Promise<TrialReport> {
  const store = await openStore(t.uri, t.options);
  const killedIn: string[] = [];
  const killedAt: string[] = [];
  const violations: string[] = [];
  let id: string | undefined;
  try {
    for (const failpoint of boundaries) {
      const proc = id
        ? startSlipway(['resume', id, ...args(t)], { failpoint, env: t.env })
        : startSlipway(['run', '--data', t.data, ...args(t)], { failpoint, env: t.env });
      const reached = await proc.stopped;
      id ??= proc.id();
      if (!id) throw new Error(`slipway exited before printing an execution id:\n${proc.lines.join('\n')}`);
      if (reached === null) {
        violations.push(`boundary ${failpoint} was never reached: ${proc.lines.slice(-3).join(' / ')}`);
        continue;
      }
      // Stopped right after its event was written: the journal on disk must end exactly there.
      const { record, events } = await readExecution(store, id);
      const last = events.at(-1);
      const lastDurable = last ? `${last.type}:${last.state ?? ''}` : '(no event)';
      if (lastDurable !== failpoint)
        violations.push(`killed at ${failpoint}, but the last event on disk was ${lastDurable}`);
      killedIn.push(`${reached.split(':')[0]} ${record.currentState ?? '(before Train)'}`);
      killedAt.push(reached);
      await kill(proc, id);
    }
    if (!id) throw new Error('no execution was started');
    const finished = await finish(t, store, id);
    return {
      id,
      killedIn,
      killedAt,
      finalState: finished.finalState,
      violations: [...violations, ...finished.violations],
    };
  } finally {
    await store.close();
  }
}

/** One execution killed after a random delay (up to `maxDelayMs`), `kills` times, then resumed to the end. */
export async function randomTrial(
  t: ChaosTarget,
  options: { kills: number; maxDelayMs: number; random?: () => number },
): Promise<TrialReport> {
  const random = options.random ?? Math.random;
  const store = await openStore(t.uri, t.options);
  const killedIn: string[] = [];
  let id: string | undefined;
  try {
    for (let k = 0; k < options.kills; k++) {
      const proc = id
        ? startSlipway(['resume', id, ...args(t)], { env: t.env })
        : startSlipway(['run', '--data', t.data, ...args(t)], { env: t.env });
      const delay = random() * options.maxDelayMs;
      const exitedFirst = await Promise.race([
        proc.exited.then(() => true),
        new Promise<false>((resolve) => setTimeout(() => resolve(false), delay)),
      ]);
      id ??= proc.id();
      if (exitedFirst) {
        if (!id) throw new Error(`slipway exited before printing an execution id:\n${proc.lines.join('\n')}`);
        const { record } = await readExecution(store, id);
        if (record.status !== 'RUNNING') break;
        continue;
      }
      await kill(proc, id);
      if (id) killedIn.push(`random ${await currentState(store, id)}`);
      else killedIn.push('random (before the execution was recorded)');
    }
    if (!id) {
      // Every kill came before the execution was recorded: what it left must not stop a fresh run.
      const fresh = await runSlipway(['run', '--data', t.data, ...args(t)], t.env);
      if (!fresh.id) throw new Error(`slipway run printed no execution id:\n${fresh.output}`);
      id = fresh.id;
    }
    return { id, killedIn, ...(await finish(t, store, id)) };
  } finally {
    await store.close();
  }
}

/** Resumes until the execution ends, then checks the invariants. */
async function finish(
  t: ChaosTarget,
  store: ModelStore,
  id: string,
): Promise<{ finalState: string | null; violations: string[] }> {
  let { record } = await readExecution(store, id);
  if (record.status === 'RUNNING') {
    const resumed = await runSlipway(['resume', id, ...args(t)], t.env);
    ({ record } = await readExecution(store, id));
    if (record.status === 'RUNNING') throw new Error(`resume did not finish ${id}:\n${resumed.output}`);
  }
  return { finalState: record.currentState, violations: await invariantViolations(store, id) };
}

/**
 * What must hold after any crash once the execution has ended: each version registered at most once;
 * production moved at most once by this execution; every visible version has all its files (verified by
 * sha256) and no version folder is left without a manifest; no process of the execution remains; every
 * JSON document in the store is well-formed UTF-8 that a strict parser accepts.
 */
async function invariantViolations(store: ModelStore, id: string): Promise<string[]> {
  const violations: string[] = [];
  const { record } = await readExecution(store, id);
  const model = (record.input as { model: string }).model;
  const models = await store.listModels();
  if (models.includes(model)) {
    const registered = await store.findVersions(model, { executionId: id });
    if (registered.length > 1) violations.push(`${id} registered ${registered.length} versions`);
    // A promotion is a set move by this execution onto a version it registered (a move back after a
    // failed deploy names an earlier one): decided from the move's fields, not from its reason's words.
    const mine = new Set(registered.map((m) => m.version));
    const moves = (await store.aliasHistory(model, 'production').catch(() => [])).filter(
      (m) => m.action === 'set' && m.executionId === id && m.version !== null && mine.has(m.version),
    );
    if (moves.length > 1) violations.push(`${id} moved production ${moves.length} times`);
    for (const { version } of (await store.listVersions(model, { limit: 1000 })).versions) {
      await store.getModel(model, version).catch((error: Error) => {
        violations.push(`version ${version} is visible but not whole: ${error.message}`);
      });
    }
    const objects = await store.backend.list(layout.versions(model));
    const folders = new Set(objects.map((o) => o.key.slice(layout.versions(model).length).split('/')[0]));
    for (const folder of folders) {
      if (!objects.some((o) => o.key === layout.manifest(model, Number(folder))))
        violations.push(`version folder ${folder} has files but no manifest`);
    }
  }
  const left = await processesOfExecution(id);
  if (left.length > 0) violations.push(`processes of ${id} still run: ${left.join(', ')}`);
  for (const object of await store.backend.list('')) {
    if (!object.key.endsWith('.json')) continue;
    const found = await store.backend.get(object.key);
    const problem = found ? strictJsonProblem(found.body) : 'vanished while listed';
    if (problem) violations.push(`${object.key}: ${problem}`);
  }
  return violations;
}

/** Why a strict parser (jq, Python's json, Go's encoding/json) would refuse these bytes, or undefined. */
function strictJsonProblem(bytes: Uint8Array): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    return (error as Error).message;
  }
  const bad: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string' && !v.isWellFormed()) bad.push(v.slice(0, 20));
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) {
        walk(k);
        walk(x);
      }
  };
  walk(value);
  return bad.length > 0 ? `lone surrogate in ${JSON.stringify(bad[0])}` : undefined;
}

/** Counts kills by the state they interrupted. */
export function killsPerState(reports: readonly TrialReport[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const report of reports)
    for (const kill of report.killedIn) {
      const state = kill.split(' ').slice(1).join(' ');
      counts[state] = (counts[state] ?? 0) + 1;
    }
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

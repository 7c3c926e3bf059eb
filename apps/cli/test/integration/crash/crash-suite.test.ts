import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '@slipway/model-store';
import { readExecution } from '@slipway/runner-local';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { folderTarget, localS3Target } from '../../../../../test-helpers/store-targets.js';
import {
  BOUNDARIES,
  boundaryTrial,
  type ChaosTarget,
  killsPerState,
  randomTrial,
  type TrialReport,
  writeSmallDataset,
} from '../../helpers/chaos.js';
import { killAllStarted, QUIET, runSlipway } from '../../helpers/crash.js';

/**
 * The crash suite: on each store, one execution is killed with SIGKILL at every boundary of the
 * definition in turn (each state entered and exited, the training job's start, the approval wait, the
 * moment after Promote), resumed each time, and must end where a run without crashes ends, with the
 * invariants intact; then executions killed at random moments. `npm run test:chaos` soaks the same.
 */
const TASK_STATE = /:(TrainOnSageMaker|Evaluate|Register|Approval|Promote|SmokeTest)$/;

describe.each([folderTarget(), localS3Target()])('crash suite on the $name store', (target) => {
  let dir: string;
  let data: string;
  let baseline: string | null;
  const reports: TrialReport[] = [];
  const chaosTarget = (): ChaosTarget => ({
    uri: target.freshUri(),
    env: target.childEnv(),
    options: target.options(),
    data,
  });

  beforeAll(async () => {
    await target.start();
    dir = await mkdtemp(join(tmpdir(), 'slipway-crash-suite-'));
    data = await writeSmallDataset(dir);
    // Where an execution ends when nothing crashes.
    const t = chaosTarget();
    const run = await runSlipway(['run', '--data', data, ...QUIET, '--store', t.uri], t.env);
    const store = await openStore(t.uri, t.options);
    baseline = (await readExecution(store, run.id as string)).record.currentState;
    await store.close();
    expect(baseline).toBe('Done');
  });
  afterAll(async () => {
    await killAllStarted();
    await target.stop();
    await rm(dir, { recursive: true, force: true });
    console.info(`crash suite (${target.name}): kills per state`, killsPerState(reports));
  });

  test('killed at every state boundary in turn, it resumes to the same end, invariants intact', async () => {
    // On S3 the Task states' boundaries (every one that reads or writes the store); the Choice states'
    // are the same on both stores and run on the folder store here, on both in the soak.
    const boundaries = target.name === 'folder' ? BOUNDARIES : BOUNDARIES.filter((b) => TASK_STATE.test(b));
    const t = chaosTarget();
    const report = await boundaryTrial(t, boundaries);
    reports.push(report);
    expect(report.violations, JSON.stringify(report)).toEqual([]);
    expect(report.finalState, JSON.stringify(report)).toBe(baseline);
    // Each boundary had a kill of its own (the journal ended exactly on it: see the violations above).
    expect(report.killedAt).toEqual(boundaries);
  }, 900_000);

  test('killed at random moments, it resumes to the same end, invariants intact', async () => {
    const t = chaosTarget();
    for (let trial = 0; trial < 2; trial++) {
      const report = await randomTrial(t, { kills: 2, maxDelayMs: 4_000 });
      reports.push(report);
      expect(report.violations, JSON.stringify(report)).toEqual([]);
      expect(report.finalState, JSON.stringify(report)).toBe(baseline);
    }
  }, 600_000);
});

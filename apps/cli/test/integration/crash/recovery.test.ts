import { spawn } from 'node:child_process';
import { access, mkdir, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelStore } from '@slipway/model-store';
import { type ExecutionRecord, LocalPipeline, readExecution } from '@slipway/runner-local';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startWorkers } from '../../../../../test-helpers/store-workers.js';
import {
  eventually,
  killAllStarted,
  killHard,
  processesOfExecution,
  QUIET,
  runSlipway,
  startSlipway,
} from '../../helpers/crash.js';
import {
  type PipelineFixture,
  pipelineFixture,
  waitForEvent,
  waitingForApproval,
} from '../../helpers/pipeline.js';

let f: PipelineFixture;
/**
 * The temp directory of the slipway processes this file starts: `resume` and `gc` anywhere on the
 * machine sweep the folders of dead processes in theirs, and would take this file's evidence away.
 */
let tmp: string;
let env: Record<string, string>;
beforeAll(async () => {
  f = await pipelineFixture();
  tmp = join(f.dir, 'tmp');
  await mkdir(tmp);
  env = { TMPDIR: tmp };
});
afterAll(async () => {
  await killAllStarted();
  await f.close();
});

/** Temporary folders a slipway process with this pid made (their names carry it). */
const foldersOf = async (pid: number) =>
  (await readdir(tmp)).filter((name) => new RegExp(`^slipway-(job|run)-${pid}-`).test(name));

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('a crashed run leaves nothing running and nothing behind once resumed', () => {
  // The spam dataset trains for seconds, long enough for its job to be seen running when the runner dies.
  test('the training job dies with its runner; resume cleans up and trains once', async () => {
    const run = startSlipway(['run', ...QUIET, '--store', f.store.uri, '--data', 'builtin:spam'], {
      env,
      failpoint: 'TaskStarted:TrainOnSageMaker',
    });
    expect(await run.stopped).toBe('TaskStarted:TrainOnSageMaker');
    const id = run.id() as string;
    const { record } = await readExecution(f.store, id);
    const job = record.training;
    expect(job).toMatchObject({ pid: expect.any(Number), startTime: expect.any(String) });
    // The job leads its own process group, and is the one process of this execution besides the runner.
    expect(job?.pgid).toBe(job?.pid);
    expect(await processesOfExecution(id)).toEqual([job?.pid]);
    const [jobFolder] = (await foldersOf(run.pid)).filter((name) => name.startsWith('slipway-job-'));
    expect(jobFolder).toBeDefined();

    await killHard(run);
    // Nobody stops the job: it notices its parent is gone and ends before it finishes (no model written).
    await eventually('the training job is gone', async () => (await processesOfExecution(id)).length === 0);
    await expect(access(join(tmp, jobFolder as string, 'model', 'model.onnx'))).rejects.toThrow();
    expect(await foldersOf(run.pid)).toContain(jobFolder);

    const resumed = await runSlipway(['resume', id, ...QUIET, '--store', f.store.uri], env);
    expect(resumed.output).toContain(`removed temporary folder ${join(tmp, jobFolder as string)}`);
    expect(resumed.code).toBe(0);
    expect(await foldersOf(run.pid)).toEqual([]);
    const { events } = await readExecution(f.store, id);
    // One job ran to the end: the resumed one; none ran beside it.
    expect(events.filter((e) => e.type === 'TaskStarted')).toHaveLength(2);
    expect(events.filter((e) => e.type === 'StateExited' && e.state === 'TrainOnSageMaker')).toHaveLength(1);
    expect(await processesOfExecution(id)).toEqual([]);
  }, 240_000);

  test('resume stops an earlier training attempt that still runs, and only that process', async () => {
    const run = startSlipway(['run', ...QUIET, '--store', f.store.uri], {
      env,
      failpoint: 'StateEntered:TrainOnSageMaker',
    });
    await run.stopped;
    const id = run.id() as string;
    await killHard(run);
    // Stand-ins for training jobs of earlier attempts, each leading its own process group: one as the
    // record names it, one whose recorded start time no longer matches (its pid was reused).
    const sleeper = () =>
      spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore' });
    const [earlier, reused] = [sleeper(), sleeper()];
    const stat = await readFile(`/proc/${earlier.pid}/stat`, 'utf8');
    const startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    const area = f.store.executions(id);
    const stored = (await area.getJson<ExecutionRecord>('execution.json')) as ExecutionRecord;
    const training = (pid: number, start: string | null) => ({
      job: `sentiment-${id}`,
      pid,
      pgid: pid,
      startTime: start,
      startedAt: new Date().toISOString(),
    });
    try {
      await area.put(
        'execution.json',
        JSON.stringify({ ...stored, training: training(earlier.pid as number, startTime ?? null) }),
      );
      const resumed = await runSlipway(['resume', id, ...QUIET, '--store', f.store.uri], env);
      expect(resumed.output).toContain(`stopped training job sentiment-${id} (process ${earlier.pid})`);
      expect(resumed.code).toBe(0);
      await eventually(
        'the earlier attempt is gone',
        async () => earlier.exitCode !== null || earlier.signalCode !== null,
      );

      // A finished execution is not resumed; a record naming a reused pid never gets that process stopped.
      const second = startSlipway(['run', ...QUIET, '--store', f.store.uri], {
        env,
        failpoint: 'StateEntered:TrainOnSageMaker',
      });
      await second.stopped;
      const secondId = second.id() as string;
      await killHard(second);
      const secondArea = f.store.executions(secondId);
      const record = (await secondArea.getJson<ExecutionRecord>('execution.json')) as ExecutionRecord;
      await secondArea.put(
        'execution.json',
        JSON.stringify({ ...record, training: training(reused.pid as number, 'not-its-start-time') }),
      );
      const again = await runSlipway(['resume', secondId, ...QUIET, '--store', f.store.uri], env);
      expect(again.output).not.toContain('stopped training job');
      expect(again.code).toBe(0);
      expect(alive(reused.pid as number)).toBe(true);
    } finally {
      earlier.kill('SIGKILL');
      reused.kill('SIGKILL');
    }
  }, 240_000);

  test('SIGTERM during training stops the job and removes its temporary folders', async () => {
    const run = startSlipway(['run', ...QUIET, '--store', f.store.uri, '--data', 'builtin:spam'], {
      env,
      failpoint: 'TaskStarted:TrainOnSageMaker',
    });
    await run.stopped;
    const id = run.id() as string;
    expect(await foldersOf(run.pid)).not.toEqual([]);
    run.child.kill('SIGTERM');
    run.child.kill('SIGCONT');
    expect((await run.exited).code).toBe(130);
    expect(await foldersOf(run.pid)).toEqual([]);
    await eventually('the training job is gone', async () => (await processesOfExecution(id)).length === 0);
  }, 120_000);

  test('a registration killed mid-upload is removed when its execution resumes', async () => {
    // Stopped before Evaluate runs, so the pipeline's own registration has not started.
    const run = startSlipway(['run', ...QUIET, '--store', f.store.uri], {
      env,
      failpoint: 'StateExited:TrainOnSageMaker',
    });
    await run.stopped;
    const id = run.id() as string;
    await killHard(run);
    const before = (await f.store.listVersions('sentiment')).versions.map((v) => v.version);
    // The registration of this execution, killed after its first file was uploaded.
    const [worker] = await startWorkers(1, f.store.uri, {});
    if (!worker) throw new Error('no worker');
    worker.send({ op: 'register', name: 'sentiment', executionId: id, seed: 1, hangAfterFirstUpload: true });
    const { version } = (await worker.next()) as { version: number };
    await worker.kill('SIGKILL');
    expect(await f.store.backend.list(`models/sentiment/versions/${version}/`)).not.toEqual([]);

    const resumed = await runSlipway(['resume', id, ...QUIET, '--store', f.store.uri], env);
    expect(resumed.output).toMatch(
      new RegExp(`removed model-version sentiment ${version} \\(\\d+ objects?\\)`),
    );
    expect(resumed.code).toBe(0);
    expect(await f.store.backend.list(`models/sentiment/versions/${version}/`)).toEqual([]);
    const after = (await f.store.listVersions('sentiment')).versions.map((v) => v.version);
    expect(after).toEqual([version + 1, ...before]);
  }, 240_000);

  test('an evaluation unpacks models in a temporary folder named for its process, so a crash leaves it to the sweep', async () => {
    // The store as the pipeline sees it, except that reading the candidate's artifact waits for the test:
    // Evaluate is held while its folder exists.
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let holding = false;
    const bind = <T extends object>(target: T, prop: string | symbol) => {
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    };
    const backend = new Proxy(f.store.backend, {
      get: (target, prop) =>
        prop === 'get'
          ? async (key: string) => {
              if (key.endsWith('/model.tar.gz')) {
                holding = true;
                await released;
              }
              return target.get(key);
            }
          : bind(target, prop),
    });
    const store = new Proxy(f.store, {
      get: (target, prop) => (prop === 'backend' ? backend : bind(target, prop)),
    }) as ModelStore;
    const pipeline = new LocalPipeline({ store, port: 0, retryIntervalMs: 10 });
    const ours = async () =>
      (await readdir(tmpdir())).filter((name) => name.startsWith(`slipway-evaluate-${process.pid}-`));
    const before = await ours();
    try {
      const handle = await pipeline.runtime.start(f.input());
      await eventually('Evaluate reads the candidate', async () => holding, 120_000);
      // Named like the other temporary folders (kind, pid), so the exit hook and the sweep of
      // `slipway resume` and `models gc` cover it.
      const during = (await ours()).filter((name) => !before.includes(name));
      expect(during).toHaveLength(1);
      release();
      await waitForEvent(handle, (e) => e.type === 'StateExited' && e.state === 'Evaluate', 120_000);
      expect(await ours()).toEqual(before);
      // Stopped where nothing more is written (the approval wait), so the store can be removed after.
      await waitingForApproval(handle);
      handle.abort();
      await handle.done;
    } finally {
      release();
      await pipeline.close();
    }
  }, 240_000);

  test('an execution approved while its runner was down resumes with --auto-approve on that decision, without crashing', async () => {
    // Stopped right after it began to wait, approved from another terminal, then killed.
    const run = startSlipway(['run', '--exit', '--no-console', '--port', '0', '--store', f.store.uri], {
      env,
      failpoint: 'TaskWaiting:Approval',
    });
    expect(await run.stopped).toBe('TaskWaiting:Approval');
    const id = run.id() as string;
    const approved = await runSlipway(['approve', id, '--store', f.store.uri], env);
    expect(approved.code, approved.output).toBe(0);
    await killHard(run);

    // The resumed wait settles on the decision on file; the auto-approval finds it decided and adds nothing.
    const resumed = await runSlipway(['resume', id, ...QUIET, '--store', f.store.uri], env);
    expect(resumed.output).not.toContain('already decided');
    expect(resumed.code, resumed.output).toBe(0);
    const { record, events } = await readExecution(f.store, id);
    expect(record.currentState).toBe('Done');
    expect(events.filter((e) => e.type === 'TaskDecided')).toHaveLength(1);
  }, 240_000);
});

import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { approveExecution, readExecution } from '@slipway/runner-local';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  aliasVersion,
  type PipelineFixture,
  pipelineFixture,
  statesEntered,
} from '../../helpers/pipeline.js';

const CLI = new URL('../../../bin/slipway.js', import.meta.url).pathname;
let f: PipelineFixture;
let child: ChildProcess | undefined;
beforeAll(async () => {
  f = await pipelineFixture();
});
afterAll(async () => {
  child?.kill('SIGKILL');
  await f.close();
});

/** Starts `slipway run` in its own process and resolves with the execution id once it waits for approval. */
function runUntilWaiting(): Promise<string> {
  child = spawn(
    process.execPath,
    [CLI, 'run', '--store', f.store.uri, '--port', '0', '--console-port', '0', '--exit'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  return new Promise((resolve, reject) => {
    let id: string | undefined;
    const lines: string[] = [];
    createInterface({ input: child?.stderr as NodeJS.ReadableStream }).on('line', (line) => {
      lines.push(line);
      id ??= /^execution (\S+)/.exec(line)?.[1];
      if (id && line.includes('waits for approval')) resolve(id);
    });
    child?.on('exit', (code) =>
      reject(new Error(`slipway run exited (${code}) before waiting:\n${lines.join('\n')}`)),
    );
  });
}

test('resume-after-crash-while-waiting: a SIGKILLed run continues from Approval without registering twice', async () => {
  const id = await runUntilWaiting();
  const killed = new Promise((resolve) => child?.once('exit', resolve));
  child?.kill('SIGKILL');
  await killed;
  child = undefined;

  // The dead process left the execution RUNNING at Approval, with version 1 registered.
  const before = await readExecution(f.store, id);
  expect(before.record).toMatchObject({ status: 'RUNNING', currentState: 'Approval' });
  expect((await f.store.listVersions('sentiment')).versions).toHaveLength(1);

  // Approving while nobody runs it is recorded; the resumed execution picks the decision up.
  await approveExecution(f.store, id, 'ana', 'approved while the runner was down');
  const handle = await f.pipeline.runtime.resume(id);
  const outcome = await handle.done;
  expect(outcome).toMatchObject({ status: 'SUCCEEDED', finalState: 'Done' });

  const { events } = await readExecution(f.store, id);
  expect(events.filter((e) => e.type === 'ExecutionResumed')).toEqual([
    expect.objectContaining({ state: 'Approval' }),
  ]);
  // Train, Evaluate and Register ran once, before the crash; Approval was entered again after it.
  const entered = statesEntered(events);
  expect(entered.filter((s) => s === 'TrainOnSageMaker')).toHaveLength(1);
  expect(entered.filter((s) => s === 'Register')).toHaveLength(1);
  expect(entered.filter((s) => s === 'Approval')).toHaveLength(2);
  expect((await f.store.listVersions('sentiment')).versions.map((v) => v.version)).toEqual([1]);
  expect(await aliasVersion(f.store, 'sentiment', 'production')).toBe(1);
  expect((await f.store.getAlias('sentiment', 'production')).updatedBy).toBe('ana');

  // A finished execution cannot be resumed again.
  await expect(f.pipeline.runtime.resume(id)).rejects.toThrow(/already succeeded/);
}, 120_000);

import { readExecution } from '@slipway/runner-local';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { killAllStarted, killHard, QUIET, runSlipway, startSlipway } from '../../helpers/crash.js';
import {
  aliasVersion,
  type PipelineFixture,
  pipelineFixture,
  statesEntered,
} from '../../helpers/pipeline.js';

let f: PipelineFixture;
beforeAll(async () => {
  f = await pipelineFixture();
});
afterAll(async () => {
  await killAllStarted();
  await f.close();
});

test('resume-after-crash-after-promote: the resumed execution serves the model again and smoke-tests that endpoint', async () => {
  const run = startSlipway(['run', ...QUIET, '--store', f.store.uri], { failpoint: 'StateExited:Promote' });
  expect(await run.stopped).toBe('StateExited:Promote');
  const id = run.id() as string;
  await killHard(run);
  // The endpoint the promotion reported died with the process.
  const before = await readExecution(f.store, id);
  const promoted = before.events.findLast((e) => e.type === 'StateExited' && e.state === 'Promote');
  const deadEndpoint = (promoted?.output as { promotion?: { endpoint?: string } } | undefined)?.promotion
    ?.endpoint;
  expect(deadEndpoint).toMatch(/^http:/);
  await expect(fetch(`${deadEndpoint}/health`)).rejects.toThrow();

  const resumed = await runSlipway(['resume', id, ...QUIET, '--store', f.store.uri]);
  expect(resumed.output).toMatch(/execution \S+ succeeded/);
  expect(resumed.code).toBe(0);

  const { record, events } = await readExecution(f.store, id);
  expect(record).toMatchObject({ status: 'SUCCEEDED', currentState: 'Done' });
  const resumedAt = events.find((e) => e.type === 'ExecutionResumed');
  expect(resumedAt?.state).toBe('SmokeTest');
  // The resumed state's input names the endpoint this process started, not the dead one.
  const endpoint = (resumedAt?.input as { promotion?: { endpoint?: string } } | undefined)?.promotion
    ?.endpoint;
  expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(endpoint).not.toBe(deadEndpoint);
  expect(statesEntered(events).filter((s) => s === 'Promote')).toHaveLength(1);
  expect(statesEntered(events)).not.toContain('RollBack');
  expect(await aliasVersion(f.store, 'sentiment', 'production')).toBe(1);
  expect(await f.store.aliasHistory('sentiment', 'production')).toHaveLength(1);
}, 180_000);

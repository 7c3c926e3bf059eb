import { rejectExecution } from '@slipway/pipeline';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  aliasVersion,
  type PipelineFixture,
  pipelineFixture,
  statesEntered,
  waitingForApproval,
} from '../../helpers/pipeline.js';

let f: PipelineFixture;
beforeAll(async () => {
  f = await pipelineFixture();
});
afterAll(async () => {
  await f.close();
});

test('approval-rejected: the candidate stays registered, production does not move', async () => {
  const handle = await f.pipeline.runtime.start(f.input());
  await waitingForApproval(handle);
  await rejectExecution(f.store, handle.id, 'bo', 'recall on negatives is too low');
  const outcome = await handle.done;
  expect(outcome).toMatchObject({
    status: 'FAILED',
    finalState: 'Rejected',
    error: 'Rejected',
    cause: 'recall on negatives is too low',
  });
  expect(statesEntered(handle.journal.history).slice(-2)).toEqual(['Approval', 'Rejected']);
  expect(
    handle.journal.history.some((e) => e.type === 'TaskDecided' && e.message?.includes('rejected')),
  ).toBe(true);
  expect(await aliasVersion(f.store, 'sentiment', 'candidate')).toBe(1);
  expect(await aliasVersion(f.store, 'sentiment', 'production')).toBeNull();
  // A second decision on a finished execution is refused.
  await expect(rejectExecution(f.store, handle.id, 'bo', 'again')).rejects.toThrow(/already failed/);
}, 120_000);

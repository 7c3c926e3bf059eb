import { rejectExecution } from '@slipway/runner-local';
import { expect, test } from 'vitest';
import {
  aliasVersion,
  statesEntered,
  usePipelineFixture,
  waitingForApproval,
} from '../../helpers/pipeline.js';

const fixture = usePipelineFixture();

test('approval-rejected: the candidate stays registered, production does not move', async () => {
  const f = fixture();
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
  expect(statesEntered(handle.journal.history).slice(-3)).toEqual([
    'Approval',
    'RecordRejection',
    'Rejected',
  ]);
  expect(
    handle.journal.history.some((e) => e.type === 'TaskDecided' && e.message?.includes('rejected')),
  ).toBe(true);
  // The registry records who rejected the version and why; candidate no longer proposes it.
  expect(await f.store.getRejection('sentiment', 1)).toMatchObject({
    version: 1,
    executionId: handle.id,
    by: 'bo',
    reason: 'recall on negatives is too low',
  });
  expect(await aliasVersion(f.store, 'sentiment', 'candidate')).toBeNull();
  expect(await aliasVersion(f.store, 'sentiment', 'production')).toBeNull();
  // A second decision on a finished execution is refused.
  await expect(rejectExecution(f.store, handle.id, 'bo', 'again')).rejects.toThrow(/already failed/);
}, 120_000);

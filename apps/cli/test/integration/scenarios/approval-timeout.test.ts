import { approveExecution } from '@slipway/runner-local';
import { expect, test } from 'vitest';
import { aliasVersion, statesEntered, usePipelineFixture } from '../../helpers/pipeline.js';

const fixture = usePipelineFixture();

test('approval-timeout: nobody decides, the candidate is rejected with reason timeout', async () => {
  const f = fixture();
  const handle = await f.pipeline.runtime.start(f.input({ approvalTimeoutSeconds: 1 }));
  const outcome = await handle.done;
  expect(outcome).toMatchObject({
    status: 'FAILED',
    finalState: 'Rejected',
    error: 'Rejected',
    cause: 'timeout',
  });
  expect(statesEntered(handle.journal.history).slice(-4)).toEqual([
    'Approval',
    'ApprovalTimedOut',
    'RecordRejection',
    'Rejected',
  ]);
  expect(await f.store.getRejection('sentiment', 1)).toMatchObject({ by: 'timeout', reason: 'timeout' });
  expect(handle.journal.history.find((e) => e.type === 'StateFailed')).toMatchObject({
    state: 'Approval',
    error: 'States.Timeout',
  });
  expect(await aliasVersion(f.store, 'sentiment', 'production')).toBeNull();
  // The token died with the state: a late approval is refused, not silently recorded.
  await expect(approveExecution(f.store, handle.id, 'late', '')).rejects.toThrow(
    /already failed|not waiting/,
  );
}, 120_000);

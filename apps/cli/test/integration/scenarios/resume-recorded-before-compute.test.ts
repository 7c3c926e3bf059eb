import {
  ExecutionJournal,
  newExecutionId,
  parseExecutionInput,
  readExecution,
  rejectExecution,
} from '@slipway/runner-local';
import { expect, test } from 'vitest';
import { statesEntered, usePipelineFixture, waitingForApproval } from '../../helpers/pipeline.js';

const fixture = usePipelineFixture();

test('resume-recorded-before-compute: an execution recorded with trainer "fargate" resumes on Fargate, read as compute', async () => {
  const f = fixture();
  const id = newExecutionId();
  // execution.json as a version before the rename wrote it: the compute under the name trainer.
  const { compute, ...current } = parseExecutionInput(f.input({ compute: 'fargate' }));
  expect(compute).toBe('fargate');
  await ExecutionJournal.create(f.store, id, { ...current, trainer: 'fargate' });

  const handle = await f.pipeline.runtime.resume(id);
  expect(handle.recovered).toContain(
    'read the recorded input\'s trainer "fargate" as compute (its name before the rename)',
  );
  await waitingForApproval(handle);
  await rejectExecution(f.store, id, 'ana', 'only checking the resume');
  expect(await handle.done).toMatchObject({ status: 'FAILED', finalState: 'Rejected' });

  const { record, events } = await readExecution(f.store, id);
  expect(statesEntered(events).slice(0, 4)).toEqual([
    'Train',
    'TrainingTaskDefinition',
    'TrainOnFargate',
    'LocateFargateModel',
  ]);
  expect(events.find((e) => e.type === 'ExecutionResumed')?.input).toMatchObject({ compute: 'fargate' });
  expect(record.input).toMatchObject({ compute: 'fargate' });
  expect(record.input).not.toHaveProperty('trainer');
}, 180_000);

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

test('resume-before-first-event: a run that died before it wrote any history starts over from its recorded input', async () => {
  const f = fixture();
  const id = newExecutionId();
  // What a SIGKILL right after `execution.json` was written leaves: the record with its input, no history.
  await ExecutionJournal.create(f.store, id, parseExecutionInput(f.input()));
  expect((await readExecution(f.store, id)).events).toEqual([]);

  const handle = await f.pipeline.runtime.resume(id);
  await waitingForApproval(handle);
  await rejectExecution(f.store, id, 'ana', 'only checking the resume');
  expect(await handle.done).toMatchObject({ status: 'FAILED', finalState: 'Rejected' });

  const { events } = await readExecution(f.store, id);
  expect(events.find((e) => e.type === 'ExecutionResumed')).toMatchObject({ state: 'Train' });
  expect(statesEntered(events).slice(0, 6)).toEqual([
    'Train',
    'StageTrainingImage',
    'TrainOnSageMaker',
    'Evaluate',
    'Gate',
    'Register',
  ]);
}, 180_000);

import { expect, test } from 'vitest';
import { statesEntered, usePipelineFixture } from '../../helpers/pipeline.js';

const fixture = usePipelineFixture();

test('training-fails-after-retries: a failing job is retried once, then TrainingFailed with its reason', async () => {
  const f = fixture();
  const handle = await f.pipeline.runtime.start(f.input({ hyperparameters: { max_iter: 'many' } }));
  const outcome = await handle.done;
  expect(outcome).toMatchObject({ status: 'FAILED', finalState: 'TrainingFailed', error: 'TrainingFailed' });
  expect(outcome.cause).toMatch(/maxIter="many": expected a number/);
  const history = handle.journal.history;
  expect(history.filter((e) => e.type === 'StateFailed' && e.state === 'TrainOnSageMaker')).toHaveLength(2);
  expect(history.filter((e) => e.type === 'StateRetried' && e.state === 'TrainOnSageMaker')).toHaveLength(1);
  expect(statesEntered(history)).toEqual(['Train', 'TrainOnSageMaker', 'TrainingFailed']);
  await expect(f.store.listModels()).resolves.toEqual([]);
  // The job's log is kept with the execution.
  const { runId } = handle.journal.current.input as { runId: string };
  const log = await handle.journal.area.get(`logs/sentiment-${runId}.log`);
  expect(new TextDecoder().decode(log?.body)).toMatch(/training failed: TrainingError/);
}, 120_000);

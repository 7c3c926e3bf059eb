import { LOCAL_FUNCTION_NAMES, LocalRuntime, readDefinitionText } from '@slipway/runner-local';
import { expect, test } from 'vitest';
import { statesEntered, usePipelineFixture } from '../../helpers/pipeline.js';

const fixture = usePipelineFixture();

test('training-fails: a job that ran and failed fails once, at once, with its FailureReason', async () => {
  const f = fixture();
  const handle = await f.pipeline.runtime.start(f.input({ hyperparameters: { max_iter: 'many' } }));
  const outcome = await handle.done;
  expect(outcome).toMatchObject({ status: 'FAILED', finalState: 'TrainingFailed', error: 'TrainingFailed' });
  // As on AWS: States.TaskFailed whose Cause is the job's DescribeTrainingJob, FailureReason included.
  const job = JSON.parse(outcome.cause ?? '') as Record<string, unknown>;
  expect(job).toMatchObject({
    TrainingJobStatus: 'Failed',
    TrainingJobName: expect.stringMatching(/^sentiment-/),
  });
  expect(job.FailureReason).toMatch(/maxIter="many": expected a number/);
  const history = handle.journal.history;
  // A second job with the same name would be refused by SageMaker, and the failure is deterministic.
  expect(history.filter((e) => e.type === 'StateFailed' && e.state === 'TrainOnSageMaker')).toHaveLength(1);
  expect(history.filter((e) => e.type === 'StateRetried')).toHaveLength(0);
  expect(statesEntered(history)).toEqual([
    'Train',
    'StageTrainingImage',
    'TrainOnSageMaker',
    'TrainingFailed',
  ]);
  await expect(f.store.listModels()).resolves.toEqual([]);
  // The job's log is kept with the execution.
  const { runId } = handle.journal.current.input as { runId: string };
  const log = await handle.journal.area.get(`logs/sentiment-${runId}.log`);
  expect(new TextDecoder().decode(log?.body)).toMatch(/training failed: TrainingError/);
}, 120_000);

test('training-fails: a second job with the same name is refused, as SageMaker refuses it', async () => {
  // What a retrier on the failed job would do: create the same TrainingJobName again.
  const f = fixture();
  const definition = JSON.parse(readDefinitionText()) as { States: Record<string, Record<string, unknown>> };
  const train = definition.States.TrainOnSageMaker as Record<string, unknown>;
  definition.States.TrainAgain = { ...train, Retry: [] };
  train.Catch = [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'TrainAgain' }];
  const runtime = new LocalRuntime({
    store: f.store,
    functions: Object.fromEntries(Object.values(LOCAL_FUNCTION_NAMES).map((n) => [n, async () => ({})])),
    definitionText: JSON.stringify(definition),
    retryIntervalMs: 10,
  });
  const outcome = await (await runtime.start(f.input({ hyperparameters: { max_iter: 'many' } }))).done;
  expect(outcome).toMatchObject({ status: 'FAILED', finalState: 'TrainingFailed' });
  expect(outcome.cause).toMatch(
    /^Training job names must be unique within an AWS account and region, and a training job with this name already exists \(sentiment-/,
  );
}, 120_000);

import { fileURLToPath } from 'node:url';
import { readEvaluationReport } from '@slipway/steps';
import { expect, test } from 'vitest';
import { statesEntered, usePipelineFixture } from '../../helpers/pipeline.js';

const fixture = usePipelineFixture();
const trainers = fileURLToPath(new URL('../../fixtures/trainers/', import.meta.url));
const constant = (mode: string) => ({
  trainer: { type: 'command' as const, command: ['/usr/bin/python3', 'constant.py'], workdir: trainers },
  hyperparameters: { mode },
});

async function jobLog(handle: {
  journal: {
    current: { input: unknown };
    area: { get(key: string): Promise<{ body: Uint8Array } | undefined> };
  };
}) {
  const { runId } = handle.journal.current.input as { runId: string };
  const log = await handle.journal.area.get(`logs/sentiment-${runId}.log`);
  return new TextDecoder().decode(log?.body);
}

test('training-program-fails: a program that exits non-zero ends in TrainingFailed with its failure file, once', async () => {
  const f = fixture();
  const handle = await f.pipeline.runtime.start(f.input(constant('fail')));
  const outcome = await handle.done;
  expect(outcome).toMatchObject({ status: 'FAILED', finalState: 'TrainingFailed', error: 'TrainingFailed' });
  const job = JSON.parse(outcome.cause ?? '') as Record<string, unknown>;
  expect(job.FailureReason).toBe('ValueError: the constant trainer was told to fail');
  expect(handle.journal.history.filter((e) => e.type === 'StateRetried')).toHaveLength(0);
  expect(statesEntered(handle.journal.history)).toEqual([
    'Train',
    'StageTrainingImage',
    'TrainOnSageMaker',
    'TrainingFailed',
  ]);
  // The program's own lines, stdout and stderr, are the job's log.
  expect(await jobLog(handle)).toMatch(/constant trainer, mode fail\n(.*\n)*about to fail/);
  await expect(f.store.listModels()).resolves.toEqual([]);
}, 120_000);

test('training-program-breaks-model-contract: a model with token ids for input ends in TrainingFailed, not retried', async () => {
  const f = fixture();
  const handle = await f.pipeline.runtime.start(f.input(constant('token-ids')));
  const outcome = await handle.done;
  expect(outcome).toMatchObject({ status: 'FAILED', finalState: 'TrainingFailed' });
  const job = JSON.parse(outcome.cause ?? '') as Record<string, unknown>;
  expect(job.FailureReason).toBe(
    'ModelContractError: model.onnx has input input_ids: int64[N,128]; slipway needs text: string[N] (N: any batch size)',
  );
  expect(handle.journal.history.filter((e) => e.type === 'StateRetried')).toHaveLength(0);
  await expect(f.store.listModels()).resolves.toEqual([]);
}, 120_000);

test('training-program: a conforming model is evaluated like any other, with the command in its lineage', async () => {
  const f = fixture();
  const handle = await f.pipeline.runtime.start(f.input(constant('ok')));
  const outcome = await handle.done;
  // It always answers the first class, so the gate refuses it: but it got there.
  expect(outcome).toMatchObject({ finalState: 'EvaluationFailedGate' });
  expect(statesEntered(handle.journal.history)).toEqual([
    'Train',
    'StageTrainingImage',
    'TrainOnSageMaker',
    'Evaluate',
    'Gate',
    'EvaluationFailedGate',
  ]);
  const report = await readEvaluationReport(f.store, handle.id);
  expect(report?.candidate.metrics.accuracy).toBeGreaterThan(0.3);
  expect(report?.candidate.metrics.accuracy).toBeLessThan(0.7);
  // Every text gets the first class.
  expect(report?.candidate.metrics.confusion.map((row) => row[1])).toEqual([0, 0]);
  // The report says which program trained the candidate.
  expect(report?.candidate.trainerVersion).toBe('command: /usr/bin/python3 constant.py');
  expect(await jobLog(handle)).toMatch(/model.onnx follows the model contract: 2 classes; accuracy 0\.\d{4}/);
}, 120_000);

import { expect, test } from 'vitest';
import { aliasVersion, statesEntered, usePipelineFixture } from '../../helpers/pipeline.js';

const fixture = usePipelineFixture();

test('gate-fails: a candidate below the accuracy floor is never registered', async () => {
  const f = fixture();
  const handle = await f.pipeline.runtime.start(
    f.input({ thresholds: { minAccuracy: 0.99, maxRegression: 0.01, minClassF1: 0 } }),
  );
  const outcome = await handle.done;
  expect(outcome).toMatchObject({
    status: 'FAILED',
    finalState: 'EvaluationFailedGate',
    error: 'GateFailed',
  });
  expect(outcome.cause).toMatch(/accuracy 0\.\d+ .*0\.99/);
  expect(statesEntered(handle.journal.history)).toEqual([
    'Train',
    'StageTrainingImage',
    'TrainOnSageMaker',
    'Evaluate',
    'Gate',
    'EvaluationFailedGate',
  ]);
  await expect(f.store.listModels()).resolves.toEqual([]);
  expect(await aliasVersion(f.store, 'sentiment', 'production')).toBeNull();
  // The evaluation that failed the gate is kept with the execution for the console.
  const report = await handle.journal.area.getJson<{ verdict: { passed: boolean } }>('evaluation.json');
  expect(report?.verdict.passed).toBe(false);
}, 120_000);

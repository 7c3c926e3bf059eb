import { rejectExecution } from '@slipway/runner-local';
import { expect, test } from 'vitest';
import {
  aliasVersion,
  statesEntered,
  usePipelineFixture,
  waitingForApproval,
} from '../../helpers/pipeline.js';

const fixture = usePipelineFixture();

// The runtime stages the store's objects itself and runs the container's plain contract, even though
// the task's overrides carry the URIs that make the container fetch from S3 on its own on ECS.
test('fargate-trainer: the Fargate path trains locally and registers the model it uploaded', async () => {
  const f = fixture();
  const input = f.input({ compute: 'fargate' });
  const handle = await f.pipeline.runtime.start(input);
  // A failed training ends the execution: show its cause at once rather than waiting for Approval.
  expect(await Promise.race([waitingForApproval(handle).then(() => 'waiting'), handle.done])).toBe('waiting');
  expect(statesEntered(handle.journal.history)).toEqual([
    'Train',
    'TrainingTaskDefinition',
    'TrainOnFargate',
    'LocateFargateModel',
    'Evaluate',
    'Gate',
    'Register',
    'Approval',
  ]);
  // runTask.sync's output is the task description: the job is named by its task ARN.
  const located = handle.journal.history.find(
    (e) => e.type === 'StateExited' && e.state === 'TrainOnFargate',
  );
  expect((located?.output as { training?: unknown } | undefined)?.training).toEqual({
    jobName: `arn:aws:ecs:local:000000000000:task/slipway/sentiment-${input.runId}`,
  });
  const runPrefix = `runs/sentiment-${input.runId}/output`;
  expect((await f.store.backend.list(runPrefix)).map((o) => o.key)).toEqual([`${runPrefix}/model.tar.gz`]);
  expect(await aliasVersion(f.store, 'sentiment', 'candidate')).toBe(1);
  const { manifest } = await f.store.getManifest('sentiment', 1);
  expect(manifest.lineage).toMatchObject({ executionId: handle.id, dataset: f.dataset });
  // Locally the task runs as a child process: no task definition, and no image recorded in lineage.
  const task = handle.journal.history.find((e) => e.type === 'StateEntered' && e.state === 'TrainOnFargate');
  expect((task?.input as { trainingTask?: unknown } | undefined)?.trainingTask).toEqual({
    taskDefinition: 'local',
    image: 'local/slipway-training-job',
  });
  expect(manifest.lineage.environment?.image).toBeNull();
  await rejectExecution(f.store, handle.id, 'bo', 'only checking the trainer');
  expect(await handle.done).toMatchObject({ status: 'FAILED', finalState: 'Rejected' });
}, 120_000);

import { approveExecution, readExecution } from '@slipway/runner-local';
import { expect, test } from 'vitest';
import {
  aliasVersion,
  HAPPY_PATH,
  statesEntered,
  usePipelineFixture,
  waitingForApproval,
} from '../../helpers/pipeline.js';

const fixture = usePipelineFixture();

test('happy-path: train, evaluate, register, approve, promote, smoke-test, serve', async () => {
  const f = fixture();
  const handle = await f.pipeline.runtime.start(f.input());
  await waitingForApproval(handle);
  expect(await aliasVersion(f.store, 'sentiment', 'candidate')).toBe(1);
  expect(await aliasVersion(f.store, 'sentiment', 'production')).toBeNull();
  await approveExecution(f.store, handle.id, 'ana', 'looks good');

  const outcome = await handle.done;
  expect(outcome).toMatchObject({ status: 'SUCCEEDED', finalState: 'Done', error: null });
  expect(statesEntered(handle.journal.history)).toEqual(HAPPY_PATH);

  // The store: one immutable version with lineage; production and candidate on it; the move recorded.
  const page = await f.store.listVersions('sentiment');
  expect(page.versions.map((v) => v.version)).toEqual([1]);
  const { manifest } = await f.store.getManifest('sentiment', 1);
  expect(manifest.lineage).toMatchObject({ executionId: handle.id, dataset: f.dataset });
  // Trained on this machine, not in the image the definition names: lineage records no image.
  expect(manifest.lineage.environment?.image).toBeNull();
  const production = await f.store.getAlias('sentiment', 'production');
  expect(production).toMatchObject({ version: 1, previous: null, updatedBy: 'ana' });
  expect(production.reason).toContain(handle.id);

  // The recorded execution matches what the handle saw, and the endpoint serves version 1.
  const { record, events } = await readExecution(f.store, handle.id);
  expect(record).toMatchObject({ status: 'SUCCEEDED', currentState: 'Done' });
  expect(events.at(-1)?.type).toBe('ExecutionSucceeded');
  const endpoint = f.pipeline.endpoint as string;
  const health = (await (await fetch(`${endpoint}/health`)).json()) as { model: unknown };
  expect(health.model).toMatchObject({ name: 'sentiment', version: 1 });
  const predicted = (await (
    await fetch(`${endpoint}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        texts: ['I loved it, wonderful and great', 'terrible, awful, a waste of money'],
      }),
    })
  ).json()) as { predictions: { label: string }[] };
  expect(predicted.predictions.map((p) => p.label)).toEqual(['positive', 'negative']);
}, 120_000);

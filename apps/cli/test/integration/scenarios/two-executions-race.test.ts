import { approveExecution } from '@slipway/runner-local';
import { expect, test } from 'vitest';
import { aliasVersion, usePipelineFixture, waitingForApproval } from '../../helpers/pipeline.js';

const fixture = usePipelineFixture();

test('two-executions-race: both register, promotions serialize, the stale one is refused', async () => {
  const f = fixture();
  const [a, b] = await Promise.all([
    f.pipeline.runtime.start(f.input({ hyperparameters: { C: '10' } })),
    f.pipeline.runtime.start(f.input({ hyperparameters: { C: '3' } })),
  ]);
  await Promise.all([waitingForApproval(a), waitingForApproval(b)]);
  const versions = (await f.store.listVersions('sentiment')).versions.map((v) => v.version).sort();
  expect(versions).toEqual([1, 2]);

  // Both were evaluated when there was no production. The first approved wins…
  await approveExecution(f.store, a.id, 'ana');
  expect((await a.done).finalState).toBe('Done');
  const promoted = await aliasVersion(f.store, 'sentiment', 'production');

  // …and the second must not overwrite it without being compared against it.
  await approveExecution(f.store, b.id, 'bo');
  const outcome = await b.done;
  expect(outcome).toMatchObject({
    status: 'FAILED',
    finalState: 'PromotionRefused',
    error: 'ProductionMoved',
  });
  expect(outcome.cause).toMatch(/re-run/);
  expect(await aliasVersion(f.store, 'sentiment', 'production')).toBe(promoted);
}, 120_000);

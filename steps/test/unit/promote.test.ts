import { type ModelStore, NotFoundError } from '@slipway/model-store';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createStepsStore,
  registerTrained,
  type StepsStore,
  type TrainedArtifact,
  trainArtifact,
  WEAK,
} from '../../../test-helpers/steps.js';
import {
  createPromoteHandler,
  DeployError,
  type Deployer,
  type DeployRequest,
  ProductionMovedError,
} from '../../src/index.js';

const ENDPOINT = 'http://127.0.0.1:8080';
let model: TrainedArtifact;
let fx: StepsStore;
let store: ModelStore;
let deployed: DeployRequest[];
let failDeploy: boolean;

/** Records every deploy; fails while `failDeploy` is set. */
const deployer: Deployer = {
  async deploy(request) {
    if (failDeploy) throw new Error('image push refused');
    deployed.push(request);
    return { endpoint: ENDPOINT };
  },
};

beforeAll(async () => {
  model = await trainArtifact(WEAK);
});
beforeEach(async () => {
  fx = await createStepsStore();
  store = fx.store;
  deployed = [];
  failDeploy = false;
  for (let i = 0; i < 3; i++) await registerTrained(store, model);
});
afterEach(async () => {
  await fx.close();
});

// What the deployer smoke-tests the new version with before it takes all traffic.
const SAMPLES = [{ text: 'a lovely film', label: 'positive' }];

const promote = (version: number, expected: number | null, executionId = 'exec-1') =>
  createPromoteHandler({ store, deployer })({
    action: 'promote',
    model: 'sentiment',
    version,
    expectedProduction: expected === null ? null : { version: expected, accuracy: 0.8, macroF1: 0.8 },
    approval: {
      approved: true,
      approvedBy: 'alice',
      comment: 'looks good',
      decidedAt: '2025-01-01T00:00:00Z',
    },
    executionId,
    samples: SAMPLES,
  });

const rollback = (
  version: number,
  target: number | null,
  executionId = 'exec-1',
  options: { restore?: string; with?: Deployer } = {},
) =>
  createPromoteHandler({ store, deployer: options.with ?? deployer, actor: 'pipeline' })({
    action: 'rollback',
    model: 'sentiment',
    version,
    expectedProduction: target,
    ...(options.restore === undefined ? {} : { restore: options.restore }),
    executionId,
  });

const production = () => store.getAlias('sentiment', 'production');

describe('Promote', () => {
  it('promotes the first model when production is expected unset, and deploys it', async () => {
    expect(await promote(1, null)).toEqual({
      version: 1,
      previous: null,
      endpoint: ENDPOINT,
      restore: null,
      canary: 'none',
    });
    expect(await production()).toMatchObject({
      version: 1,
      previous: null,
      updatedBy: 'alice',
      reason: 'promoted by execution exec-1, approved by alice: looks good',
    });
    expect(deployed).toEqual([{ model: 'sentiment', version: 1, previous: null, samples: SAMPLES }]);
  });

  it('succeeds again when a resumed execution re-runs a promotion it already made', async () => {
    await promote(1, null);
    expect(await promote(1, null)).toEqual({
      version: 1,
      previous: null,
      endpoint: ENDPOINT,
      restore: null,
      canary: 'none',
    });
    expect((await production()).history).toHaveLength(1);
    expect(deployed).toHaveLength(2); // deploying again is harmless, and covers a crash before the first deploy
  });

  it('records the execution on the alias, and a retry decides from that field, not from the reason text', async () => {
    await promote(1, null);
    expect((await production()).executionId).toBe('exec-1');
    // The same move with other words: still this execution's promotion, so a retry succeeds.
    await store.setAlias('sentiment', 'production', 2, { expected: 1, executionId: 'exec-2', reason: 'v2' });
    expect(await promote(2, 1, 'exec-2')).toMatchObject({ version: 2, previous: 1 });
    expect((await production()).history).toHaveLength(2);
  });

  it('does not take a move by someone else for its own, even when the reason reads like one', async () => {
    await store.setAlias('sentiment', 'production', 1, {
      expected: null,
      reason: 'promoted by execution exec-1, approved by alice: looks good',
    });
    await expect(promote(1, null)).rejects.toBeInstanceOf(ProductionMovedError);
    expect(deployed).toHaveLength(0);
  });

  it('refuses with ProductionMovedError when production moved since the evaluation, leaving it alone', async () => {
    await promote(1, null);
    await store.setAlias('sentiment', 'production', 2, { expected: 1, reason: 'hotfix' });
    const error = await promote(3, 1, 'exec-2').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProductionMovedError);
    expect((error as ProductionMovedError).name).toBe('ProductionMovedError');
    expect((error as Error).message).toBe(
      'production of sentiment moved from v1 to v2 since the evaluation; ' +
        're-run the pipeline so the candidate is compared with the new production',
    );
    expect(error).toMatchObject({ expected: 1, actual: 2 });
    expect((await production()).version).toBe(2);
    expect(deployed).toHaveLength(1);
  });

  it('refuses a first promotion when someone set production meanwhile', async () => {
    await store.setAlias('sentiment', 'production', 2);
    await expect(promote(1, null)).rejects.toThrow(
      new ProductionMovedError(
        'production of sentiment moved from unset to v2 since the evaluation; re-run the pipeline so the candidate is compared with the new production',
        null,
        2,
      ),
    );
    expect((await production()).version).toBe(2);
  });

  it('puts production back when the deploy fails, and throws DeployError', async () => {
    await promote(1, null);
    failDeploy = true;
    const error = await promote(2, 1, 'exec-2').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeployError);
    expect((error as Error).message).toBe(
      'v2 of sentiment could not be deployed (image push refused); production is back at v1; fix the deployer and re-run the pipeline',
    );
    const record = await production();
    expect(record.version).toBe(1);
    expect(record.history.map((m) => [m.action, m.version])).toEqual([
      ['set', 1],
      ['set', 2],
      ['rollback', 1],
    ]);
  });
});

describe('RollBack (promotion-rolls-back)', () => {
  /** A deployer that can put back what served before (the Lambda deployer: a published version). */
  const restoring = (restored: string[]): Deployer => ({
    ...deployer,
    async restore(request) {
      restored.push(request.restore);
      return { endpoint: ENDPOINT };
    },
  });

  it('puts the endpoint back on what served before instead of deploying again', async () => {
    await promote(1, null, 'exec-0');
    await promote(2, 1);
    const restored: string[] = [];
    expect(await rollback(2, 1, 'exec-1', { restore: '5', with: restoring(restored) })).toEqual({
      version: 1,
      moved: true,
      endpoint: ENDPOINT,
    });
    expect(restored).toEqual(['5']);
    expect(deployed.map((d) => d.version)).toEqual([1, 2]);
  });

  it('a first version that failed: production unset and the endpoint back on what served before it', async () => {
    await promote(1, null);
    const restored: string[] = [];
    expect(await rollback(1, null, 'exec-1', { restore: '1', with: restoring(restored) })).toEqual({
      version: null,
      moved: true,
      endpoint: ENDPOINT,
    });
    await expect(production()).rejects.toThrow(NotFoundError);
    expect(restored).toEqual(['1']);
    // A retried rollback restores again (in case the first stopped short) and moves nothing.
    expect(await rollback(1, null, 'exec-1', { restore: '1', with: restoring(restored) })).toEqual({
      version: null,
      moved: false,
      endpoint: ENDPOINT,
    });
    expect(restored).toEqual(['1', '1']);
  });

  it('moves production back to the version it replaced and deploys that', async () => {
    await promote(1, null, 'exec-0');
    await promote(2, 1);
    expect(await rollback(2, 1)).toEqual({ version: 1, moved: true, endpoint: ENDPOINT });
    const record = await production();
    expect(record).toMatchObject({
      version: 1,
      previous: 2,
      updatedBy: 'pipeline',
      reason: 'rolled back by execution exec-1: smoke test failed',
    });
    expect(record.history.at(-1)?.action).toBe('rollback');
    expect(deployed.at(-1)).toEqual({ model: 'sentiment', version: 1, previous: 2 });
  });

  it('is idempotent: a retried rollback finds production back already and deploys it again', async () => {
    await promote(1, null, 'exec-0');
    await promote(2, 1);
    await rollback(2, 1);
    expect(await rollback(2, 1)).toEqual({ version: 1, moved: false, endpoint: ENDPOINT });
    expect((await production()).history).toHaveLength(3);
    expect(deployed.map((d) => d.version)).toEqual([1, 2, 1, 1]);
  });

  it('leaves production alone when someone moved it past the failed version', async () => {
    await promote(1, null, 'exec-0');
    await promote(2, 1);
    await store.setAlias('sentiment', 'production', 3, { expected: 2 });
    expect(await rollback(2, 1)).toEqual({ version: 3, moved: false, endpoint: null });
    expect((await production()).version).toBe(3);
    expect(deployed.map((d) => d.version)).toEqual([1, 2]);
  });

  it('unsets production when the failed promotion was the first one, keeping the history', async () => {
    await promote(1, null);
    expect(await rollback(1, null)).toEqual({ version: null, moved: true, endpoint: null });
    await expect(production()).rejects.toThrow(NotFoundError);
    const moves = await store.aliasHistory('sentiment', 'production');
    expect(moves.map((m) => [m.action, m.version])).toEqual([
      ['clear', null],
      ['set', 1],
    ]);
    // A retried rollback finds nothing to undo.
    expect(await rollback(1, null)).toEqual({ version: null, moved: false, endpoint: null });
  });
});

describe('RecordRejection', () => {
  const reject = (version: number, cause: string, executionId = 'exec-9') =>
    createPromoteHandler({ store, deployer, actor: 'pipeline' })({
      action: 'reject',
      model: 'sentiment',
      version,
      rejection: { Error: 'Rejected', Cause: cause },
      executionId,
    });

  it('records who rejected the version from the decision left in the execution, and clears candidate', async () => {
    await store.setAlias('sentiment', 'candidate', 3);
    // What the local runtime's token registry writes when someone rejects.
    await store.executions('exec-9').put(
      'decisions/abc.json',
      JSON.stringify({
        decision: 'reject',
        by: 'carol',
        reason: 'too slow',
        at: '2026-12-06T10:00:00.000Z',
      }),
    );
    expect(await reject(3, 'too slow')).toEqual({
      version: 3,
      by: 'carol',
      reason: 'too slow',
      candidateCleared: true,
    });
    expect(await store.getRejection('sentiment', 3)).toMatchObject({
      by: 'carol',
      reason: 'too slow',
      executionId: 'exec-9',
    });
    await expect(store.getAlias('sentiment', 'candidate')).rejects.toThrow(NotFoundError);
    // Run again (a retry): the first record stands.
    expect(await reject(3, 'other')).toMatchObject({
      by: 'carol',
      reason: 'too slow',
      candidateCleared: false,
    });
  });

  it('names a timeout, finds the decision of an approval link, and never reads a decider from the cause', async () => {
    await store.setAlias('sentiment', 'candidate', 3);
    expect(await reject(2, 'timeout', 'exec-a')).toMatchObject({ by: 'timeout', reason: 'timeout' });
    // A newer registration owns candidate: left alone.
    expect((await store.getAlias('sentiment', 'candidate')).version).toBe(3);
    // The record an approval link, `slipway reject --aws` or the console leaves (settleApproval).
    await store.executions('exec-b').put(
      'decisions/n1.json',
      JSON.stringify({
        decision: 'reject',
        by: 'dan',
        reason: 'bad labels',
        at: '2026-12-06T10:00:00.000Z',
        via: 'link',
      }),
    );
    expect(await reject(1, 'bad labels', 'exec-b')).toMatchObject({ by: 'dan', reason: 'bad labels' });
    // Without a record nobody is named, whatever the cause's text says: it is kept as the reason, whole.
    expect(await reject(3, 'overfits (rejected by eve)', 'exec-c')).toMatchObject({
      by: '',
      reason: 'overfits (rejected by eve)',
      candidateCleared: true,
    });
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ModelStore, openStore } from '@slipway/model-store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createApprovalHandler,
  createEvaluateHandler,
  createPromoteHandler,
  createRegisterHandler,
  createSmokeTestHandler,
  fixedEndpointDeployer,
  InvalidEventError,
} from '../../src/index.js';

let root: string;
let store: ModelStore;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'slipway-events-test-'));
  store = await openStore(`file://${root}`);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const sha = 'a'.repeat(64);
const evaluation = {
  reportKey: 'executions/e/evaluation.json',
  verdict: { passed: true, reasons: [], summary: 'ok' },
  candidate: { accuracy: 0.9, macroF1: 0.9, perClassF1: { a: 0.9 } },
  production: null,
  samples: [],
};

async function invalid(
  handler: (event: unknown) => Promise<unknown>,
  event: unknown,
): Promise<InvalidEventError> {
  const error = await handler(event).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(InvalidEventError);
  expect((error as Error).name).toBe('InvalidEventError');
  return error as InvalidEventError;
}

describe('step handlers refuse bad events with InvalidEventError naming each field', () => {
  it('Evaluate', async () => {
    const error = await invalid(createEvaluateHandler({ store }), {
      model: 'Sentiment!',
      artifact: 's3://b/runs/j/output/model.tar.gz',
      dataset: { name: 'sentiment', sha256: 'xyz' },
      thresholds: { minAccuracy: 1.5, maxRegression: 0.01 },
      executionId: 'e-1',
    });
    expect(error.issues.map((i) => i.path)).toEqual([
      'model',
      'dataset.sha256',
      'thresholds.minAccuracy',
      'thresholds.minClassF1',
    ]);
    expect(error.message).toBe(
      'invalid Evaluate event: model: use 1-128 lowercase letters, digits, ".", "_" or "-", starting with a letter or digit, without ".."; ' +
        'dataset.sha256: expected 64 lowercase hex digits; ' +
        'thresholds.minAccuracy: Too big: expected number to be <=1; ' +
        'thresholds.minClassF1: Invalid input: expected number, received undefined; ' +
        "check the Evaluate state's Parameters.Payload in contracts/state-machine.asl.json and the execution input",
    );
  });

  it('Evaluate, given no object at all', async () => {
    const error = await invalid(createEvaluateHandler({ store }), 'hello');
    expect(error.issues).toEqual([
      { path: '(event)', message: 'Invalid input: expected object, received string' },
    ]);
  });

  it('Register', async () => {
    const error = await invalid(createRegisterHandler({ store }), {
      model: 'sentiment',
      artifact: 's3://b/runs/j/output/model.tar.gz',
      evaluation,
      lineage: {
        gitCommit: 'abc',
        pullRequest: 'twelve',
        executionId: 'e-1',
        dataset: { name: 'sentiment', sha256: sha },
      },
    });
    expect(error.issues).toEqual([
      { path: 'lineage.pullRequest', message: 'expected a pull request number or ""' },
    ]);
  });

  it('Approval', async () => {
    const error = await invalid(createApprovalHandler({ store, notify: () => {} }), {
      executionId: 'e-1',
      model: 'sentiment',
      version: 0,
      evaluation: { ...evaluation, verdict: { passed: 'yes' } },
      git: { commit: '', pullRequest: '' },
    });
    expect(error.issues.map((i) => i.path)).toEqual([
      'taskToken',
      'version',
      'evaluation.verdict.passed',
      'evaluation.verdict.reasons',
      'evaluation.verdict.summary',
    ]);
  });

  it('Promote: an unknown action, and a promotion without its approver', async () => {
    const handler = createPromoteHandler({ store, deployer: fixedEndpointDeployer(null) });
    const unknown = await invalid(handler, {
      action: 'demote',
      model: 'sentiment',
      version: 1,
      executionId: 'e',
    });
    expect(unknown.issues.map((i) => i.path)).toEqual(['action']);
    const noApprover = await invalid(handler, {
      action: 'promote',
      model: 'sentiment',
      version: 2,
      expectedProduction: { version: 1, accuracy: 0.9, macroF1: 0.9 },
      approval: { approved: true },
      executionId: 'e',
    });
    expect(noApprover.issues).toEqual([
      { path: 'approval.approvedBy', message: 'Invalid input: expected string, received undefined' },
    ]);
    const rollbackToObject = await invalid(handler, {
      action: 'rollback',
      model: 'sentiment',
      version: 2,
      expectedProduction: { version: 1 },
      executionId: 'e',
    });
    expect(rollbackToObject.issues.map((i) => i.path)).toEqual(['expectedProduction']);
    expect(rollbackToObject.message).toMatch(
      /^invalid RollBack event: expectedProduction: .+; check the RollBack state's/,
    );
  });

  it('SmokeTest', async () => {
    const error = await invalid(createSmokeTestHandler(), {
      model: 'sentiment',
      version: 1,
      endpoint: 'ftp://127.0.0.1/',
      samples: [{ text: 'good' }],
    });
    expect(error.issues).toEqual([
      { path: 'endpoint', message: 'expected an http(s) URL' },
      { path: 'samples.0.label', message: 'Invalid input: expected string, received undefined' },
    ]);
  });
});

// An Approval event as the state machine sends it on AWS, and a throwaway folder store.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ModelStore, openStore } from '@slipway/model-store';
import type { CompactEvaluation } from '@slipway/steps';

export const EXECUTION_ARN =
  'arn:aws:states:eu-west-1:123456789012:execution:slipway-dev-pipeline:pr-17-a1b2c3';
export const TASK_TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAb9rAmtyRZ7s0UBqF2secretTokenValue==';
export const SECRET = 'approval-link-signing-secret-for-tests-only';

const evaluation: CompactEvaluation = {
  reportKey: `executions/${EXECUTION_ARN}/evaluation.json`,
  verdict: {
    passed: true,
    reasons: [],
    summary: 'candidate accuracy 0.842 ≥ 0.600; no regression against production v3: passed',
  },
  candidate: { accuracy: 0.842, macroF1: 0.841, perClassF1: { negative: 0.83, positive: 0.852 } },
  production: { version: 3, accuracy: 0.833, macroF1: 0.832 },
  samples: [{ text: 'Great.', label: 'positive' }],
};

/** The Approval state's Payload. */
export function approvalEvent(overrides: Record<string, unknown> = {}) {
  return {
    taskToken: TASK_TOKEN,
    executionId: EXECUTION_ARN,
    model: 'sentiment',
    version: 4,
    evaluation,
    git: { commit: '0123456789abcdef0123', pullRequest: '17' },
    ...overrides,
  };
}

/** A folder store in a temp folder. */
export async function tempStore(): Promise<{ store: ModelStore; close(): Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'slipway-aws-approval-'));
  const store = await openStore(`file://${root}`, { actor: 'test' });
  return {
    store,
    async close() {
      await store.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

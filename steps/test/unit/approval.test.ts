import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStepsStore, type StepsStore } from '../../../test-helpers/steps.js';
import {
  type ApprovalNotice,
  type CompactEvaluation,
  createApprovalHandler,
  InvalidEventError,
  readApprovalRequest,
} from '../../src/index.js';

const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAb9rAmtyRZ7s0UBqF2secretTokenValue==';
const evaluation: CompactEvaluation = {
  reportKey: 'executions/exec-7/evaluation.json',
  verdict: {
    passed: true,
    reasons: [],
    summary:
      'candidate accuracy 0.842 ≥ 0.600; lowest class F1 0.830 (negative) ≥ 0.000; no production model to compare with: passed',
  },
  candidate: { accuracy: 0.842, macroF1: 0.841, perClassF1: { negative: 0.83, positive: 0.852 } },
  production: null,
  samples: [{ text: 'Great.', label: 'positive' }],
};
const event = {
  taskToken: TOKEN,
  executionId: 'exec-7',
  model: 'sentiment',
  version: 4,
  evaluation,
  git: { commit: 'abc123', pullRequest: '17' },
};

let fx: StepsStore;
beforeAll(async () => {
  fx = await createStepsStore();
});
afterAll(async () => {
  await fx.close();
});

describe('Approval', () => {
  it('records the request without the task token and tells the approver how to decide', async () => {
    const notices: ApprovalNotice[] = [];
    const handler = createApprovalHandler({
      store: fx.store,
      notify: (notice) => {
        notices.push(notice);
      },
      consoleUrl: (id) => `http://127.0.0.1:4000/executions/${id}`,
      now: () => new Date('2025-03-01T12:00:00Z'),
    });
    expect(await handler(event)).toEqual({ notified: true });

    const notice: ApprovalNotice = {
      executionId: 'exec-7',
      model: 'sentiment',
      version: 4,
      summary: evaluation.verdict.summary,
      approveCommand: 'slipway approve exec-7',
      rejectCommand: 'slipway reject exec-7 --reason "<why>"',
      consoleUrl: 'http://127.0.0.1:4000/executions/exec-7',
    };
    expect(notices).toEqual([notice]);
    expect(await readApprovalRequest(fx.store, 'exec-7')).toEqual({
      schema: 'slipway.approval-request/v1',
      ...notice,
      passed: true,
      candidate: { accuracy: 0.842, macroF1: 0.841 },
      production: null,
      git: { commit: 'abc123', pullRequest: '17' },
      requestedAt: '2025-03-01T12:00:00.000Z',
    });

    // Nothing this step wrote anywhere in the store holds the token.
    const files = await readdir(fx.root, { recursive: true, withFileTypes: true });
    for (const file of files.filter((f) => f.isFile())) {
      expect(await readFile(join(file.parentPath, file.name), 'utf8')).not.toContain(TOKEN);
    }
    expect(JSON.stringify(notices)).not.toContain(TOKEN);
  });

  it('uses the commands it is given (e.g. for an AWS execution)', async () => {
    const notices: ApprovalNotice[] = [];
    const arn = 'arn:aws:states:eu-west-1:123456789012:execution:slipway:run-9';
    await createApprovalHandler({
      store: fx.store,
      notify: async (n) => {
        notices.push(n);
      },
      commands: (id) => ({ approve: `slipway approve --aws ${id}`, reject: `slipway reject --aws ${id}` }),
    })({ ...event, executionId: arn });
    expect(notices[0]).toMatchObject({
      approveCommand: `slipway approve --aws ${arn}`,
      rejectCommand: `slipway reject --aws ${arn}`,
    });
    expect(notices[0]).not.toHaveProperty('consoleUrl');
  });

  it('keeps the token out of the error for a bad event', async () => {
    const handler = createApprovalHandler({ store: fx.store, notify: () => {} });
    const error = await handler({ ...event, version: 'four' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidEventError);
    expect((error as Error).message).not.toContain(TOKEN);
    expect((error as Error).message).toContain('version: Invalid input: expected number, received string');
  });
});

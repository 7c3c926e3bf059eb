import { SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import type { ModelStore } from '@slipway/model-store';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { awsError, FakeAws } from '../../../../test-helpers/aws-fake-client.js';
import { type LinkClaims, signLinkToken, verifyLinkToken } from '../../src/approval/link-token.js';
import { createAwsApprovalHandler } from '../../src/approval/notify.js';
import { readApprovalToken, readDecision, type SfnApi } from '../../src/approval/settle.js';
import { createApprovalLinksHandler, type FunctionUrlEvent } from '../../src/approval-links/handler.js';
import { approvalEvent, EXECUTION_ARN, SECRET, TASK_TOKEN, tempStore } from '../helpers/approval.js';

const NOW = new Date('2025-03-01T12:00:00Z');
const LATER = new Date('2025-03-01T12:30:00Z');

let fx: { store: ModelStore; close(): Promise<void> };
let sfn: FakeAws;
let nonce: string;
beforeEach(async () => {
  fx = await tempStore();
  sfn = new FakeAws().on(SendTaskSuccessCommand, {}).on(SendTaskFailureCommand, {});
  // The Approval function records the request and the token, as it does on AWS.
  await createAwsApprovalHandler({
    store: fx.store,
    sns: new FakeAws().on((await import('@aws-sdk/client-sns')).PublishCommand, {}).client(),
    topicArn: 'arn:aws:sns:eu-west-1:123456789012:approvals',
    linksUrl: 'https://links.example/',
    secret: SECRET,
    now: () => NOW,
  })(approvalEvent());
  nonce = (await readApprovalToken(fx.store, EXECUTION_ARN))?.nonce ?? '';
});
afterEach(async () => {
  await fx.close();
});

const handler = (now = LATER) =>
  createApprovalLinksHandler({ store: fx.store, sfn: sfn.client<SfnApi>(), secret: SECRET, now: () => now });

const token = (decision: 'approve' | 'reject', over: Partial<LinkClaims> = {}, secret = SECRET) =>
  signLinkToken(
    { executionId: EXECUTION_ARN, decision, expiresAt: NOW.getTime() / 1000 + 86_400, nonce, ...over },
    secret,
  );

const get = (t: string, method = 'GET'): FunctionUrlEvent => ({
  requestContext: { http: { method } },
  queryStringParameters: { t },
});
const post = (fields: Record<string, string>, base64 = false): FunctionUrlEvent => {
  const body = new URLSearchParams(fields).toString();
  return {
    requestContext: { http: { method: 'POST' } },
    body: base64 ? Buffer.from(body).toString('base64') : body,
    isBase64Encoded: base64,
  };
};

describe('approval link tokens', () => {
  it('verify with the signing secret until they expire', () => {
    const t = token('approve');
    const claims = {
      executionId: EXECUTION_ARN,
      decision: 'approve',
      expiresAt: NOW.getTime() / 1000 + 86_400,
      nonce,
    };
    expect(verifyLinkToken(t, SECRET, LATER.getTime())).toEqual({ ok: true, claims });
    expect(verifyLinkToken(t, SECRET, NOW.getTime() + 86_400_000)).toEqual({
      ok: false,
      problem: 'expired',
      claims,
    });
    expect(verifyLinkToken(t, `${SECRET}-other`, LATER.getTime())).toEqual({
      ok: false,
      problem: 'signature',
    });
    expect(verifyLinkToken('no-dot', SECRET)).toEqual({ ok: false, problem: 'malformed' });
  });

  it('refuse a payload changed after signing (reject link turned into approve)', () => {
    const [payload, mac] = token('reject').split('.');
    const forged = Buffer.from(
      Buffer.from(payload ?? '', 'base64url')
        .toString()
        .replace('"reject"', '"approve"'),
    ).toString('base64url');
    expect(verifyLinkToken(`${forged}.${mac}`, SECRET, LATER.getTime())).toEqual({
      ok: false,
      problem: 'signature',
    });
  });
});

describe('the approval links function', () => {
  it('GET shows a confirmation page and decides nothing (a link preview cannot approve)', async () => {
    for (const method of ['GET', 'HEAD']) {
      const page = await handler()(get(token('approve'), method));
      expect(page.statusCode).toBe(200);
      expect(page.headers).toMatchObject({
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'referrer-policy': 'no-referrer',
      });
      expect(page.body).toContain('<title>Approve sentiment v4? - slipway</title>');
      expect(page.body).toContain('<form method="post">');
      expect(page.body).toContain('<td>candidate v4</td><td>84.2%</td><td>84.1%</td>');
      expect(page.body).toContain('<td>production v3</td><td>83.3%</td><td>83.2%</td>');
      expect(page.body).not.toContain(TASK_TOKEN);
    }
    expect(sfn.calls).toEqual([]);
    expect(await readDecision(fx.store, EXECUTION_ARN, nonce)).toBeUndefined();
  });

  it('happy-path: POST approve sends SendTaskSuccess with the local runtime output shape', async () => {
    const page = await handler()(post({ t: token('approve'), by: 'Ana', note: 'ship it' }));
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<h1>Approved</h1>');
    expect(sfn.inputs(SendTaskSuccessCommand)).toEqual([
      {
        taskToken: TASK_TOKEN,
        output: JSON.stringify({
          approved: true,
          approvedBy: 'Ana',
          comment: 'ship it',
          decidedAt: LATER.toISOString(),
        }),
      },
    ]);
    // The decision record says who decided and why in fields (contracts' ApprovalDecisionRecord).
    expect(await readDecision(fx.store, EXECUTION_ARN, nonce)).toEqual({
      decision: 'approve',
      by: 'Ana',
      comment: 'ship it',
      at: LATER.toISOString(),
      via: 'link',
    });
  });

  it('approval-rejected: POST reject sends SendTaskFailure with error Rejected and the reason (base64 body)', async () => {
    const page = await handler()(post({ t: token('reject'), by: 'Bo', note: 'worse on negatives' }, true));
    expect(page.statusCode).toBe(200);
    expect(sfn.inputs(SendTaskFailureCommand)).toEqual([
      { taskToken: TASK_TOKEN, error: 'Rejected', cause: 'worse on negatives' },
    ]);
  });

  it('a link works once: a second click, or the other link, is refused', async () => {
    await handler()(post({ t: token('approve'), by: 'Ana', note: '' }));
    for (const again of [
      post({ t: token('approve'), by: 'Ana', note: '' }),
      post({ t: token('reject'), by: 'Bo', note: 'no' }),
    ]) {
      const page = await handler()(again);
      expect(page.statusCode).toBe(409);
      expect(page.body).toContain(`already approved by Ana at ${LATER.toISOString()}`);
    }
    expect((await handler()(get(token('reject')))).statusCode).toBe(409);
    expect(sfn.names()).toEqual(['SendTaskSuccess']);
  });

  it('refuses expired, forged, out-of-date and damaged links without calling Step Functions', async () => {
    const expired = await handler(new Date('2025-03-02T12:00:01Z'))(post({ t: token('approve'), by: 'Ana' }));
    expect(expired.statusCode).toBe(410);
    expect(expired.body).toContain('This link has expired');
    const forged = await handler()(
      post({ t: token('approve', {}, 'another-secret-of-sufficient-length!'), by: 'Ana' }),
    );
    expect(forged.statusCode).toBe(403);
    const stale = await handler()(post({ t: token('approve', { nonce: 'f'.repeat(32) }), by: 'Ana' }));
    expect(stale.statusCode).toBe(410);
    expect(stale.body).toContain('This link is out of date');
    const damaged = await handler()(get('abc'));
    expect(damaged.statusCode).toBe(400);
    const unknown = await handler()(
      post({
        t: token('approve', { executionId: 'arn:aws:states:eu-west-1:123456789012:execution:sm:other' }),
        by: 'A',
      }),
    );
    expect(unknown.statusCode).toBe(404);
    expect(sfn.calls).toEqual([]);
  });

  it('asks for a name before deciding', async () => {
    const page = await handler()(post({ t: token('approve'), by: '  ' }));
    expect(page.statusCode).toBe(400);
    expect(sfn.calls).toEqual([]);
  });

  it('approval-timeout: a task Step Functions no longer waits on is reported, and stays decided', async () => {
    sfn.on(SendTaskSuccessCommand, awsError('TaskTimedOut', 'Task Timed Out'));
    const page = await handler()(post({ t: token('approve'), by: 'Ana' }));
    expect(page.statusCode).toBe(410);
    expect(page.body).toContain('no longer waits for approval');
    expect(await readDecision(fx.store, EXECUTION_ARN, nonce)).toBeDefined();
  });

  it('a throttled decision is not recorded, so the same link can be used again', async () => {
    sfn.on(SendTaskSuccessCommand, awsError('ThrottlingException', 'Rate exceeded'), {});
    const failed = await handler()(post({ t: token('approve'), by: 'Ana' }));
    expect(failed.statusCode).toBe(500);
    expect(failed.body).toContain('ThrottlingException: Rate exceeded');
    expect(await readDecision(fx.store, EXECUTION_ARN, nonce)).toBeUndefined();
    const retried = await handler()(post({ t: token('approve'), by: 'Ana' }));
    expect(retried.statusCode).toBe(200);
    expect(sfn.inputs(SendTaskSuccessCommand)).toHaveLength(2);
  });

  it('answers other methods with 405', async () => {
    const page = await handler()({ requestContext: { http: { method: 'PUT' } } });
    expect(page.statusCode).toBe(405);
    expect(page.headers.allow).toBe('GET, POST');
  });
});

import { PublishCommand } from '@aws-sdk/client-sns';
import type { ModelStore } from '@slipway/model-store';
import { InvalidEventError, readApprovalRequest } from '@slipway/steps';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { awsError, FakeAws } from '../../../../test-helpers/aws-fake-client.js';
import { verifyLinkToken } from '../../src/approval/link-token.js';
import { createAwsApprovalHandler, type SnsApi } from '../../src/approval/notify.js';
import { APPROVAL_TOKEN_FILE, readApprovalToken } from '../../src/approval/settle.js';
import { approvalEvent, EXECUTION_ARN, SECRET, TASK_TOKEN, tempStore } from '../helpers/approval.js';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:slipway-dev-approvals';
const LINKS = 'https://abcdef.lambda-url.eu-west-1.on.aws/';
const NOW = new Date('2025-03-01T12:00:00Z');

let fx: { store: ModelStore; close(): Promise<void> };
let sns: FakeAws;
beforeEach(async () => {
  fx = await tempStore();
  sns = new FakeAws().on(PublishCommand, { MessageId: 'm-1' });
});
afterEach(async () => {
  await fx.close();
});

const handler = () =>
  createAwsApprovalHandler({
    store: fx.store,
    sns: sns.client<SnsApi>(),
    topicArn: TOPIC,
    linksUrl: LINKS,
    secret: SECRET,
    now: () => NOW,
  });

/** The `t` of each link in a message. */
function linkTokens(message: string): { approve: string; reject: string } {
  const find = (label: string) => {
    const url = new RegExp(`^${label}:\\s+(\\S+)$`, 'm').exec(message)?.[1] ?? '';
    expect(url.startsWith(`${LINKS}?t=`)).toBe(true);
    return new URL(url).searchParams.get('t') ?? '';
  };
  return { approve: find('Approve'), reject: find('Reject') };
}

describe('the Approval function on AWS', () => {
  it('keeps the task token in the store and mails signed, expiring approve/reject links', async () => {
    expect(await handler()(approvalEvent())).toEqual({ notified: true });

    const record = await readApprovalToken(fx.store, EXECUTION_ARN);
    expect(record).toMatchObject({
      executionId: EXECUTION_ARN,
      taskToken: TASK_TOKEN,
      createdAt: NOW.toISOString(),
    });
    expect(record?.nonce).toMatch(/^[0-9a-f]{32}$/);
    const request = await readApprovalRequest(fx.store, EXECUTION_ARN);
    expect(request?.approveCommand).toBe('slipway approve --aws pr-17-a1b2c3');
    expect(JSON.stringify(request)).not.toContain(TASK_TOKEN);

    const [input] = sns.inputs(PublishCommand);
    expect(input?.TopicArn).toBe(TOPIC);
    expect(input?.Subject).toBe('Approve sentiment v4 for production? (pr-17-a1b2c3)');
    const message = String(input?.Message);
    expect(message).not.toContain(TASK_TOKEN);
    const expiresAt = NOW.getTime() / 1000 + 86_400;
    const tokens = linkTokens(message);
    expect(verifyLinkToken(tokens.approve, SECRET, NOW.getTime())).toEqual({
      ok: true,
      claims: { executionId: EXECUTION_ARN, decision: 'approve', expiresAt, nonce: record?.nonce },
    });
    expect(verifyLinkToken(tokens.reject, SECRET, NOW.getTime())).toMatchObject({
      ok: true,
      claims: { decision: 'reject' },
    });
    expect(message.split('\n').slice(0, 9)).toEqual([
      'sentiment v4 waits for approval before it replaces production.',
      '',
      'Gate: candidate accuracy 0.842 ≥ 0.600; no regression against production v3: passed',
      'Candidate v4: accuracy 84.2%, macro-F1 84.1%',
      'Production v3: accuracy 83.3%, macro-F1 83.2%',
      '  F1 negative: 83.0%',
      '  F1 positive: 85.2%',
      'Source: pull request #17, commit 0123456789ab',
      '',
    ]);
    expect(message).toContain('they work once and expire at 2025-03-02T12:00:00.000Z.');
    expect(message).toContain('  slipway reject --aws pr-17-a1b2c3 --reason "<why>"');
    expect(message).toContain(
      `Execution: https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${EXECUTION_ARN}`,
    );
  });

  it('a retried invocation with the same token sends the same links; a new token gets a new nonce', async () => {
    await handler()(approvalEvent());
    await handler()(approvalEvent());
    const [first, second] = sns.inputs(PublishCommand).map((i) => linkTokens(String(i.Message)).approve);
    expect(second).toBe(first);
    const before = await readApprovalToken(fx.store, EXECUTION_ARN);
    await handler()(approvalEvent({ taskToken: 'another-token' }));
    const after = await readApprovalToken(fx.store, EXECUTION_ARN);
    expect(after?.taskToken).toBe('another-token');
    expect(after?.nonce).not.toBe(before?.nonce);
  });

  it('refuses a malformed event without storing or sending anything', async () => {
    const error = await handler()(approvalEvent({ version: 'four' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidEventError);
    expect((error as Error).message).not.toContain(TASK_TOKEN);
    expect(sns.calls).toEqual([]);
    expect(await fx.store.executions(EXECUTION_ARN).get(APPROVAL_TOKEN_FILE)).toBeUndefined();
  });

  it('fails the state when SNS refuses the message (the request stays recorded)', async () => {
    sns.on(PublishCommand, awsError('AuthorizationErrorException', 'not authorized to publish'));
    await expect(handler()(approvalEvent())).rejects.toThrow('not authorized to publish');
    expect(await readApprovalRequest(fx.store, EXECUTION_ARN)).toBeDefined();
  });
});

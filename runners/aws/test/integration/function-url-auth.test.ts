// The Function URL double with AWS_IAM auth, fed the Promote and SmokeTest roles' policies as the CDK app
// synthesizes them: signed requests from either role reach the function, and every refusal Lambda
// documents for an IAM-auth URL (unsigned, badly signed, a policy without both actions) is a 403 before
// the function runs. https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html
import { type RegistryClient, signedFetch } from '@slipway/runner-aws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LambdaDouble } from '../../../../test-helpers/aws-lambda-double.js';
import {
  type FunctionUrlCaller,
  type FunctionUrlDouble,
  startFunctionUrl,
} from '../../../../test-helpers/function-url.js';
import { authorize, type PolicyDocument } from '../../../../test-helpers/iam-policy.js';
import { type SynthesizedCallers, synthesizedCallers } from '../../../../test-helpers/synthesized-roles.js';

const keys = (name: string) => ({
  accessKeyId: `ASIA${name.toUpperCase().padEnd(16, 'X')}`,
  secretAccessKey: `secret-of-${name}`,
  sessionToken: `token-of-${name}`,
});

/** The policy without the statements that grant `action` (what a stack without grantInvokeUrl gives). */
const without = (policy: PolicyDocument, action: string): PolicyDocument => ({
  Statement: policy.Statement.filter((s) => s.Action !== action),
});

let roles: SynthesizedCallers;
let url: FunctionUrlDouble;
let callers: Record<string, FunctionUrlCaller>;

beforeAll(async () => {
  roles = synthesizedCallers('dev');
  callers = Object.fromEntries(
    (
      [
        ['promote', roles.promote],
        ['smokeTest', roles.smokeTest],
        ['noInvokeFunction', without(roles.smokeTest, 'lambda:InvokeFunction')],
        ['noInvokeFunctionUrl', without(roles.promote, 'lambda:InvokeFunctionUrl')],
      ] as const
    ).map(([name, policy]) => [name, { name, ...keys(name), policy }]),
  );
  const lambda = new LambdaDouble({
    functionName: roles.functionName,
    baseImageUri: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipway-dev/inference-base@sha256:${'00'.repeat(32)}`,
  });
  // No registry: the live version is the base image, which has no model, so a request that gets past
  // auth reaches the function and fails there (502), as the real base image does.
  const registry = {
    getManifest: async () => {
      throw new Error('no registry in this test');
    },
  } as unknown as RegistryClient;
  url = await startFunctionUrl(lambda, registry, {
    region: roles.region,
    aliasArn: roles.aliasArn,
    callers: Object.values(callers),
  });
}, 120_000);

afterAll(async () => {
  await url?.close();
});

const as = (name: string, region = roles.region) => {
  const caller = callers[name];
  if (!caller) throw new Error(`no caller ${name}`);
  return signedFetch(region, { credentials: caller });
};

describe('a Function URL with AWS_IAM auth', () => {
  it('lets the synthesized Promote and SmokeTest roles through to the function', async () => {
    for (const name of ['promote', 'smokeTest']) {
      const before = url.answered.length;
      const response = await as(name)(`${url.url}health`);
      expect(response.status, name).toBe(502); // the base version has no model: the function ran
      expect(url.answered.length, name).toBe(before + 1);
    }
    const predict = await as('smokeTest')(`${url.url}predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ texts: ['fine'] }),
    });
    expect(predict.status).toBe(502);
  });

  it('refuses an unsigned request with 403 Forbidden before the function runs', async () => {
    const before = url.answered.length;
    const response = await fetch(`${url.url}health`);
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ Message: 'Forbidden' });
    expect(url.answered.length).toBe(before);
    expect(url.refused.at(-1)).toEqual({ caller: null, reason: 'not signed' });
  });

  it('refuses a request whose signature does not hold: tampered body, other region, unknown key', async () => {
    // Signed for one body, sent with another.
    const signed = new Headers();
    await signedFetch(roles.region, {
      credentials: callers.smokeTest as FunctionUrlCaller,
      fetch: async (_input, init) => {
        new Headers(init?.headers).forEach((value, name) => {
          signed.set(name, value);
        });
        return new Response('');
      },
    })(`${url.url}predict`, { method: 'POST', body: '{"texts":["a"]}' });
    const tampered = await fetch(`${url.url}predict`, {
      method: 'POST',
      headers: signed,
      body: '{"texts":["b"]}',
    });
    expect(tampered.status).toBe(403);
    expect(url.refused.at(-1)).toEqual({
      caller: 'smokeTest',
      reason: 'x-amz-content-sha256 is not the hash of the body',
    });

    const otherRegion = await as('smokeTest', 'us-east-1')(`${url.url}health`);
    expect(otherRegion.status).toBe(403);
    expect(url.refused.at(-1)?.reason).toBe(`scope us-east-1/lambda, expected ${roles.region}/lambda`);

    const stranger = await signedFetch(roles.region, { credentials: keys('stranger') })(`${url.url}health`);
    expect(stranger.status).toBe(403);
    expect(url.refused.at(-1)?.reason).toBe(`unknown access key ${keys('stranger').accessKeyId}`);
  });

  it('refuses a role with lambda:InvokeFunctionUrl but not lambda:InvokeFunction via the URL (needed since October 2025)', async () => {
    const response = await as('noInvokeFunction')(`${url.url}health`);
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ Message: 'Forbidden' });
    expect(url.refused.at(-1)).toEqual({
      caller: 'noInvokeFunction',
      reason: `lambda:InvokeFunction on ${roles.aliasArn}: implicit deny`,
    });
  });

  it('refuses a role with lambda:InvokeFunction on every version but no lambda:InvokeFunctionUrl', async () => {
    // Promote may invoke any version directly (its check before the full shift); that is not the URL.
    const response = await as('noInvokeFunctionUrl')(`${url.url}health`);
    expect(response.status).toBe(403);
    expect(url.refused.at(-1)).toEqual({
      caller: 'noInvokeFunctionUrl',
      reason: `lambda:InvokeFunctionUrl on ${roles.aliasArn}: implicit deny`,
    });
  });
});

describe('the IAM evaluator the double uses', () => {
  const alias = 'arn:aws:lambda:eu-west-1:123456789012:function:f:live';
  const viaUrl = { 'lambda:FunctionUrlAuthType': 'AWS_IAM', 'lambda:InvokedViaFunctionUrl': 'true' };
  const ask = (policy: PolicyDocument, context: Record<string, string> = viaUrl) =>
    authorize(policy, { action: 'lambda:InvokeFunction', resource: alias, context });

  it('allows a matching Allow, wildcards in action and resource included', () => {
    expect(
      ask({
        Statement: [{ Effect: 'Allow', Action: 'lambda:Invoke*', Resource: 'arn:aws:lambda:*:function:f:*' }],
      }),
    ).toBe('allowed');
    expect(ask({ Statement: [{ Effect: 'Allow', Action: 'LAMBDA:invokefunction', Resource: alias }] })).toBe(
      'allowed',
    );
  });

  it('denies implicitly: another resource, another action, a condition that does not hold or whose key is absent', () => {
    expect(
      ask({ Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: `${alias}x` }] }),
    ).toBe('implicit deny');
    expect(ask({ Statement: [{ Effect: 'Allow', Action: 'lambda:GetAlias', Resource: alias }] })).toBe(
      'implicit deny',
    );
    const conditional: PolicyDocument = {
      Statement: [
        {
          Effect: 'Allow',
          Action: 'lambda:InvokeFunction',
          Resource: alias,
          Condition: { Bool: { 'lambda:InvokedViaFunctionUrl': true } },
        },
      ],
    };
    expect(ask(conditional)).toBe('allowed');
    expect(ask(conditional, { 'lambda:InvokedViaFunctionUrl': 'false' })).toBe('implicit deny');
    expect(ask(conditional, {})).toBe('implicit deny');
  });

  it('an explicit Deny wins over any Allow', () => {
    expect(
      ask({
        Statement: [
          { Effect: 'Allow', Action: '*', Resource: '*' },
          {
            Effect: 'Deny',
            Action: 'lambda:InvokeFunction',
            Resource: alias,
            Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } },
          },
        ],
      }),
    ).toBe('explicit deny');
  });

  it('refuses to guess about what it does not know', () => {
    expect(() =>
      ask({
        Statement: [
          {
            Effect: 'Allow',
            Action: '*',
            Resource: '*',
            Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } },
          },
        ],
      }),
    ).toThrow(/does not know the condition operator IpAddress/);
  });
});

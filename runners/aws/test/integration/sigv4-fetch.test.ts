// Signed requests over a real socket: a loopback server recomputes each signature from what it received
// (the Host fetch sent, the headers, the body) and refuses with 403 what does not hold, as a Function URL
// with IAM auth does.

import { runSmokeTest } from '@slipway/steps';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inferenceRoute, type SigV4Server, startSigV4Server } from '../../../../test-helpers/sigv4-server.js';
import { signedFetch } from '../../src/sigv4-fetch.js';

const CREDENTIALS = {
  accessKeyId: 'AKIAEXAMPLE1234',
  secretAccessKey: 'c2VjcmV0LWtleS1mb3ItdGhlLXRlc3Rz',
  sessionToken: 'FwoGZXIvYXdzEXAMPLETOKEN',
};

let server: SigV4Server;
beforeAll(async () => {
  server = await startSigV4Server(
    { ...CREDENTIALS, region: 'eu-west-1', service: 'lambda' },
    inferenceRoute('sentiment', 3, 'positive'),
  );
});
afterAll(async () => {
  await server?.close();
});

const last = () => server.requests.at(-1);

describe('signedFetch against a verifying server', () => {
  it('is accepted for GET and for POST with a query and a body', async () => {
    const signed = signedFetch('eu-west-1', { credentials: CREDENTIALS });
    const health = await signed(`${server.url}health`, { headers: { accept: 'application/json' } });
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ model: { name: 'sentiment', version: 3 } });
    expect(last()).toEqual({
      method: 'GET',
      path: '/health',
      signedHeaders: ['accept', 'host', 'x-amz-content-sha256', 'x-amz-date', 'x-amz-security-token'],
      problem: null,
    });

    const predict = await signed(`${server.url}predict?explain=no&a=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ texts: ['ünïcode text', 'two'] }),
    });
    expect(predict.status).toBe(200);
    expect(((await predict.json()) as { predictions: unknown[] }).predictions).toHaveLength(2);
    expect(last()?.problem).toBeNull();
  });

  it.each([
    ['plain fetch', fetch, 'no SigV4 authorization header'],
    [
      'a wrong secret',
      signedFetch('eu-west-1', { credentials: { ...CREDENTIALS, secretAccessKey: 'not-the-secret' } }),
      'signature does not match',
    ],
    [
      'another session token',
      signedFetch('eu-west-1', { credentials: { ...CREDENTIALS, sessionToken: 'other' } }),
      'wrong session token',
    ],
    [
      'another region',
      signedFetch('us-east-1', { credentials: CREDENTIALS }),
      'scope us-east-1/lambda, expected eu-west-1/lambda',
    ],
    [
      'a clock 20 minutes slow',
      signedFetch('eu-west-1', { credentials: CREDENTIALS, now: () => new Date(Date.now() - 1_200_000) }),
      'too far from now',
    ],
  ])('is refused with 403 when signed with %s', async (_, send, problem) => {
    const response = await send(`${server.url}predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"texts":["x"]}',
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ Message: 'Forbidden' });
    expect(last()?.problem).toContain(problem);
  });
});

describe('the smoke test against an endpoint with IAM auth', () => {
  const event = {
    model: 'sentiment',
    version: 3,
    endpoint: '', // set per test from the server's URL
    samples: [
      { text: 'a fine film', label: 'positive' },
      { text: 'loved it', label: 'positive' },
    ],
  };

  it('passes with signed requests, health check and predictions alike', async () => {
    const before = server.requests.length;
    const output = await runSmokeTest(
      { ...event, endpoint: server.url },
      { fetch: signedFetch('eu-west-1', { credentials: CREDENTIALS }), timeoutMs: 2_000, pollMs: 20 },
    );
    expect(output).toEqual({ passed: true, failures: [], servedVersion: 3 });
    expect(server.requests.slice(before).map((r) => [r.method, r.path, r.problem])).toEqual([
      ['GET', '/health', null],
      ['POST', '/predict', null],
    ]);
  });

  it('fails with the 403 when its requests are not signed', async () => {
    const output = await runSmokeTest({ ...event, endpoint: server.url }, { timeoutMs: 100, pollMs: 20 });
    expect(output.passed).toBe(false);
    expect(output.servedVersion).toBeNull();
    expect(output.failures[0]?.actual).toBe('HTTP 403: {"Message":"Forbidden"}');
  });
});

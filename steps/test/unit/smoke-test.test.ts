// The smoke test's requests go through the fetch it is given: with a signing fetch, the health checks
// and the predictions are all signed. The endpoint here is a function answering like the inference
// service; the tests against a real server are under test/integration.

import { type Fetch, signedFetch } from '@slipway/runner-aws';
import { describe, expect, it } from 'vitest';
import { referenceAuthorization } from '../../../test-helpers/sigv4-reference.js';
import { runSmokeTest, type SmokeTestEvent } from '../../src/index.js';

const ENDPOINT = 'https://abcdefghij.lambda-url.eu-west-1.on.aws/';
const CREDENTIALS = {
  accessKeyId: 'AKIAEXAMPLE1234',
  secretAccessKey: 'c2VjcmV0LWtleS1mb3ItdGhlLXRlc3Rz',
  sessionToken: 'FwoGZXIvYXdzEXAMPLETOKEN',
};
const AT = new Date('2024-05-01T12:34:56Z');

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** An endpoint serving sentiment v3 that labels everything "positive"; it records each request. */
function endpoint(): { fetch: Fetch; seen: Seen[] } {
  const seen: Seen[] = [];
  const json = (value: unknown) => new Response(JSON.stringify(value), { status: 200 });
  return {
    seen,
    fetch: async (input, init) => {
      const raw = init?.body;
      const body = raw instanceof Uint8Array ? Buffer.from(raw).toString('utf8') : String(raw ?? '');
      const method = init?.method ?? 'GET';
      seen.push({
        method,
        url: String(input),
        headers: { ...(init?.headers as Record<string, string>) },
        body,
      });
      const model = { name: 'sentiment', version: 3 };
      if (String(input).endsWith('/health')) return json({ model });
      const { texts } = JSON.parse(body) as { texts: string[] };
      return json({ model, predictions: texts.map(() => ({ label: 'positive', probabilities: {} })) });
    },
  };
}

const event = (samples: number): SmokeTestEvent => ({
  model: 'sentiment',
  version: 3,
  endpoint: ENDPOINT,
  samples: Array.from({ length: samples }, (_, i) => ({ text: `sample ${i}`, label: 'positive' })),
});

describe('runSmokeTest with a fetch', () => {
  it('sends every request through it: signed health check and both prediction batches', async () => {
    const { fetch, seen } = endpoint();
    const signed = signedFetch('eu-west-1', { credentials: CREDENTIALS, now: () => AT, fetch });
    // 40 samples: two /predict batches of 32 and 8.
    const output = await runSmokeTest(event(40), { fetch: signed, timeoutMs: 1_000, pollMs: 1 });
    expect(output).toEqual({ passed: true, failures: [], servedVersion: 3 });

    expect(seen.map((r) => `${r.method} ${r.url}`)).toEqual([
      `GET ${ENDPOINT}health`,
      `POST ${ENDPOINT}predict`,
      `POST ${ENDPOINT}predict`,
    ]);
    expect(seen.map((r) => JSON.parse(r.body || 'null')?.texts?.length ?? 0)).toEqual([0, 32, 8]);
    for (const { method, url, headers, body } of seen) {
      const { authorization, ...rest } = headers;
      expect(rest['x-amz-security-token']).toBe('FwoGZXIvYXdzEXAMPLETOKEN');
      expect(authorization).toBe(
        referenceAuthorization(
          {
            method,
            url,
            headers: { ...rest, host: 'abcdefghij.lambda-url.eu-west-1.on.aws' },
            ...(body === '' ? {} : { body }),
          },
          { ...CREDENTIALS, region: 'eu-west-1', service: 'lambda' },
        ),
      );
    }
    expect(seen[0]?.headers.authorization).toContain(
      'SignedHeaders=accept;host;x-amz-content-sha256;x-amz-date;x-amz-security-token,',
    );
    expect(seen[1]?.headers.authorization).toContain(
      'SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token,',
    );
  });

  it('reports a request it could not sign as a failed check that says why', async () => {
    const { fetch, seen } = endpoint();
    const signed = signedFetch('eu-west-1', {
      credentials: async () => {
        throw Object.assign(new Error('Could not load credentials from any providers'), {
          name: 'CredentialsProviderError',
        });
      },
      fetch,
    });
    const output = await runSmokeTest(event(1), { fetch: signed, timeoutMs: 30, pollMs: 10 });
    expect(seen).toEqual([]);
    expect(output.passed).toBe(false);
    expect(output.servedVersion).toBeNull();
    expect(output.failures).toHaveLength(1);
    expect(output.failures[0]?.actual).toBe(
      `request failed (could not sign GET ${ENDPOINT}health for lambda in eu-west-1 (CredentialsProviderError: ` +
        "Could not load credentials from any providers); the caller needs AWS credentials (a Lambda function's " +
        'execution role provides them) allowed to call the endpoint)',
    );
  });
});

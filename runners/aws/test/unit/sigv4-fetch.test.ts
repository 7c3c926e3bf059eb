import { describe, expect, it } from 'vitest';
import { referenceAuthorization, sha256Hex } from '../../../../test-helpers/sigv4-reference.js';
import { RequestSigningError } from '../../src/errors.js';
import { type Fetch, type SigningCredentials, signedFetch } from '../../src/sigv4-fetch.js';

const CREDENTIALS: SigningCredentials = {
  accessKeyId: 'AKIAEXAMPLE1234',
  secretAccessKey: 'c2VjcmV0LWtleS1mb3ItdGhlLXRlc3Rz',
  sessionToken: 'FwoGZXIvYXdzEXAMPLETOKEN',
};
const AT = new Date('2024-05-01T12:34:56.789Z');
const URL_BASE = 'https://abcdefghij.lambda-url.eu-west-1.on.aws';

interface Sent {
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body: string | undefined;
}

/** A fetch that records what it is asked to send and answers 200 `{}`. */
function recorder(): { fetch: Fetch; sent: Sent[] } {
  const sent: Sent[] = [];
  return {
    sent,
    fetch: async (input, init) => {
      const body = init?.body;
      sent.push({
        url: String(input),
        method: init?.method ?? 'GET',
        headers: { ...(init?.headers as Record<string, string>) },
        body: body instanceof Uint8Array ? Buffer.from(body).toString('utf8') : (body as undefined),
      });
      return new Response('{}', { status: 200 });
    },
  };
}

const scope = { ...CREDENTIALS, region: 'eu-west-1', service: 'lambda' };

describe('the SigV4 reference', () => {
  // AWS's published test suite: access key AKIDEXAMPLE, 2015-08-30T12:36:00Z, us-east-1, "service".
  const vanilla = {
    accessKeyId: 'AKIDEXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
    region: 'us-east-1',
    service: 'service',
  };
  const headers = { Host: 'example.amazonaws.com', 'X-Amz-Date': '20150830T123600Z' };

  it('gives the get-vanilla signature AWS publishes', () => {
    expect(
      referenceAuthorization({ method: 'GET', url: 'https://example.amazonaws.com/', headers }, vanilla),
    ).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    );
  });

  it('sorts the query as get-vanilla-query-order-key-case expects', () => {
    expect(
      referenceAuthorization(
        { method: 'GET', url: 'https://example.amazonaws.com/?Param2=value2&Param1=value1', headers },
        vanilla,
      ),
    ).toMatch(/Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500$/);
  });
});

describe('signedFetch', () => {
  it('signs a POST: host, method, path, query, body hash, date and session token, in the Lambda scope', async () => {
    const { fetch, sent } = recorder();
    const signed = signedFetch('eu-west-1', { credentials: CREDENTIALS, now: () => AT, fetch });
    const body = '{"texts":["great film","dull"]}';
    const response = await signed(`${URL_BASE}/predict?b=2&a=1&a=0`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(response.status).toBe(200);

    expect(sent).toHaveLength(1);
    const [request] = sent;
    expect(request?.url).toBe(`${URL_BASE}/predict?b=2&a=1&a=0`);
    expect(request?.method).toBe('POST');
    expect(request?.body).toBe(body);
    const { authorization, ...rest } = request?.headers ?? {};
    // fetch sets Host from the URL; the signer must not send its own.
    expect(rest).toEqual({
      'content-type': 'application/json',
      'x-amz-date': '20240501T123456Z',
      'x-amz-content-sha256': sha256Hex(body),
      'x-amz-security-token': 'FwoGZXIvYXdzEXAMPLETOKEN',
    });
    expect(authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE1234\/20240501\/eu-west-1\/lambda\/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/,
    );
    // The signature itself, recomputed independently over what was sent plus the Host fetch derives.
    expect(authorization).toBe(
      referenceAuthorization(
        {
          method: 'POST',
          url: request?.url ?? '',
          headers: { ...rest, host: 'abcdefghij.lambda-url.eu-west-1.on.aws' },
          body,
        },
        scope,
      ),
    );
  });

  it('signs a GET without a body as the hash of nothing', async () => {
    const { fetch, sent } = recorder();
    await signedFetch('eu-west-1', { credentials: CREDENTIALS, now: () => AT, fetch })(
      new URL(`${URL_BASE}/health`),
      { headers: { accept: 'application/json' } },
    );
    const { authorization, ...rest } = sent[0]?.headers ?? {};
    expect(sent[0]?.body).toBeUndefined();
    expect(rest['x-amz-content-sha256']).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    expect(authorization).toBe(
      referenceAuthorization(
        {
          method: 'GET',
          url: `${URL_BASE}/health`,
          headers: { ...rest, host: 'abcdefghij.lambda-url.eu-west-1.on.aws' },
        },
        scope,
      ),
    );
    expect(authorization).toContain(
      'SignedHeaders=accept;host;x-amz-content-sha256;x-amz-date;x-amz-security-token,',
    );
  });

  it('sends and signs no security token for long-term credentials', async () => {
    const { fetch, sent } = recorder();
    const longTerm = { accessKeyId: CREDENTIALS.accessKeyId, secretAccessKey: CREDENTIALS.secretAccessKey };
    await signedFetch('us-east-2', { credentials: async () => longTerm, now: () => AT, fetch })(
      `${URL_BASE}/health`,
    );
    const headers = sent[0]?.headers ?? {};
    expect(Object.keys(headers).sort()).toEqual(['authorization', 'x-amz-content-sha256', 'x-amz-date']);
    expect(headers.authorization).toContain(
      'Credential=AKIAEXAMPLE1234/20240501/us-east-2/lambda/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date,',
    );
  });

  it('takes a Request as fetch does, and signs for another service when told', async () => {
    const { fetch, sent } = recorder();
    const signed = signedFetch('eu-west-1', {
      service: 'execute-api',
      credentials: CREDENTIALS,
      now: () => AT,
      fetch,
    });
    await signed(new Request('http://127.0.0.1:8080/a%20b/predict', { method: 'PUT', body: 'x' }));
    const { authorization, ...rest } = sent[0]?.headers ?? {};
    expect(sent[0]?.method).toBe('PUT');
    expect(sent[0]?.body).toBe('x');
    // A string body gets fetch's default content type, and it is signed like any header given.
    expect(rest['content-type']).toBe('text/plain;charset=UTF-8');
    expect(authorization).toContain('/20240501/eu-west-1/execute-api/aws4_request,');
    expect(authorization).toBe(
      referenceAuthorization(
        {
          method: 'PUT',
          url: 'http://127.0.0.1:8080/a%20b/predict',
          headers: { ...rest, host: '127.0.0.1:8080' },
          body: 'x',
        },
        { ...scope, service: 'execute-api' },
      ),
    );
  });

  it('fails with RequestSigningError, sending nothing, when there are no credentials', async () => {
    const { fetch, sent } = recorder();
    const signed = signedFetch('eu-west-1', {
      credentials: async () => {
        throw Object.assign(new Error('Could not load credentials from any providers'), {
          name: 'CredentialsProviderError',
        });
      },
      fetch,
    });
    const error = await signed(`${URL_BASE}/health`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestSigningError);
    expect((error as Error).name).toBe('RequestSigningError');
    expect((error as Error).message).toBe(
      `could not sign GET ${URL_BASE}/health for lambda in eu-west-1 (CredentialsProviderError: Could not load ` +
        "credentials from any providers); the caller needs AWS credentials (a Lambda function's execution role " +
        'provides them) allowed to call the endpoint',
    );
    expect(sent).toEqual([]);
  });
});

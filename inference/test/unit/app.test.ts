import { describe, expect, it } from 'vitest';
import { fakeApp, req } from '../helpers/app.js';

const JSON_TYPE = 'application/json; charset=utf-8';

describe('InferenceApp routes', () => {
  it('POST /predict {"text"} answers one prediction with the model name and version', async () => {
    const { app, telemetry } = await fakeApp();
    const response = await app.handle(req('POST', '/predict', '{"text":"a good day"}'));
    expect(response).toEqual({
      status: 200,
      headers: { 'content-type': JSON_TYPE, 'x-request-id': 'req-1' },
      body: '{"model":{"name":"sentiment","version":3},"predictions":[{"label":"pos","probabilities":{"neg":0.25,"pos":0.75}}]}',
    });
    expect(telemetry.requests).toHaveLength(1);
    expect(telemetry.requests[0]).toMatchObject({
      requestId: 'req-1',
      path: '/predict',
      status: 200,
      batchSize: 1,
      numChars: 10,
      model: { name: 'sentiment', version: 3 },
    });
    expect(telemetry.requests[0]).not.toHaveProperty('texts');
  });

  it('POST /predict {"texts"} answers in order; an empty list gets [] without running the model', async () => {
    const { app, classifier } = await fakeApp();
    const batch = await app.handle(req('POST', '/predict', '{"texts":["bad","good","meh"]}'));
    expect(JSON.parse(batch.body).predictions.map((p: { label: string }) => p.label)).toEqual([
      'neg',
      'pos',
      'neg',
    ]);
    const calls = classifier.calls.length;
    const empty = await app.handle(req('POST', '/predict', '{"texts":[]}'));
    expect(empty.status).toBe(200);
    expect(empty.body).toBe('{"model":{"name":"sentiment","version":3},"predictions":[]}');
    expect(classifier.calls.length).toBe(calls);
  });

  it('POST / keeps the original contract: {"response": label, "request": body}', async () => {
    const { app } = await fakeApp();
    const response = await app.handle(req('POST', '/', '{"text":"good stuff","client":"v1"}'));
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({
      response: 'pos',
      request: { text: 'good stuff', client: 'v1' },
    });
  });

  it('GET /health reports the model; HEAD is allowed too', async () => {
    const { app } = await fakeApp();
    const health = await app.handle(req('GET', '/health'));
    expect(health.status).toBe(200);
    expect(health.body).toBe('{"status":"ok","model":{"name":"sentiment","version":3}}');
    expect((await app.handle(req('HEAD', '/health'))).status).toBe(200);
  });

  it('serves the OpenAPI document, the docs page and its local assets', async () => {
    const { app } = await fakeApp();
    const spec = await app.handle(req('GET', '/openapi.json'));
    expect(JSON.parse(spec.body).openapi).toBe('3.1.0');
    const docs = await app.handle(req('GET', '/docs'));
    expect(docs.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(docs.headers['content-security-policy']).toBe(
      "default-src 'self'; connect-src 'self'; img-src 'self' data:",
    );
    const assets = [...docs.body.matchAll(/(?:href|src)="([^"#]+)"/g)].map((m) => m[1]);
    // Relative links only (they work behind an API Gateway stage too), and no favicon request.
    expect(assets).toEqual(['data:,', 'docs/assets/docs.css', 'docs/assets/docs.js', 'openapi.json']);
    expect((await app.handle(req('GET', '/docs/assets/docs.css'))).headers['content-type']).toBe(
      'text/css; charset=utf-8',
    );
    expect((await app.handle(req('GET', '/docs/assets/docs.js'))).status).toBe(200);
  });
});

describe('InferenceApp rejections', () => {
  const cases: [string, ReturnType<typeof req>, number, string, string][] = [
    [
      'unknown route',
      req('GET', '/nope'),
      404,
      'not_found',
      'no route "/nope"; the routes are POST /predict, POST /, GET /health, GET /openapi.json and GET /docs',
    ],
    [
      'wrong method',
      req('GET', '/predict'),
      405,
      'method_not_allowed',
      'GET is not allowed on /predict; use POST',
    ],
    [
      'POST on a GET route',
      req('POST', '/health'),
      405,
      'method_not_allowed',
      'POST is not allowed on /health; use GET',
    ],
    [
      'wrong content type',
      req('POST', '/predict', 'text=hi', 'application/x-www-form-urlencoded'),
      415,
      'unsupported_media_type',
      'content type "application/x-www-form-urlencoded" is not supported; send the body as JSON with "Content-Type: application/json"',
    ],
    [
      'empty body',
      req('POST', '/predict', ''),
      400,
      'invalid_json',
      'the request body is empty; send a JSON object like {"text": "..."}',
    ],
    [
      'invalid JSON',
      req('POST', '/predict', '{"text":'),
      400,
      'invalid_json',
      'the request body is not valid JSON: Unexpected end of JSON input',
    ],
    [
      'not an object',
      req('POST', '/predict', '["good"]'),
      400,
      'invalid_request',
      'the request body must be a JSON object; send {"text": "..."} or {"texts": ["...", ...]}',
    ],
    [
      'missing text',
      req('POST', '/predict', '{}'),
      400,
      'invalid_request',
      'text is missing; send {"text": "..."} or {"texts": ["...", ...]}',
    ],
    [
      'text of the wrong type',
      req('POST', '/predict', '{"text":{"nested":true}}'),
      400,
      'invalid_request',
      'text must be a string; send {"text": "..."} or {"texts": ["...", ...]}',
    ],
    [
      'a batch item of the wrong type',
      req('POST', '/predict', '{"texts":["ok",7]}'),
      400,
      'invalid_request',
      'texts[1] must be a string; send {"text": "..."} or {"texts": ["...", ...]}',
    ],
    [
      'unknown field',
      req('POST', '/predict', '{"text":"hi","lang":"en"}'),
      400,
      'invalid_request',
      'unknown field "lang"; send {"text": "..."} or {"texts": ["...", ...]}',
    ],
    [
      'text too long',
      req('POST', '/predict', JSON.stringify({ text: 'x'.repeat(11) })),
      400,
      'text_too_long',
      'text is longer than 10 characters; shorten or split it',
    ],
    [
      'batch too large',
      req('POST', '/predict', JSON.stringify({ texts: ['a', 'b', 'c', 'd'] })),
      400,
      'batch_too_large',
      'texts has more than 3 items; send at most 3 texts per request',
    ],
    [
      'legacy route without text',
      req('POST', '/', '{"txt":"hi"}'),
      400,
      'invalid_request',
      'text is missing; send {"text": "..."}',
    ],
  ];

  it.each(cases)('%s', async (_name, request, status, code, message) => {
    const { app, telemetry } = await fakeApp({ maxTextChars: 10, maxBatchSize: 3 });
    const response = await app.handle(request);
    expect(response.status).toBe(status);
    expect(JSON.parse(response.body)).toEqual({ error: { code, message } });
    expect(telemetry.requests[0]).toMatchObject({ status, errorCode: code, batchSize: 0 });
  });

  it('405 carries an Allow header', async () => {
    const { app } = await fakeApp();
    expect((await app.handle(req('DELETE', '/'))).headers.allow).toBe('POST');
    expect((await app.handle(req('PUT', '/docs'))).headers.allow).toBe('GET, HEAD');
  });

  it('accepts JSON with a charset, +json types and a missing Content-Type (old clients send none)', async () => {
    const { app } = await fakeApp();
    for (const type of [
      'application/json; charset=utf-8',
      'application/vnd.api+json',
      'APPLICATION/JSON;x=1',
      undefined,
    ]) {
      expect((await app.handle(req('POST', '/predict', '{"text":"good"}', type))).status).toBe(200);
    }
  });

  it('payloadTooLarge builds the 413 adapters send', async () => {
    const { app } = await fakeApp({ maxBodyBytes: 100 });
    const response = app.payloadTooLarge(
      { method: 'POST', path: '/predict', contentType: 'application/json', requestId: 'r' },
      101,
    );
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body)).toEqual({
      error: {
        code: 'payload_too_large',
        message:
          'the request body is larger than 100 bytes (101 bytes); send fewer or shorter texts per request',
      },
    });
  });

  it('turns an unexpected model failure into a 500 without leaking details, and keeps serving', async () => {
    const { app, classifier } = await fakeApp();
    classifier.closed = true;
    const failed = await app.handle(req('POST', '/predict', '{"text":"good"}'));
    expect(failed.status).toBe(500);
    expect(JSON.parse(failed.body)).toEqual({
      error: {
        code: 'internal_error',
        message:
          'the service failed to answer this request (request id req-1); it is logged, please report it',
      },
    });
    classifier.closed = false;
    expect((await app.handle(req('POST', '/predict', '{"text":"good"}'))).status).toBe(200);
  });

  it('answers 503 once the holder is closed (shutting down)', async () => {
    const { app, holder } = await fakeApp();
    await holder.close();
    const response = await app.handle(req('POST', '/predict', '{"text":"good"}'));
    expect(response.status).toBe(503);
    expect(JSON.parse(response.body).error.code).toBe('model_unavailable');
  });
});

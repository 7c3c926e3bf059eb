import { describe, expect, it } from 'vitest';
import { createLambdaHandler } from '../../src/aws-lambda.js';
import { fakeApp } from '../helpers/app.js';
import { functionUrlEvent, httpApiEvent, lambdaContext, restApiEvent } from '../helpers/events.js';

const PREDICTION =
  '{"model":{"name":"sentiment","version":3},"predictions":[{"label":"pos","probabilities":{"neg":0.25,"pos":0.75}}]}';

async function handler(limits = {}) {
  const { app, telemetry } = await fakeApp(limits);
  return { handle: createLambdaHandler(app, telemetry), telemetry };
}

describe('Lambda adapter', () => {
  const predict = {
    method: 'POST',
    path: '/predict',
    body: '{"text":"good"}',
    contentType: 'application/json',
  };

  it.each([
    ['HTTP API (payload 2.0)', httpApiEvent(predict)],
    ['HTTP API on a named stage', httpApiEvent(predict, 'prod')],
    ['Function URL', functionUrlEvent(predict)],
    ['REST API (payload 1.0)', restApiEvent(predict)],
    ['a base64-encoded body', httpApiEvent({ ...predict, base64: true })],
    ['a base64-encoded REST body', restApiEvent({ ...predict, base64: true })],
  ])('routes POST /predict from %s', async (_name, event) => {
    const { handle } = await handler();
    const result = await handle(event, lambdaContext);
    expect(result).toEqual({
      statusCode: 200,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'x-request-id': event.requestContext.requestId,
      },
      body: PREDICTION,
      isBase64Encoded: false,
    });
  });

  it('routes the legacy POST / and GET routes from each event shape', async () => {
    const { handle } = await handler();
    const legacy = await handle(
      restApiEvent({
        method: 'POST',
        path: '/',
        body: '{"text":"not good"}',
        contentType: 'application/json',
      }),
    );
    expect(JSON.parse(legacy.body)).toEqual({ response: 'pos', request: { text: 'not good' } });
    expect((await handle(httpApiEvent({ method: 'GET', path: '/health' }))).body).toBe(
      '{"status":"ok","model":{"name":"sentiment","version":3}}',
    );
    expect((await handle(httpApiEvent({ method: 'GET', path: '/' }, 'prod'))).statusCode).toBe(405);
    const docs = await handle(functionUrlEvent({ method: 'GET', path: '/docs' }));
    expect(docs.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(
      JSON.parse((await handle(restApiEvent({ method: 'GET', path: '/openapi.json' }))).body).openapi,
    ).toBe('3.1.0');
  });

  it('reads Content-Type in any case (REST API keeps the client casing)', async () => {
    const { handle } = await handler();
    const result = await handle(restApiEvent({ ...predict, contentType: 'text/plain' }));
    expect(result.statusCode).toBe(415);
  });

  it('rejects a body over the byte limit with 413, base64 or not', async () => {
    const { handle } = await handler({ maxBodyBytes: 20 });
    const body = JSON.stringify({ text: 'good good good good' });
    for (const event of [
      httpApiEvent({ ...predict, body }),
      restApiEvent({ ...predict, body, base64: true }),
    ]) {
      const result = await handle(event);
      expect(result.statusCode).toBe(413);
      expect(JSON.parse(result.body).error.code).toBe('payload_too_large');
    }
  });

  it('answers a non-HTTP event with a 400 JSON error instead of throwing', async () => {
    const { handle } = await handler();
    for (const event of [{ text: 'good' }, null, 'x', { version: '2.0' }, { httpMethod: 1 }]) {
      const result = await handle(event, lambdaContext);
      expect(result.statusCode).toBe(400);
      expect(JSON.parse(result.body)).toEqual({
        error: {
          code: 'invalid_request',
          message: 'this function answers HTTP events only (API Gateway REST or HTTP API, or a Function URL)',
        },
      });
    }
  });

  it('uses the Lambda request id when the event has none', async () => {
    const { handle, telemetry } = await handler();
    const event = httpApiEvent(predict) as { requestContext: { requestId?: string } };
    delete event.requestContext.requestId;
    const result = await handle(event, lambdaContext);
    expect(result.headers['x-request-id']).toBe(lambdaContext.awsRequestId);
    expect(telemetry.requests[0]?.requestId).toBe(lambdaContext.awsRequestId);
  });
});

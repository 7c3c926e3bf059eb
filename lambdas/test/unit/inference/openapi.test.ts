import { describe, expect, it } from 'vitest';
import { fakeApp, req } from '../../helpers/inference/app.js';

type Json = Record<string, unknown>;

function refsIn(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) refsIn(v, out);
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refsIn(v, out);
    }
  }
  return out;
}

describe('OpenAPI document', () => {
  it('is OpenAPI 3.1 with JSON Schema 2020-12 components whose every $ref resolves', async () => {
    const { app } = await fakeApp();
    const doc = app.openApi as Json;
    expect(doc.openapi).toBe('3.1.0');
    const schemas = (doc.components as { schemas: Json }).schemas;
    expect(Object.keys(schemas).sort()).toEqual([
      'Error',
      'Health',
      'LegacyRequest',
      'LegacyResponse',
      'PredictRequest',
      'PredictResponse',
    ]);
    for (const ref of refsIn(doc)) {
      expect(ref).toMatch(/^#\/components\/schemas\/\w+$/);
      expect(schemas).toHaveProperty(ref.split('/').pop() as string);
    }
    for (const schema of Object.values(schemas)) expect(schema).not.toHaveProperty('$schema');
  });

  it('carries the configured limits, from the same schemas that validate requests', async () => {
    const { app } = await fakeApp({ maxTextChars: 123, maxBatchSize: 7 });
    const request = (app.openApi.components as { schemas: { PredictRequest: Json } }).schemas.PredictRequest;
    expect(request).toMatchObject({
      anyOf: [
        {
          type: 'object',
          properties: { text: { type: 'string', maxLength: 123 } },
          required: ['text'],
          additionalProperties: false,
        },
        {
          type: 'object',
          properties: { texts: { type: 'array', maxItems: 7, items: { type: 'string', maxLength: 123 } } },
          required: ['texts'],
          additionalProperties: false,
        },
      ],
    });
    const error = (app.openApi.components as { schemas: { Error: Json } }).schemas.Error;
    expect(JSON.stringify(error)).toContain('"batch_too_large"');
  });

  it('documents exactly the routes the app answers', async () => {
    const { app } = await fakeApp();
    const paths = app.openApi.paths as Record<string, Json>;
    const documented = Object.entries(paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual([
      'GET /docs',
      'GET /health',
      'GET /openapi.json',
      'POST /',
      'POST /predict',
    ]);
    for (const line of documented) {
      const [method, path] = line.split(' ') as [string, string];
      const response = await app.handle(req(method, path, '{"text":"good"}'));
      expect(response.status, line).toBe(200);
    }
  });

  it('renders every operation and schema on the docs page, with a working curl line', async () => {
    const { app } = await fakeApp();
    const html = (await app.handle(req('GET', '/docs'))).body;
    for (const id of [
      'op-predict',
      'op-legacyPredict',
      'op-health',
      'op-openapi',
      'op-docs',
      'schema-PredictRequest',
    ]) {
      expect(html).toContain(`id="${id}"`);
    }
    expect(html).toContain(
      "curl -s -X POST http://127.0.0.1:8080/predict -H 'content-type: application/json' -d '{&#34;text&#34;:&#34;The battery lasts for days, I love it.&#34;}'",
    );
    expect(html).toContain(
      "curl -s -X POST http://127.0.0.1:8080/ -H 'content-type: application/json' -d '{&#34;text&#34;:&#34;Not worth the money.&#34;}'",
    );
    expect(html).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/);
  });
});

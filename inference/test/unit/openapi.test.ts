import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { curlCommand, loadModel } from '../../src/index.js';
import { fakeApp, req } from '../helpers/app.js';
import { fakeOpener } from '../helpers/fake-classifier.js';

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
      'curl -s -X POST http://127.0.0.1:8080/predict -H &#39;content-type: application/json&#39; -d &#39;{&#34;text&#34;:&#34;a good phone&#34;}&#39;',
    );
    expect(html).toContain(
      'curl -s -X POST http://127.0.0.1:8080/ -H &#39;content-type: application/json&#39; -d &#39;{&#34;text&#34;:&#34;a good phone&#34;}&#39;',
    );
    expect(html).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/);
  });
});

describe('examples from the served model', () => {
  it("the OpenAPI examples, the docs' curl lines and its Try-it box use the model's self-test texts", async () => {
    const { app } = await fakeApp();
    const schemas = (app.openApi.components as { schemas: Record<string, Json> }).schemas;
    const [one, batch] = (schemas.PredictRequest as { anyOf: Json[] }).anyOf;
    expect(one?.examples).toEqual([{ text: 'a good phone' }]);
    expect(batch?.examples).toEqual([{ texts: ['a good phone', 'it broke'] }]);
    expect(schemas.LegacyRequest?.examples).toEqual([{ text: 'a good phone' }]);
    expect(app.exampleText).toBe('a good phone');

    const docs = (await app.handle(req('GET', '/docs'))).body;
    expect(docs).toContain('<textarea id="try-text" rows="3">a good phone</textarea>');
    expect(docs).toContain('-d &#39;{&#34;text&#34;:&#34;a good phone&#34;}&#39;</pre>');
    expect(docs).toContain('<code>{&#34;texts&#34;:[&#34;a good phone&#34;,&#34;it broke&#34;]}</code>');
    expect(docs).not.toMatch(/battery|loved this phone/i);
    const served = JSON.parse((await app.handle(req('GET', '/openapi.json'))).body);
    expect(served.components.schemas.LegacyRequest.examples).toEqual([{ text: 'a good phone' }]);
  });

  it('follow the model when it is swapped', async () => {
    const { app, holder } = await fakeApp();
    const next = await loadModel('/m/4', {
      open: fakeOpener({ '/m/4': { selfTest: [{ text: 'good billing question', label: 'pos' }] } }),
    });
    await holder.swap(next);
    expect(app.exampleText).toBe('good billing question');
    expect((await app.handle(req('GET', '/docs'))).body).toContain('>good billing question</textarea>');
  });

  it('curl lines survive a quote in the text, through a real shell', () => {
    const body = { text: `it's "fine" — isn't it?` };
    const line = curlCommand('http://127.0.0.1:8080/predict', body);
    // The same words with printf in place of curl: the shell hands -d's argument over unchanged.
    const printed = execFileSync('sh', ['-c', `${line.replace(/^curl /, 'printf "%s\\n" ')}`]).toString();
    expect(printed.split('\n')).toContain(JSON.stringify(body));
  });
});

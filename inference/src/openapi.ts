import * as z from 'zod';
import type { InferenceLimits } from './limits.js';
import type { ApiSchemas } from './schemas.js';

type Json = Record<string, unknown>;

/** Texts the examples show: the served model's own self-test texts, so they fit what it classifies. */
export interface ExampleTexts {
  /** Shown for one text (`{"text"}`) and in the docs page's "Try it" box. */
  readonly single: string;
  /** Shown for a batch (`{"texts"}`). */
  readonly batch: readonly string[];
}

/**
 * The examples of a model: its first self-test text for one, up to three for a batch; undefined when
 * the manifest has none (the schemas' generic examples stay).
 * @example examplesFrom(model.manifest.selfTest)
 */
export function examplesFrom(
  selfTest: readonly { readonly text: string }[] | undefined,
): ExampleTexts | undefined {
  const texts = (selfTest ?? [])
    .map((entry) => entry.text)
    .filter((text) => text.trim() !== '' && text.length <= 300);
  const [first] = texts;
  if (first === undefined) return undefined;
  return { single: first, batch: texts.slice(0, 3) };
}

/** Used where a model has no self-test texts to show. */
export const GENERIC_EXAMPLE = 'The battery lasts for days, I love it.';

/**
 * A curl command that POSTs `body` as JSON, quoted for a POSIX shell (a `'` in a text included).
 * @example curlCommand('http://127.0.0.1:8080/predict', { text: "it's fine" })
 */
export function curlCommand(url: string, body: unknown): string {
  const json = JSON.stringify(body).replace(/'/g, `'\\''`);
  return `curl -s -X POST ${url} -H 'content-type: application/json' -d '${json}'`;
}

/**
 * Generates the OpenAPI 3.1 document from the same zod schemas that validate requests.
 * OpenAPI 3.1 uses JSON Schema 2020-12, which is what zod emits. With `examples`, the request
 * examples are the model's own texts instead of generic ones.
 */
export function buildOpenApi(schemas: ApiSchemas, limits: InferenceLimits, examples?: ExampleTexts): Json {
  const component = (schema: z.ZodType): Json => {
    const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' });
    return rest;
  };
  const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
  const json = (name: string) => ({ 'application/json': { schema: ref(name) } });
  const error = (description: string) => ({ description, content: json('Error') });
  const common = {
    '404': error('No such route.'),
    '405': error('Wrong method for this route; the `Allow` header lists the right one.'),
  };
  const bodyErrors = {
    '400': error(
      'Invalid JSON (`invalid_json`), wrong shape (`invalid_request`), a text too long (`text_too_long`) or too many texts (`batch_too_large`).',
    ),
    '413': error(`Body larger than ${limits.maxBodyBytes} bytes (\`payload_too_large\`).`),
    '415': error('Content-Type is not JSON (`unsupported_media_type`).'),
  };

  const predictRequest = component(schemas.predictRequest);
  const legacyRequest = component(schemas.legacyRequest);
  if (examples) {
    const [one, batch] = Array.isArray(predictRequest.anyOf) ? (predictRequest.anyOf as Json[]) : [];
    if (one) one.examples = [{ text: examples.single }];
    if (batch) batch.examples = [{ texts: [...examples.batch] }];
    legacyRequest.examples = [{ text: examples.single }];
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'slipway inference',
      version: '1.0.0',
      summary: 'Classifies texts with the model this service was started with.',
      description:
        `Limits: bodies up to ${limits.maxBodyBytes} bytes, texts up to ${limits.maxTextChars} characters, ` +
        `up to ${limits.maxBatchSize} texts per request. Every rejection is a 4xx with ` +
        '`{"error": {"code", "message"}}`. A request without a Content-Type is read as JSON.',
    },
    paths: {
      '/predict': {
        post: {
          operationId: 'predict',
          summary: 'Classify one text or a batch',
          description:
            'Send `{"text": "..."}` for one text or `{"texts": [...]}` for a batch; predictions come back in order with every class probability.',
          requestBody: { required: true, content: json('PredictRequest') },
          responses: {
            '200': { description: 'One prediction per text.', content: json('PredictResponse') },
            ...bodyErrors,
            ...common,
          },
        },
      },
      '/': {
        post: {
          operationId: 'legacyPredict',
          summary: 'Classify one text (original service contract)',
          description:
            'Kept for clients of the service this one replaces: `{"text": "..."}` in, `{"response": label, "request": body}` out. New clients should use `POST /predict`.',
          requestBody: { required: true, content: json('LegacyRequest') },
          responses: {
            '200': { description: 'The label and the echoed request.', content: json('LegacyResponse') },
            ...bodyErrors,
            ...common,
          },
        },
      },
      '/health': {
        get: {
          operationId: 'health',
          summary: 'Liveness and the model being served',
          responses: { '200': { description: 'Serving.', content: json('Health') }, ...common },
        },
      },
      '/openapi.json': {
        get: {
          operationId: 'openapi',
          summary: 'This document',
          responses: {
            '200': { description: 'OpenAPI 3.1 document.', content: { 'application/json': {} } },
            ...common,
          },
        },
      },
      '/docs': {
        get: {
          operationId: 'docs',
          summary: 'This document as a web page',
          responses: { '200': { description: 'HTML page.', content: { 'text/html': {} } }, ...common },
        },
      },
    },
    components: {
      schemas: {
        PredictRequest: predictRequest,
        PredictResponse: component(schemas.predictResponse),
        LegacyRequest: legacyRequest,
        LegacyResponse: component(schemas.legacyResponse),
        Health: component(schemas.health),
        Error: component(schemas.error),
      },
    },
  };
}

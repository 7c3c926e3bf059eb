import { performance } from 'node:perf_hooks';
import { httpStatusForError, wellFormedStrings } from '@slipway/contracts';
import type { z } from 'zod';
import { renderDocs } from './docs.js';
import type { ModelHolder } from './holder.js';
import type { InferenceLimits } from './limits.js';
import type { ModelInfo, ServedModel } from './model.js';
import { buildOpenApi, examplesFrom, GENERIC_EXAMPLE } from './openapi.js';
import { type ApiSchemas, buildSchemas, type ErrorCode } from './schemas.js';
import type { Telemetry } from './telemetry.js';

/** A request as both adapters hand it to the service: transport details already stripped. */
export interface AppRequest {
  /** Upper-case HTTP method. */
  readonly method: string;
  /** Path without query string or API Gateway stage. */
  readonly path: string;
  readonly contentType: string | undefined;
  /** The body decoded as UTF-8 (empty when there is none). Adapters enforce `maxBodyBytes` first. */
  readonly body: string;
  readonly requestId: string;
}

/** A response ready to be written by an adapter. */
export interface AppResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface InferenceAppOptions {
  readonly holder: ModelHolder;
  readonly limits: InferenceLimits;
  readonly telemetry: Telemetry;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const GET_ONLY = 'GET, HEAD';
const POST_ONLY = 'POST';

const STATIC_PATHS = ['/openapi.json', '/docs', '/docs/assets/docs.css', '/docs/assets/docs.js'];

type Handler = (request: AppRequest, started: number) => Promise<AppResponse> | AppResponse;

/** A rejection: becomes a 4xx `{"error": {"code", "message"}}` response. */
class Rejection {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    readonly message: string,
    readonly headers?: Readonly<Record<string, string>>,
  ) {}
}

/**
 * The HTTP-shaped core of the inference service, shared by the Lambda adapter and the local server:
 * routing, content negotiation, validation, prediction, the OpenAPI document and the docs page.
 * @example const response = await app.handle({ method: 'POST', path: '/predict', contentType: 'application/json', body: '{"text":"hi"}', requestId: '1' });
 */
export class InferenceApp {
  readonly limits: InferenceLimits;
  readonly schemas: ApiSchemas;
  readonly #holder: ModelHolder;
  readonly #telemetry: Telemetry;
  readonly #routes: ReadonlyMap<string, { readonly allow: string; readonly handler: Handler }>;
  /** The OpenAPI document and docs files of each served model: the examples are its own texts. */
  readonly #static = new WeakMap<
    ServedModel,
    {
      readonly openApi: Readonly<Record<string, unknown>>;
      readonly files: ReadonlyMap<string, { readonly contentType: string; readonly body: string }>;
    }
  >();
  readonly #modelJson = new WeakMap<
    ServedModel,
    { readonly predictPrefix: string; readonly health: string }
  >();

  constructor(options: InferenceAppOptions) {
    this.limits = options.limits;
    this.#holder = options.holder;
    this.#telemetry = options.telemetry;
    this.schemas = buildSchemas(options.limits);
    const routes = new Map<string, { allow: string; handler: Handler }>([
      ['/predict', { allow: POST_ONLY, handler: (r, t) => this.#predict(r, t) }],
      ['/', { allow: POST_ONLY, handler: (r, t) => this.#legacy(r, t) }],
      ['/health', { allow: GET_ONLY, handler: (r, t) => this.#health(r, t) }],
    ]);
    for (const path of STATIC_PATHS) {
      routes.set(path, { allow: GET_ONLY, handler: (r, t) => this.#staticFile(r, t) });
    }
    this.#routes = routes;
  }

  /**
   * The OpenAPI 3.1 document of the model served now, generated from `schemas` on first use (it is not
   * needed to start); its examples are the model's self-test texts.
   */
  get openApi(): Readonly<Record<string, unknown>> {
    return this.#staticOf(this.#holder.current).openApi;
  }

  /** A text to show people trying the model served now: its first self-test text. */
  get exampleText(): string {
    return examplesFrom(this.#holder.current.manifest.selfTest)?.single ?? GENERIC_EXAMPLE;
  }

  /** The model new requests are served by. */
  get model(): ModelInfo {
    return this.#holder.current.info;
  }

  /** Answers one request. Never throws: unexpected failures become a logged 500. */
  async handle(request: AppRequest): Promise<AppResponse> {
    const started = performance.now();
    const route = this.#routes.get(request.path);
    if (route === undefined) {
      return this.#reject(request, started, new Rejection(404, 'not_found', notFoundMessage(request.path)));
    }
    const allowed =
      route.allow === POST_ONLY
        ? request.method === 'POST'
        : request.method === 'GET' || request.method === 'HEAD';
    if (!allowed) {
      return this.#reject(
        request,
        started,
        new Rejection(
          405,
          'method_not_allowed',
          `${request.method} is not allowed on ${request.path}; use ${route.allow.replace(', HEAD', '')}`,
          { allow: route.allow },
        ),
      );
    }
    try {
      return await route.handler(request, started);
    } catch (error) {
      if (error instanceof Rejection) return this.#reject(request, started, error);
      return this.#fail(request, started, error);
    }
  }

  /** Builds the 413 an adapter sends when a body exceeds `maxBodyBytes`, and records it. */
  payloadTooLarge(request: Omit<AppRequest, 'body'>, bytes?: number): AppResponse {
    const size = bytes === undefined ? '' : ` (${bytes} bytes)`;
    return this.#reject(
      { ...request, body: '' },
      performance.now(),
      new Rejection(
        413,
        'payload_too_large',
        `the request body is larger than ${this.limits.maxBodyBytes} bytes${size}; send fewer or shorter texts per request`,
      ),
    );
  }

  async #predict(request: AppRequest, started: number): Promise<AppResponse> {
    const body = this.#parseJson(request);
    const texts = this.#predictTexts(body);
    const lease = this.#lease();
    try {
      const predictions = await lease.model.predict(texts);
      const response: AppResponse = {
        status: 200,
        headers: { 'content-type': JSON_TYPE, 'x-request-id': request.requestId },
        body: `${this.#jsonFor(lease.model).predictPrefix}${JSON.stringify(predictions)}}`,
      };
      this.#record(request, started, 200, texts, lease.model.info);
      return response;
    } finally {
      this.#holder.release(lease);
    }
  }

  async #legacy(request: AppRequest, started: number): Promise<AppResponse> {
    const body = this.#parseJson(request);
    const parsed = this.schemas.legacyRequest.safeParse(body);
    if (!parsed.success) throw rejectionFor(parsed.error.issues, body, true);
    const texts = [parsed.data.text];
    const lease = this.#lease();
    try {
      const [prediction] = await lease.model.predict(texts);
      this.#record(request, started, 200, texts, lease.model.info);
      return {
        status: 200,
        headers: { 'content-type': JSON_TYPE, 'x-request-id': request.requestId },
        body: JSON.stringify({ response: prediction?.label, request: body }),
      };
    } finally {
      this.#holder.release(lease);
    }
  }

  #health(request: AppRequest, started: number): AppResponse {
    const model = this.#holder.current;
    this.#record(request, started, 200, undefined, model.info);
    return {
      status: 200,
      headers: { 'content-type': JSON_TYPE, 'x-request-id': request.requestId },
      body: this.#jsonFor(model).health,
    };
  }

  #staticFile(request: AppRequest, started: number): AppResponse {
    const file = this.#staticOf(this.#holder.current).files.get(request.path);
    if (file === undefined) throw new Rejection(404, 'not_found', notFoundMessage(request.path));
    this.#record(request, started, 200, undefined, undefined);
    return {
      status: 200,
      headers: {
        'content-type': file.contentType,
        'x-request-id': request.requestId,
        'cache-control': 'no-cache',
        // The docs page loads only its own assets; nothing from a CDN.
        'content-security-policy': "default-src 'self'; connect-src 'self'; img-src 'self' data:",
      },
      body: file.body,
    };
  }

  #staticOf(model: ServedModel) {
    let found = this.#static.get(model);
    if (found === undefined) {
      const openApi = buildOpenApi(this.schemas, this.limits, examplesFrom(model.manifest.selfTest));
      const docs = renderDocs(openApi);
      found = {
        openApi,
        files: new Map([
          ['/openapi.json', { contentType: JSON_TYPE, body: JSON.stringify(openApi) }],
          ['/docs', { contentType: 'text/html; charset=utf-8', body: docs.html }],
          ['/docs/assets/docs.css', { contentType: 'text/css; charset=utf-8', body: docs.css }],
          ['/docs/assets/docs.js', { contentType: 'text/javascript; charset=utf-8', body: docs.js }],
        ]),
      };
      this.#static.set(model, found);
    }
    return found;
  }

  #parseJson(request: AppRequest): unknown {
    const type = request.contentType;
    if (type !== undefined && type !== 'application/json' && !isJsonType(type)) {
      throw new Rejection(
        415,
        'unsupported_media_type',
        `content type ${JSON.stringify(type.slice(0, 100))} is not supported; send the body as JSON with "Content-Type: application/json"`,
      );
    }
    if (request.body.length === 0) {
      throw new Rejection(
        400,
        'invalid_json',
        'the request body is empty; send a JSON object like {"text": "..."}',
      );
    }
    try {
      return JSON.parse(request.body, wellFormedStrings);
    } catch (error) {
      const detail = error instanceof SyntaxError ? `: ${error.message.slice(0, 200)}` : '';
      throw new Rejection(400, 'invalid_json', `the request body is not valid JSON${detail}`);
    }
  }

  #predictTexts(body: unknown): readonly string[] {
    const batch = typeof body === 'object' && body !== null && Object.hasOwn(body, 'texts');
    if (batch) {
      const parsed = this.schemas.predictBatch.safeParse(body);
      if (!parsed.success) throw rejectionFor(parsed.error.issues, body, false);
      return parsed.data.texts;
    }
    const parsed = this.schemas.predictSingle.safeParse(body);
    if (!parsed.success) throw rejectionFor(parsed.error.issues, body, false);
    return [parsed.data.text];
  }

  #lease() {
    if (this.#holder.isClosed) {
      throw new Rejection(
        503,
        'model_unavailable',
        'the service is shutting down; retry on another instance',
      );
    }
    return this.#holder.acquire();
  }

  #jsonFor(model: ServedModel): { readonly predictPrefix: string; readonly health: string } {
    let json = this.#modelJson.get(model);
    if (json === undefined) {
      const info = JSON.stringify({ name: model.info.name, version: model.info.version });
      json = { predictPrefix: `{"model":${info},"predictions":`, health: `{"status":"ok","model":${info}}` };
      this.#modelJson.set(model, json);
    }
    return json;
  }

  #record(
    request: AppRequest,
    started: number,
    status: number,
    texts: readonly string[] | undefined,
    model: ModelInfo | undefined,
    errorCode?: string,
  ): void {
    let numChars = 0;
    if (texts !== undefined) for (const text of texts) numChars += text.length;
    this.#telemetry.request({
      requestId: request.requestId,
      method: request.method,
      path: request.path,
      status,
      latencyMs: performance.now() - started,
      batchSize: texts?.length ?? 0,
      numChars,
      model,
      ...(errorCode === undefined ? {} : { errorCode }),
      ...(this.#telemetry.logText && texts !== undefined ? { texts } : {}),
    });
  }

  #reject(request: AppRequest, started: number, rejection: Rejection): AppResponse {
    this.#record(request, started, rejection.status, undefined, undefined, rejection.code);
    return {
      status: rejection.status,
      headers: { 'content-type': JSON_TYPE, 'x-request-id': request.requestId, ...rejection.headers },
      body: errorBody(rejection.code, rejection.message),
    };
  }

  #fail(request: AppRequest, started: number, error: unknown): AppResponse {
    // Input problems are Rejections before this point. Of slipway's own errors, one that says the model
    // cannot be used now answers 503 as contracts' table says; anything else is a bug: 500.
    const unavailable = httpStatusForError(error) === 503;
    const status = unavailable ? 503 : 500;
    const code: ErrorCode = unavailable ? 'model_unavailable' : 'internal_error';
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    this.#record(request, started, status, undefined, undefined, `${code} (${message.slice(0, 300)})`);
    return {
      status,
      headers: { 'content-type': JSON_TYPE, 'x-request-id': request.requestId },
      body: errorBody(
        code,
        unavailable
          ? `the model cannot answer right now (request id ${request.requestId}); retry, or on another instance`
          : `the service failed to answer this request (request id ${request.requestId}); it is logged, please report it`,
      ),
    };
  }
}

/** The JSON error body every rejection carries. */
export function errorBody(code: ErrorCode, message: string): string {
  return JSON.stringify({ error: { code, message } });
}

function isJsonType(contentType: string): boolean {
  const semi = contentType.indexOf(';');
  const type = (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

function notFoundMessage(path: string): string {
  return `no route ${JSON.stringify(path.slice(0, 200))}; the routes are POST /predict, POST /, GET /health, GET /openapi.json and GET /docs`;
}

const SHAPE_HINT = 'send {"text": "..."} or {"texts": ["...", ...]}';
const LEGACY_HINT = 'send {"text": "..."}';

function rejectionFor(issues: readonly z.core.$ZodIssue[], body: unknown, legacy: boolean): Rejection {
  const hint = legacy ? LEGACY_HINT : SHAPE_HINT;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return new Rejection(400, 'invalid_request', `the request body must be a JSON object; ${hint}`);
  }
  const issue = issues[0];
  if (issue === undefined) return new Rejection(400, 'invalid_request', `the request is invalid; ${hint}`);
  const where = pathOf(issue.path);
  switch (issue.code) {
    case 'too_big':
      return issue.origin === 'array'
        ? new Rejection(
            400,
            'batch_too_large',
            `texts has more than ${String(issue.maximum)} items; send at most ${String(issue.maximum)} texts per request`,
          )
        : new Rejection(
            400,
            'text_too_long',
            `${where} is longer than ${String(issue.maximum)} characters; shorten or split it`,
          );
    case 'unrecognized_keys':
      return new Rejection(
        400,
        'invalid_request',
        `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys
          .slice(0, 5)
          .map((k) => JSON.stringify(k.slice(0, 50)))
          .join(', ')}; ${hint}`,
      );
    case 'invalid_type': {
      const missing = issue.path.length === 1 && !Object.hasOwn(body, issue.path[0] as PropertyKey);
      return new Rejection(
        400,
        'invalid_request',
        missing ? `${where} is missing; ${hint}` : `${where} must be ${article(issue.expected)}; ${hint}`,
      );
    }
    default:
      return new Rejection(400, 'invalid_request', `${where}: ${issue.message}; ${hint}`);
  }
}

function pathOf(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    out += typeof part === 'number' ? `[${part}]` : `${out === '' ? '' : '.'}${String(part)}`;
  }
  return out === '' ? 'the request body' : out;
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

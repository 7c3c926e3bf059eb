import * as z from 'zod';
import { type AppRequest, type AppResponse, errorBody, type InferenceApp } from './app.js';
import type { Telemetry } from './telemetry.js';

/** The response API Gateway (payload 1.0 and 2.0) and Function URLs expect. */
export interface LambdaHttpResult {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly isBase64Encoded: false;
}

/** The part of the Lambda context the adapter reads. */
export interface LambdaContextLike {
  readonly awsRequestId?: string;
}

/** A Lambda handler for HTTP events. */
export type InferenceLambdaHandler = (
  event: unknown,
  context?: LambdaContextLike,
) => Promise<LambdaHttpResult>;

const headers = z.record(z.string(), z.string().optional()).nullish();

// HTTP API / Function URL, payload format 2.0.
const v2Event = z.object({
  version: z.literal('2.0'),
  rawPath: z.string(),
  headers,
  body: z.string().nullish(),
  isBase64Encoded: z.boolean().optional(),
  requestContext: z.object({
    requestId: z.string().optional(),
    stage: z.string().optional(),
    http: z.object({ method: z.string() }),
  }),
});

// REST API (and HTTP API with payload 1.0).
const v1Event = z.object({
  httpMethod: z.string(),
  path: z.string(),
  headers,
  body: z.string().nullish(),
  isBase64Encoded: z.boolean().nullish(),
  requestContext: z.object({ requestId: z.string().optional() }).optional(),
});

type V2Event = z.infer<typeof v2Event>;
type V1Event = z.infer<typeof v1Event>;

/**
 * Adapts API Gateway / Function URL events to the InferenceApp and back; everything else is the app's job.
 * Metrics are flushed before each response is returned, as Lambda may freeze the process afterwards.
 * @example export const handler = createLambdaHandler(app, telemetry);
 */
export function createLambdaHandler(app: InferenceApp, telemetry: Telemetry): InferenceLambdaHandler {
  return async (event, context) => {
    const fallbackId = context?.awsRequestId ?? 'unknown';
    const request = toRequest(event, fallbackId, app.limits.maxBodyBytes);
    let response: AppResponse;
    if ('unsupported' in request) {
      response = {
        status: 400,
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: errorBody(
          'invalid_request',
          'this function answers HTTP events only (API Gateway REST or HTTP API, or a Function URL)',
        ),
      };
    } else if ('tooLarge' in request) {
      response = app.payloadTooLarge(request.tooLarge, request.bytes);
    } else {
      response = await app.handle(request);
    }
    await telemetry.flush();
    return {
      statusCode: response.status,
      headers: response.headers,
      body: response.body,
      isBase64Encoded: false,
    };
  };
}

type Parsed =
  | AppRequest
  | { readonly unsupported: true }
  | { readonly tooLarge: Omit<AppRequest, 'body'>; readonly bytes: number };

type Head = Omit<AppRequest, 'body'>;

function toRequest(event: unknown, fallbackId: string, maxBodyBytes: number): Parsed {
  const v2 = v2Event.safeParse(event);
  if (v2.success)
    return withBody(headV2(v2.data, fallbackId), v2.data.body, v2.data.isBase64Encoded, maxBodyBytes);
  const v1 = v1Event.safeParse(event);
  if (v1.success)
    return withBody(headV1(v1.data, fallbackId), v1.data.body, v1.data.isBase64Encoded, maxBodyBytes);
  return { unsupported: true };
}

function headV2(event: V2Event, fallbackId: string): Head {
  const stage = event.requestContext.stage;
  let path = event.rawPath;
  // A named stage appears as the first path segment in rawPath; `$default` does not.
  if (stage !== undefined && stage !== '$default' && path.startsWith(`/${stage}/`))
    path = path.slice(stage.length + 1);
  else if (stage !== undefined && stage !== '$default' && path === `/${stage}`) path = '/';
  return {
    method: event.requestContext.http.method.toUpperCase(),
    path,
    contentType: header(event.headers, 'content-type'),
    requestId: event.requestContext.requestId ?? fallbackId,
  };
}

function headV1(event: V1Event, fallbackId: string): Head {
  return {
    method: event.httpMethod.toUpperCase(),
    path: event.path,
    contentType: header(event.headers, 'content-type'),
    requestId: event.requestContext?.requestId ?? fallbackId,
  };
}

function withBody(
  head: Head,
  raw: string | null | undefined,
  base64: boolean | null | undefined,
  max: number,
): Parsed {
  if (raw === null || raw === undefined || raw === '') return { ...head, body: '' };
  if (base64 === true) {
    const bytes = Buffer.from(raw, 'base64');
    return bytes.length > max
      ? { tooLarge: head, bytes: bytes.length }
      : { ...head, body: bytes.toString('utf8') };
  }
  const bytes = Buffer.byteLength(raw);
  return bytes > max ? { tooLarge: head, bytes } : { ...head, body: raw };
}

function header(
  all: Readonly<Record<string, string | undefined>> | null | undefined,
  name: string,
): string | undefined {
  if (!all) return undefined;
  const direct = all[name];
  if (direct !== undefined) return direct;
  // REST API events keep the client's header case.
  for (const [key, value] of Object.entries(all)) if (key.toLowerCase() === name) return value;
  return undefined;
}

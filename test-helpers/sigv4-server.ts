// An HTTP server on loopback that checks SigV4 the way a Function URL with IAM auth does: it recomputes
// the signature over the request as received (method, path, query, the signed headers, the body) with
// the by-hand reference and answers 403 when anything differs, so a test proves what went over the wire.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ReferenceScope, referenceAuthorization, sha256Hex } from './sigv4-reference.js';

/** The credentials and scope requests must be signed with; `sessionToken` must then be sent and signed. */
export interface SigV4ServerScope extends ReferenceScope {
  readonly sessionToken?: string;
}

/** What the server answers an authorized request with. */
export type Route = (
  method: string,
  path: string,
  body: string,
) => { readonly status: number; readonly json: unknown };

/** One request as the server judged it; `problem` is null when the signature held. */
interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly signedHeaders: readonly string[];
  readonly problem: string | null;
}

/** A running verifying server. */
export interface SigV4Server {
  /** `http://127.0.0.1:<port>/` */
  readonly url: string;
  readonly requests: ReceivedRequest[];
  close(): Promise<void>;
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=[0-9a-f]{64}$/;

/** The access key id a SigV4 `authorization` header names, or null when it is not one. */
export function signingKeyId(authorization: string | undefined): string | null {
  return AUTHORIZATION.exec(authorization ?? '')?.[1] ?? null;
}

/** Why the request's signature does not hold, or null when it does; `signed` lists the signed headers. */
export function verifySigV4(
  req: IncomingMessage,
  body: Buffer,
  scope: SigV4ServerScope,
  maxSkewMs: number,
): { problem: string | null; signed: string[] } {
  const authorization = req.headers.authorization ?? '';
  const match = AUTHORIZATION.exec(authorization);
  if (match === null) return { problem: 'no SigV4 authorization header', signed: [] };
  const [, keyId, day, region, service, list = ''] = match;
  const signed = list.split(';');
  if (keyId !== scope.accessKeyId) return { problem: `unknown access key ${keyId}`, signed };
  if (region !== scope.region || service !== scope.service)
    return { problem: `scope ${region}/${service}, expected ${scope.region}/${scope.service}`, signed };
  const required = ['host', 'x-amz-date', 'x-amz-content-sha256'];
  if (scope.sessionToken !== undefined) required.push('x-amz-security-token');
  const missing = required.filter((name) => !signed.includes(name));
  if (missing.length > 0) return { problem: `not signed: ${missing.join(', ')}`, signed };
  const headers: Record<string, string> = {};
  for (const name of signed) {
    const value = req.headers[name];
    if (typeof value !== 'string') return { problem: `signed header ${name} was not sent`, signed };
    headers[name] = value;
  }
  if (headers['x-amz-content-sha256'] !== sha256Hex(body))
    return { problem: 'x-amz-content-sha256 is not the hash of the body', signed };
  if (scope.sessionToken !== undefined && headers['x-amz-security-token'] !== scope.sessionToken)
    return { problem: 'wrong session token', signed };
  const amzDate = headers['x-amz-date'] ?? '';
  const at = Date.parse(amzDate.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z'));
  if (!(Math.abs(Date.now() - at) <= maxSkewMs) || amzDate.slice(0, 8) !== day)
    return { problem: `signed at ${amzDate}, too far from now`, signed };
  const expected = referenceAuthorization(
    { method: req.method ?? '', url: `http://${headers.host}${req.url ?? '/'}`, headers, body },
    scope,
  );
  return { problem: expected === authorization ? null : 'signature does not match', signed };
}

/**
 * Starts the server on a free loopback port. Authorized requests go to `route`; the others get 403
 * `{"Message":"Forbidden"}` (a Function URL's answer). Requests signed more than `maxSkewMs` (default
 * five minutes, as AWS allows) from now are refused.
 */
export async function startSigV4Server(
  scope: SigV4ServerScope,
  route: Route,
  maxSkewMs = 300_000,
): Promise<SigV4Server> {
  const requests: ReceivedRequest[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const { problem, signed } = verifySigV4(req, body, scope, maxSkewMs);
    const path = req.url ?? '/';
    requests.push({ method: req.method ?? '', path, signedHeaders: signed, problem });
    const answer =
      problem === null
        ? route(req.method ?? '', new URL(path, 'http://x').pathname, body.toString('utf8'))
        : { status: 403, json: { Message: 'Forbidden' } };
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer.json));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () =>
      new Promise((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** A route that answers like the inference service serving `model` v`version`, labelling every text `label`. */
export function inferenceRoute(model: string, version: number, label: string): Route {
  return (method, path, body) => {
    if (method === 'GET' && path === '/health')
      return { status: 200, json: { model: { name: model, version } } };
    if (method === 'POST' && path === '/predict') {
      const { texts } = JSON.parse(body) as { texts: string[] };
      return {
        status: 200,
        json: {
          model: { name: model, version },
          predictions: texts.map(() => ({ label, probabilities: {} })),
        },
      };
    }
    return { status: 404, json: { error: { code: 'not_found', message: `no route ${method} ${path}` } } };
  };
}

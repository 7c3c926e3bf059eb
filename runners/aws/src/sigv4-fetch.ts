import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import type { SignatureV4 } from '@smithy/signature-v4';
import { RequestSigningError } from './errors.js';

/** A function with global fetch's signature, so a signed fetch can stand in wherever fetch is used. */
export type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** AWS credentials to sign with; `sessionToken` for temporary ones (a Lambda role's always are). */
export interface SigningCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

/** How a signed fetch signs; the defaults suit a Lambda function calling a Function URL. */
export interface SignedFetchOptions {
  /** The service the endpoint belongs to. Default `lambda` (a Function URL with `AWS_IAM` auth). */
  readonly service?: string;
  /** Credentials, or a provider of them. Default the SDK's default chain (a function's execution role). */
  readonly credentials?: SigningCredentials | (() => Promise<SigningCredentials>);
  /** Sends the signed request. Default global fetch. */
  readonly fetch?: Fetch;
  /** The signing clock. Default the current time. */
  readonly now?: () => Date;
}

/**
 * A fetch that signs each request with SigV4: host, method, path and query, the body's sha256
 * (`x-amz-content-sha256`), every header given, and `x-amz-security-token` for temporary credentials.
 * The signing library and the credential chain load on the first request.
 * @example const fetch = signedFetch('eu-west-1'); await fetch(`${functionUrl}health`);
 */
export function signedFetch(region: string, options: SignedFetchOptions = {}): Fetch {
  const service = options.service ?? 'lambda';
  const send = options.fetch ?? fetch;
  const now = options.now ?? (() => new Date());
  let signer: Promise<SignatureV4> | undefined;
  const load = async () => {
    const { SignatureV4 } = await import('@smithy/signature-v4');
    // The default chain is memoized: the role's credentials are fetched once and refreshed before expiry.
    const credentials =
      options.credentials ?? (await import('@aws-sdk/credential-provider-node')).defaultProvider();
    return new SignatureV4({ service, region, credentials, sha256: NodeSha256, applyChecksum: true });
  };

  return async (input, init) => {
    // A Request normalizes every form fetch accepts (URL or Request input, any body type, header lists).
    const request = new Request(input, init);
    const url = new URL(request.url);
    const body = request.body === null ? undefined : new Uint8Array(await request.arrayBuffer());
    const headers: Record<string, string> = { host: url.host };
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    const query: Record<string, string | string[]> = {};
    for (const [name, value] of url.searchParams) {
      const before = query[name];
      query[name] = before === undefined ? value : [...(Array.isArray(before) ? before : [before]), value];
    }
    let signed: { headers: Record<string, string> };
    try {
      signer ??= load();
      signed = await (await signer).sign(
        {
          method: request.method,
          protocol: url.protocol,
          hostname: url.hostname,
          ...(url.port === '' ? {} : { port: Number(url.port) }),
          path: url.pathname,
          query,
          headers,
          body,
        },
        { signingDate: now() },
      );
    } catch (error) {
      throw new RequestSigningError(
        `could not sign ${request.method} ${url.origin}${url.pathname} for ${service} in ${region} ` +
          `(${(error as Error).name}: ${(error as Error).message}); the caller needs AWS credentials ` +
          `(a Lambda function's execution role provides them) allowed to call the endpoint`,
        { cause: error },
      );
    }
    // fetch derives Host from the URL itself: the same value as the signed one.
    const { host: _host, ...sent } = signed.headers;
    return send(url.href, {
      method: request.method,
      headers: sent,
      ...(body === undefined ? {} : { body }),
      signal: request.signal,
      redirect: request.redirect,
    });
  };
}

type SourceData = string | ArrayBuffer | ArrayBufferView;

/**
 * SHA-256 (HMAC-SHA-256 with a secret) over node:crypto, in the shape SignatureV4 takes. The SDK's own
 * class sits in @smithy/core/checksum, whose CommonJS build loses its named exports once bundled into the
 * steps image, so the signer would get `undefined` there.
 */
class NodeSha256 {
  readonly #hash: Hash | Hmac;
  constructor(secret?: SourceData) {
    this.#hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.#hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }
}

function bytes(data: SourceData): Uint8Array | string {
  if (typeof data === 'string') return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

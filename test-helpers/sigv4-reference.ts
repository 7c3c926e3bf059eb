// SigV4 written out by hand from AWS's description of the algorithm, with node:crypto only: an
// independent check on what the signing library produces. Its own test holds it to AWS's published
// "get-vanilla" vectors, so a bug here cannot quietly agree with a bug in the library.
import { createHash, createHmac } from 'node:crypto';

/** What a signature covers: every header listed is signed (names in any case). */
export interface ReferenceRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
}

/** Who signs, where, and for which service. */
export interface ReferenceScope {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region: string;
  readonly service: string;
}

export const sha256Hex = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

// RFC 3986 unreserved characters stay; everything else is %XX (encodeURIComponent leaves !'()* alone).
const encode = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** The `authorization` header SigV4 gives `request`; its `x-amz-date` header sets the signing time. */
export function referenceAuthorization(request: ReferenceRequest, scope: ReferenceScope): string {
  const headers = Object.fromEntries(
    Object.entries(request.headers).map(([name, value]) => [
      name.toLowerCase(),
      value.trim().replace(/\s+/g, ' '),
    ]),
  );
  const amzDate = headers['x-amz-date'];
  if (amzDate === undefined) throw new Error('the reference signs only requests with an x-amz-date header');
  const day = amzDate.slice(0, 8);
  const url = new URL(request.url);
  const names = Object.keys(headers).sort();
  // Services other than S3 sign the path as received, URI-encoded once more.
  const canonicalUri = url.pathname.split('/').map(encode).join('/');
  const canonicalQuery = [...url.searchParams]
    .map(([name, value]) => [encode(name), encode(value)] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  const canonicalRequest = [
    request.method,
    canonicalUri,
    canonicalQuery,
    names.map((name) => `${name}:${headers[name]}\n`).join(''),
    names.join(';'),
    sha256Hex(request.body ?? ''),
  ].join('\n');
  const credentialScope = `${day}/${scope.region}/${scope.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, credentialScope, sha256Hex(canonicalRequest)].join('\n');
  let key = hmac(`AWS4${scope.secretAccessKey}`, day);
  for (const part of [scope.region, scope.service, 'aws4_request']) key = hmac(key, part);
  const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
  return `AWS4-HMAC-SHA256 Credential=${scope.accessKeyId}/${credentialScope}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
}

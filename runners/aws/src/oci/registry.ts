import { createHash } from 'node:crypto';
import { RegistryError } from '../errors.js';

/** Manifest and index media types of the two formats registries serve (Docker v2 schema 2 and OCI). */
export const MEDIA_TYPES = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

const MANIFEST_ACCEPT = [
  MEDIA_TYPES.ociIndex,
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.dockerManifestList,
  MEDIA_TYPES.dockerManifest,
].join(', ');

/** A manifest as the registry stored it: its bytes are what its digest is computed over. */
export interface FetchedManifest {
  readonly mediaType: string;
  readonly digest: string;
  readonly body: Uint8Array;
}

/** How to reach one registry. */
export interface RegistryClientOptions {
  /** Host and optional port, e.g. `123456789012.dkr.ecr.eu-west-1.amazonaws.com` or `127.0.0.1:5000`. */
  readonly registry: string;
  /** Default: `http` for loopback hosts (a local test registry), `https` for everything else. */
  readonly scheme?: 'http' | 'https';
  /** The `Authorization` header value, e.g. `Basic <ECR token>`; asked before every request (cache it). Default none. */
  readonly authorization?: () => Promise<string | undefined>;
  /** Per-request timeout. Default 120 000 ms. */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

/** The sha256 digest of bytes, as registries write it. */
export function sha256Digest(body: Uint8Array): string {
  return `sha256:${createHash('sha256').update(body).digest('hex')}`;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/;

/**
 * A client of the OCI distribution API (the subset image composition needs): manifests, blob checks,
 * cross-repository mounts, monolithic uploads. Works with ECR (Basic auth with the token from
 * GetAuthorizationToken) and with a plain local registry.
 * @example new RegistryClient({ registry: '127.0.0.1:5000' }).getManifest('inference', 'base')
 */
export class RegistryClient {
  readonly registry: string;
  private readonly base: string;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: RegistryClientOptions) {
    this.registry = options.registry;
    const scheme = options.scheme ?? (LOOPBACK.test(options.registry) ? 'http' : 'https');
    this.base = `${scheme}://${options.registry}`;
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  /** Reads a manifest or index by tag or digest, checking a digest reference against the bytes. */
  async getManifest(repository: string, reference: string): Promise<FetchedManifest> {
    const response = await this.request('GET', `/v2/${repository}/manifests/${reference}`, {
      headers: { accept: MANIFEST_ACCEPT },
      expect: [200],
      what: `manifest ${repository}:${reference}`,
    });
    const body = new Uint8Array(await response.arrayBuffer());
    const digest = sha256Digest(body);
    if (reference.startsWith('sha256:') && reference !== digest) {
      throw new RegistryError(
        `${this.registry} returned manifest bytes with digest ${digest} for ${repository}@${reference}; the registry is corrupt or a proxy altered the response`,
      );
    }
    const mediaType =
      (JSON.parse(new TextDecoder().decode(body)) as { mediaType?: string }).mediaType ??
      response.headers.get('content-type')?.split(';')[0] ??
      '';
    return { mediaType, digest, body };
  }

  /** The digest a tag or digest reference names in a repository (HEAD, no body), or null when it names nothing. */
  async manifestDigest(repository: string, reference: string): Promise<string | null> {
    const response = await this.request('HEAD', `/v2/${repository}/manifests/${reference}`, {
      headers: { accept: MANIFEST_ACCEPT },
      expect: [200, 404],
      what: `manifest ${repository}:${reference}`,
    });
    if (response.status === 404) return null;
    const digest = response.headers.get('docker-content-digest');
    if (digest !== null) return digest;
    // A registry that does not say (the header is optional): read the manifest and hash its bytes.
    return (await this.getManifest(repository, reference)).digest;
  }

  /** Whether a blob is in a repository. */
  async blobExists(repository: string, digest: string): Promise<boolean> {
    const response = await this.request('HEAD', `/v2/${repository}/blobs/${digest}`, {
      expect: [200, 404],
      what: `blob ${digest} in ${repository}`,
    });
    return response.status === 200;
  }

  /** Reads a blob, verifying its digest. */
  async getBlob(repository: string, digest: string): Promise<Uint8Array> {
    const response = await this.request('GET', `/v2/${repository}/blobs/${digest}`, {
      expect: [200],
      what: `blob ${digest} in ${repository}`,
    });
    const body = new Uint8Array(await response.arrayBuffer());
    if (sha256Digest(body) !== digest) {
      throw new RegistryError(
        `blob ${digest} read from ${repository} on ${this.registry} has a different digest`,
      );
    }
    return body;
  }

  /**
   * Mounts a blob from another repository of the same registry without copying it. Returns false when
   * the registry declines (it then opened an upload session, which is cancelled): copy the blob instead.
   */
  async mountBlob(repository: string, digest: string, from: string): Promise<boolean> {
    const query = new URLSearchParams({ mount: digest, from });
    const response = await this.request('POST', `/v2/${repository}/blobs/uploads/?${query}`, {
      expect: [201, 202],
      what: `mount of ${digest} from ${from} into ${repository}`,
    });
    if (response.status === 201) return true;
    const location = response.headers.get('location');
    if (location) {
      // Best effort: an abandoned session expires on its own.
      await this.request('DELETE', location, { expect: [204, 404, 405], what: 'upload cancel' }).catch(
        () => undefined,
      );
    }
    return false;
  }

  /** Uploads a blob in one request (POST for a session, then PUT with the digest). */
  async uploadBlob(repository: string, digest: string, body: Uint8Array): Promise<void> {
    const what = `upload of ${digest} (${body.byteLength} bytes) to ${repository}`;
    const session = await this.request('POST', `/v2/${repository}/blobs/uploads/`, { expect: [202], what });
    const location = session.headers.get('location');
    if (!location)
      throw new RegistryError(`${this.registry} opened an upload session without a Location for the ${what}`);
    const url = new URL(location, this.base);
    url.searchParams.set('digest', digest);
    await this.request('PUT', url.href, {
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(body.byteLength) },
      body,
      expect: [201],
      what,
    });
  }

  /** Stores a manifest under a tag or its digest; returns its digest. */
  async putManifest(
    repository: string,
    reference: string,
    mediaType: string,
    body: Uint8Array,
  ): Promise<string> {
    const digest = sha256Digest(body);
    const response = await this.request('PUT', `/v2/${repository}/manifests/${reference}`, {
      headers: { 'content-type': mediaType },
      body,
      expect: [201],
      what: `manifest ${repository}:${reference}`,
    });
    const stored = response.headers.get('docker-content-digest');
    if (stored !== null && stored !== digest) {
      throw new RegistryError(
        `${this.registry} stored manifest ${repository}:${reference} as ${stored}, expected ${digest}`,
      );
    }
    return digest;
  }

  private async request(
    method: string,
    path: string,
    init: { headers?: Record<string, string>; body?: Uint8Array; expect: number[]; what: string },
  ): Promise<Response> {
    const url = new URL(path, this.base);
    const headers: Record<string, string> = { ...init.headers };
    const authorization = await this.options.authorization?.();
    if (authorization !== undefined) headers.authorization = authorization;
    let response: Response;
    try {
      response = await this.fetch(url, {
        method,
        headers,
        ...(init.body === undefined ? {} : { body: init.body }),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 120_000),
      });
    } catch (error) {
      throw new RegistryError(
        `${init.what} on ${this.registry} failed: ${(error as Error).message}; check that the registry is reachable`,
        null,
        { cause: error },
      );
    }
    if (init.expect.includes(response.status)) return response;
    const detail = await response.text().catch(() => '');
    throw new RegistryError(
      `${init.what} on ${this.registry}: HTTP ${response.status} ${describeErrors(detail)}${hint(response.status)}`,
      response.status,
    );
  }
}

/** The registry's error codes and messages, from its `{"errors":[…]}` body. */
function describeErrors(body: string): string {
  try {
    const parsed = JSON.parse(body) as { errors?: { code?: string; message?: string }[] };
    const errors = parsed.errors ?? [];
    if (errors.length > 0) return errors.map((e) => `${e.code ?? '?'}: ${e.message ?? ''}`).join('; ');
  } catch {
    // not JSON: fall through
  }
  return body.slice(0, 200);
}

function hint(status: number): string {
  if (status === 401 || status === 403) {
    return ' (the registry refused the credentials: the promote role needs ecr:GetAuthorizationToken and push/pull rights on both repositories)';
  }
  if (status === 404) return ' (check the repository and reference)';
  return '';
}

import { RegistryError } from '../errors.js';
import { buildFileLayer } from './layer.js';
import { formatImageReference, type ImageReference } from './reference.js';
import { type FetchedManifest, MEDIA_TYPES, type RegistryClient, sha256Digest } from './registry.js';

/** A content descriptor of a manifest (config or layer). */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly [extra: string]: unknown;
}

interface ImageManifest {
  readonly schemaVersion: number;
  readonly mediaType?: string;
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
}

interface ImageIndex {
  readonly manifests: readonly (Descriptor & {
    readonly platform?: { readonly os?: string; readonly architecture?: string; readonly variant?: string };
  })[];
}

interface ImageConfig {
  readonly config?: { readonly Labels?: Record<string, string> | null; readonly [key: string]: unknown };
  readonly rootfs?: { readonly type?: string; readonly diff_ids?: readonly string[] };
  readonly history?: readonly Record<string, unknown>[];
  readonly [key: string]: unknown;
}

/** What to compose: a base image plus one layer of files. */
export interface ComposeImageInput {
  /** A client of the registry holding both the base image and the target repository. */
  readonly registry: RegistryClient;
  /** The base image (tag or digest; an index resolves to `platform`). */
  readonly base: ImageReference;
  /** Target repository on the same registry. */
  readonly repository: string;
  /** Also tag the result, e.g. `(digest) => \`sentiment-v3-${digest.slice(7, 19)}\`` (the image is always addressable by digest). */
  readonly tag?: string | ((digest: string) => string);
  /** Files of the new layer, relative to `root`. */
  readonly files: Readonly<Record<string, Uint8Array>>;
  /** Folder of the files inside the image. Default `opt/model`. */
  readonly root?: string;
  /** Picked from a multi-platform base. Default linux/amd64 (the Lambda default architecture). */
  readonly platform?: { readonly os: string; readonly architecture: string };
  /** Timestamp of the layer's files and history entry (ISO 8601). Fixed, so a recomposition is identical. Default the Unix epoch. */
  readonly created?: string;
  /** Labels merged into the image config. */
  readonly labels?: Readonly<Record<string, string>>;
  /** The history entry's `created_by`. */
  readonly createdBy?: string;
}

/** The composed image and how its blobs got into the target repository. */
export interface ComposedImage {
  /** `host/repository@sha256:…`: what UpdateFunctionCode takes. */
  readonly imageUri: string;
  readonly digest: string;
  readonly mediaType: string;
  /** The single-platform base manifest the image was composed on. */
  readonly baseDigest: string;
  readonly layer: { readonly digest: string; readonly diffId: string; readonly size: number };
  readonly config: { readonly digest: string; readonly size: number };
  readonly tag: string | null;
  /** Blobs found in place, mounted from the base repository, copied (mount declined) and uploaded. */
  readonly blobs: {
    readonly present: number;
    readonly mounted: number;
    readonly copied: number;
    readonly uploaded: number;
  };
}

const utf8 = new TextEncoder();
const json = (body: Uint8Array) => JSON.parse(new TextDecoder().decode(body)) as unknown;

/**
 * Composes `base + one layer of files` in a registry through the distribution API, without Docker:
 * base layers are mounted (or found in place), the new layer and config uploaded, the manifest put by
 * digest (and tag). The result keeps the base's format (Docker v2 schema 2 or OCI). Deterministic: the
 * same base and files give the same digest.
 * @example await composeImage({ registry, base: parseImageReference(baseUri), repository: 'models', files })
 */
export async function composeImage(input: ComposeImageInput): Promise<ComposedImage> {
  const { registry, base, repository } = input;
  if (base.registry !== registry.registry) {
    throw new RegistryError(
      `the base image ${formatImageReference(base)} is on another registry than ${registry.registry}: ` +
        'copy it into the same registry (e.g. the ECR repository the model images go to)',
    );
  }
  const platform = input.platform ?? { os: 'linux', architecture: 'amd64' };
  const baseManifest = await resolvePlatform(registry, base, platform);
  const manifest = parseManifest(baseManifest, base);
  const docker = manifest.mediaType === MEDIA_TYPES.dockerManifest;

  const config = json(await registry.getBlob(base.repository, manifest.config.digest)) as ImageConfig;
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== manifest.layers.length) {
    throw new RegistryError(
      `the base image ${formatImageReference(base)} lists ${manifest.layers.length} layers but its config ${diffIds.length} diff_ids; rebuild the base image`,
    );
  }

  const created = input.created ?? '1970-01-01T00:00:00Z';
  const mtime = Math.max(0, Math.floor(Date.parse(created) / 1000) || 0);
  const layer = buildFileLayer(input.root ?? 'opt/model', input.files, { mtime });
  const labels = { ...(config.config?.Labels ?? {}), ...(input.labels ?? {}) };
  const history = config.history;
  const newConfig: ImageConfig = {
    ...config,
    config: { ...(config.config ?? {}), Labels: labels },
    rootfs: { type: 'layers', diff_ids: [...diffIds, layer.diffId] },
    // A history without entries stays without: a single entry would misalign it with the layers.
    ...(history === undefined || history.length === 0
      ? {}
      : {
          history: [
            ...history,
            {
              created,
              created_by: input.createdBy ?? `slipway: files at /${input.root ?? 'opt/model'}`,
            },
          ],
        }),
  };
  const configBody = utf8.encode(JSON.stringify(newConfig));
  const configDescriptor: Descriptor = {
    mediaType: docker ? MEDIA_TYPES.dockerConfig : MEDIA_TYPES.ociConfig,
    digest: sha256Digest(configBody),
    size: configBody.byteLength,
  };
  const layerDescriptor: Descriptor = {
    mediaType: docker ? MEDIA_TYPES.dockerLayerGzip : MEDIA_TYPES.ociLayerGzip,
    digest: layer.digest,
    size: layer.blob.byteLength,
  };

  const blobs = { present: 0, mounted: 0, copied: 0, uploaded: 0 };
  const sameRepository = base.repository === repository;
  await inBatches(manifest.layers, 4, async (descriptor) => {
    if (sameRepository || (await registry.blobExists(repository, descriptor.digest))) {
      blobs.present++;
    } else if (await registry.mountBlob(repository, descriptor.digest, base.repository)) {
      blobs.mounted++;
    } else {
      await registry.uploadBlob(
        repository,
        descriptor.digest,
        await registry.getBlob(base.repository, descriptor.digest),
      );
      blobs.copied++;
    }
  });
  for (const [digest, body] of [
    [layer.digest, layer.blob],
    [configDescriptor.digest, configBody],
  ] as const) {
    if (await registry.blobExists(repository, digest)) blobs.present++;
    else {
      await registry.uploadBlob(repository, digest, body);
      blobs.uploaded++;
    }
  }

  const mediaType = docker ? MEDIA_TYPES.dockerManifest : MEDIA_TYPES.ociManifest;
  const body = utf8.encode(
    JSON.stringify({
      schemaVersion: 2,
      mediaType,
      config: configDescriptor,
      layers: [...manifest.layers, layerDescriptor],
    }),
  );
  const digest = sha256Digest(body);
  const tag = typeof input.tag === 'function' ? input.tag(digest) : input.tag;
  if (tag === undefined) await registry.putManifest(repository, digest, mediaType, body);
  else await putTagOnce(registry, repository, tag, digest, mediaType, body);
  return {
    imageUri: formatImageReference({ registry: registry.registry, repository, reference: digest }),
    digest,
    mediaType,
    baseDigest: baseManifest.digest,
    layer: { digest: layer.digest, diffId: layer.diffId, size: layer.blob.byteLength },
    config: { digest: configDescriptor.digest, size: configDescriptor.size },
    tag: tag ?? null,
    blobs,
  };
}

/**
 * Puts the manifest under its tag unless the tag already names it. Repositories with immutable tags (the
 * stage's ECR repositories) refuse a second push to a tag even with the same digest, and composition is
 * deterministic, so a retried or resumed promotion would recompose the same tag: it is checked first.
 */
async function putTagOnce(
  registry: RegistryClient,
  repository: string,
  tag: string,
  digest: string,
  mediaType: string,
  body: Uint8Array,
): Promise<void> {
  const existing = await registry.manifestDigest(repository, tag);
  if (existing === digest) return;
  if (existing !== null) {
    throw new RegistryError(
      `the tag ${repository}:${tag} already names ${existing}, not the composed ${digest}; tags are immutable, ` +
        'so remove the stray image from the repository (or pick another tag) and promote again',
    );
  }
  await registry.putManifest(repository, tag, mediaType, body);
}

/** The single-platform manifest of a reference, choosing `platform` from an index. */
async function resolvePlatform(
  registry: RegistryClient,
  ref: ImageReference,
  platform: { os: string; architecture: string },
): Promise<FetchedManifest> {
  const fetched = await registry.getManifest(ref.repository, ref.reference);
  if (fetched.mediaType !== MEDIA_TYPES.ociIndex && fetched.mediaType !== MEDIA_TYPES.dockerManifestList) {
    return fetched;
  }
  const index = json(fetched.body) as ImageIndex;
  const match = (index.manifests ?? []).find(
    (m) => m.platform?.os === platform.os && m.platform.architecture === platform.architecture,
  );
  if (match === undefined) {
    const offered = (index.manifests ?? []).map((m) => `${m.platform?.os}/${m.platform?.architecture}`);
    throw new RegistryError(
      `the base image ${formatImageReference(ref)} has no ${platform.os}/${platform.architecture} manifest (it has ${offered.join(', ') || 'none'}); ` +
        'build the base image for that platform',
    );
  }
  return registry.getManifest(ref.repository, match.digest);
}

function parseManifest(fetched: FetchedManifest, ref: ImageReference): ImageManifest & { mediaType: string } {
  const value = json(fetched.body) as Partial<ImageManifest> | null;
  const mediaType =
    fetched.mediaType ||
    (value?.config?.mediaType === MEDIA_TYPES.dockerConfig
      ? MEDIA_TYPES.dockerManifest
      : MEDIA_TYPES.ociManifest);
  if (
    (mediaType !== MEDIA_TYPES.dockerManifest && mediaType !== MEDIA_TYPES.ociManifest) ||
    value?.schemaVersion !== 2 ||
    typeof value.config?.digest !== 'string' ||
    !Array.isArray(value.layers)
  ) {
    throw new RegistryError(
      `the base image ${formatImageReference(ref)} is not a Docker v2 schema 2 or OCI image manifest (media type ${JSON.stringify(mediaType)})`,
    );
  }
  return { schemaVersion: 2, mediaType, config: value.config, layers: value.layers };
}

async function inBatches<T>(
  items: readonly T[],
  size: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

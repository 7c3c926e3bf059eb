// A small synthetic base image pushed with the project's own registry client: two layers and a config,
// in Docker v2 schema 2 or OCI format, optionally behind a multi-platform index (arm64 + amd64).
import { ENV } from '@slipway/contracts';
import { buildFileLayer, MEDIA_TYPES, type RegistryClient, sha256Digest } from '@slipway/runner-aws';

const utf8 = new TextEncoder();

/** What was pushed: the amd64 manifest's digest and its layers. */
export interface PushedBase {
  readonly manifestDigest: string;
  readonly layerDigests: readonly string[];
  /** The arm64 manifest's digest when an index was pushed. */
  readonly otherDigest: string | null;
}

/** Pushes a base image to `repository:tag`. */
export async function pushBaseImage(
  registry: RegistryClient,
  repository: string,
  tag: string,
  options: { format: 'docker' | 'oci'; index?: boolean },
): Promise<PushedBase> {
  const docker = options.format === 'docker';
  const mediaType = docker ? MEDIA_TYPES.dockerManifest : MEDIA_TYPES.ociManifest;
  const layers = [
    buildFileLayer('var/task', { 'handler.mjs': utf8.encode('export const handler = async () => "ok";\n') }),
    buildFileLayer('etc', { 'slipway-base': utf8.encode(`base image layer two (${options.format})\n`) }),
  ];
  for (const layer of layers) await registry.uploadBlob(repository, layer.digest, layer.blob);

  const pushManifest = async (architecture: string, reference: string | null) => {
    const config = utf8.encode(
      JSON.stringify({
        architecture,
        os: 'linux',
        config: {
          Env: [`${ENV.modelDir}=/opt/model`],
          Cmd: ['handler.handler'],
          Labels: { 'io.slipway.base': 'test' },
        },
        rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
        history: [
          { created: '2024-01-01T00:00:00Z', created_by: 'COPY handler.mjs /var/task/' },
          {
            created: '2024-01-01T00:00:00Z',
            created_by: `ENV ${ENV.modelDir}=/opt/model`,
            empty_layer: true,
          },
          { created: '2024-01-01T00:00:00Z', created_by: 'COPY slipway-base /etc/' },
        ],
      }),
    );
    await registry.uploadBlob(repository, sha256Digest(config), config);
    const manifest = utf8.encode(
      JSON.stringify({
        schemaVersion: 2,
        mediaType,
        config: {
          mediaType: docker ? MEDIA_TYPES.dockerConfig : MEDIA_TYPES.ociConfig,
          digest: sha256Digest(config),
          size: config.byteLength,
        },
        layers: layers.map((l) => ({
          mediaType: docker ? MEDIA_TYPES.dockerLayerGzip : MEDIA_TYPES.ociLayerGzip,
          digest: l.digest,
          size: l.blob.byteLength,
        })),
      }),
    );
    const digest = sha256Digest(manifest);
    await registry.putManifest(repository, reference ?? digest, mediaType, manifest);
    return { digest, size: manifest.byteLength };
  };

  const layerDigests = layers.map((l) => l.digest);
  if (!options.index) {
    const amd64 = await pushManifest('amd64', tag);
    return { manifestDigest: amd64.digest, layerDigests, otherDigest: null };
  }
  const arm64 = await pushManifest('arm64', null);
  const amd64 = await pushManifest('amd64', null);
  const indexType = docker ? MEDIA_TYPES.dockerManifestList : MEDIA_TYPES.ociIndex;
  const index = utf8.encode(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: indexType,
      manifests: [
        { mediaType, ...arm64, platform: { os: 'linux', architecture: 'arm64' } },
        { mediaType, ...amd64, platform: { os: 'linux', architecture: 'amd64' } },
      ],
    }),
  );
  await registry.putManifest(repository, tag, indexType, index);
  return { manifestDigest: amd64.digest, layerDigests, otherDigest: arm64.digest };
}

import { layout } from '@slipway/contracts';
import type { ModelStore } from '@slipway/model-store';
import { type ComposedImage, composeImage } from './oci/compose.js';
import type { ImageReference } from './oci/reference.js';
import type { RegistryClient } from './oci/registry.js';

/** Builds the image that serves one model version. */
export interface ModelImageBuilder {
  build(request: { readonly model: string; readonly version: number }): Promise<ComposedImage>;
}

/** Where model images come from and go to. */
export interface StoreModelImageOptions {
  readonly store: ModelStore;
  /** A client of the registry holding the base image and the model repository. */
  readonly registry: RegistryClient;
  /** The inference base image (no model inside). */
  readonly baseImage: ImageReference;
  /** The repository model images are pushed to, on the same registry. */
  readonly repository: string;
}

/**
 * Model images from the store: the base image plus one layer with the version's files and its
 * manifest.json at /opt/model, tagged `<model>-v<version>-<12 hex of the digest>` (unique, so the
 * repository may keep tags immutable, and tagged, so lifecycle rules for untagged images spare it).
 * @example await storeModelImageBuilder({ store, registry, baseImage, repository }).build({ model: 'sentiment', version: 3 })
 */
export function storeModelImageBuilder(options: StoreModelImageOptions): ModelImageBuilder {
  return {
    async build({ model, version }) {
      const { store } = options;
      const stored = await store.getModel(model, version);
      // The manifest's stored bytes, so /opt/model/manifest.json is byte-identical to the store's.
      const manifest = await store.backend.get(layout.manifest(model, version));
      const files: Record<string, Uint8Array> = { ...stored.files };
      files['manifest.json'] =
        manifest?.body ?? new TextEncoder().encode(`${JSON.stringify(stored.manifest, null, 2)}\n`);
      const modelSha = stored.manifest.files['model.onnx']?.sha256;
      return composeImage({
        registry: options.registry,
        base: options.baseImage,
        repository: options.repository,
        files,
        created: stored.manifest.lineage?.createdAt,
        labels: {
          'io.slipway.model': model,
          'io.slipway.model.version': String(version),
          ...(modelSha === undefined ? {} : { 'io.slipway.model.sha256': modelSha }),
        },
        createdBy: `slipway promote: ${model} v${version} at /opt/model`,
        tag: (digest) => `${model}-v${version}-${digest.slice(7, 19)}`,
      });
    },
  };
}

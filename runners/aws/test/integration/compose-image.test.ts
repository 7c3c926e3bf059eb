// Promotion by image against a real registry: Debian's docker-registry on loopback holds a synthetic base
// image; the model image is composed through the distribution API and then checked independently with
// skopeo (manifest digest, layers, config) and GNU tar (the model files extract byte-identical).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushBaseImage } from '../../../../test-helpers/oci-base-image.js';
import { type LocalRegistry, startRegistry } from '../../../../test-helpers/oci-registry.js';
import {
  createStepsStore,
  registerTrained,
  type StepsStore,
  trainArtifact,
  WEAK,
} from '../../../../test-helpers/steps.js';
import { RegistryError } from '../../src/errors.js';
import { storeModelImageBuilder } from '../../src/model-image.js';
import { composeImage } from '../../src/oci/compose.js';
import { parseImageReference } from '../../src/oci/reference.js';
import { MEDIA_TYPES, RegistryClient, sha256Digest } from '../../src/oci/registry.js';

const run = promisify(execFile);

let registry: LocalRegistry;
let client: RegistryClient;
let steps: StepsStore;
let version: number;
let work: string;

beforeAll(async () => {
  [registry, steps] = await Promise.all([startRegistry(), createStepsStore()]);
  client = new RegistryClient({ registry: registry.host });
  version = await registerTrained(steps.store, await trainArtifact(WEAK));
  work = await mkdtemp(join(tmpdir(), 'slipway-compose-'));
  await pushBaseImage(client, 'inference-base', 'docker', { format: 'docker' });
  await pushBaseImage(client, 'inference-base', 'oci-index', { format: 'oci', index: true });
}, 120_000);

afterAll(async () => {
  await registry?.stop();
  await steps?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

async function skopeo(...args: string[]): Promise<string> {
  const { stdout } = await run('skopeo', args, { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** Copies the image out with skopeo (which verifies every blob's digest) and extracts its last layer with tar. */
async function extractModelLayer(ref: string): Promise<{ dir: string; listing: string }> {
  const copy = await mkdtemp(join(work, 'copy-'));
  await skopeo('copy', '--src-tls-verify=false', `docker://${ref}`, `dir:${copy}`);
  const manifest = JSON.parse(await readFile(join(copy, 'manifest.json'), 'utf8')) as {
    layers: { digest: string }[];
  };
  const last = manifest.layers.at(-1)?.digest.slice('sha256:'.length) ?? '';
  const out = await mkdtemp(join(work, 'layer-'));
  await run('tar', ['-xzf', join(copy, last), '-C', out]);
  const { stdout: listing } = await run('tar', ['-tvzf', join(copy, last)]);
  return { dir: out, listing };
}

const builder = (repository: string) =>
  storeModelImageBuilder({
    store: steps.store,
    registry: client,
    baseImage: parseImageReference(`${registry.host}/inference-base:docker`),
    repository,
  });

describe('composing a model image on a real registry', () => {
  it('happy-path: base + model layer, verified by skopeo, model files byte-identical', async () => {
    const image = await builder('slipway-models').build({ model: 'sentiment', version });
    expect(image.imageUri).toBe(`${registry.host}/slipway-models@${image.digest}`);
    expect(image.mediaType).toBe(MEDIA_TYPES.dockerManifest);
    expect(image.blobs).toEqual({ present: 0, mounted: 2, copied: 0, uploaded: 2 });
    expect(image.tag).toBe(`sentiment-v${version}-${image.digest.slice(7, 19)}`);

    const raw = await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${image.imageUri}`);
    expect(sha256Digest(new TextEncoder().encode(raw))).toBe(image.digest);
    const inspected = JSON.parse(
      await skopeo(
        'inspect',
        '--no-tags',
        '--tls-verify=false',
        `docker://${registry.host}/slipway-models:${image.tag}`,
      ),
    ) as {
      Digest: string;
      Layers: string[];
      Labels: Record<string, string>;
      Architecture: string;
      Env: string[];
    };
    expect(inspected.Digest).toBe(image.digest);
    expect(inspected.Layers).toHaveLength(3);
    expect(inspected.Layers[2]).toBe(image.layer.digest);
    expect(inspected.Architecture).toBe('amd64');
    expect(inspected.Env).toEqual(['MODEL_DIR=/opt/model']);
    expect(inspected.Labels).toEqual({
      'io.slipway.base': 'test',
      'io.slipway.model': 'sentiment',
      'io.slipway.model.version': String(version),
      'io.slipway.model.sha256': (await steps.store.getManifest('sentiment', version)).manifest.files[
        'model.onnx'
      ]?.sha256,
    });

    const config = JSON.parse(
      await skopeo('inspect', '--config', '--raw', '--tls-verify=false', `docker://${image.imageUri}`),
    ) as { rootfs: { diff_ids: string[] }; history: { created_by: string; created: string }[] };
    expect(config.rootfs.diff_ids).toHaveLength(3);
    expect(config.rootfs.diff_ids[2]).toBe(image.layer.diffId);
    expect(config.history.at(-1)?.created_by).toBe(`slipway promote: sentiment v${version} at /opt/model`);

    const { dir, listing } = await extractModelLayer(image.imageUri);
    const stored = await steps.store.getModel('sentiment', version);
    expect(new Uint8Array(await readFile(join(dir, 'opt/model/model.onnx')))).toEqual(
      stored.files['model.onnx'],
    );
    const storedManifest = await steps.store.backend.get(
      `models/sentiment/versions/${version}/manifest.json`,
    );
    expect(new Uint8Array(await readFile(join(dir, 'opt/model/manifest.json')))).toEqual(
      storedManifest?.body,
    );
    const lines = listing.trim().split('\n');
    expect(lines.map((l) => l.split(/\s+/).at(-1))).toEqual([
      'opt/',
      'opt/model/',
      'opt/model/manifest.json',
      'opt/model/metrics.json',
      'opt/model/model.onnx',
    ]);
    expect(lines.map((l) => `${l.split(/\s+/)[0]} ${l.split(/\s+/)[1]}`)).toEqual([
      'drwxr-xr-x root/root',
      'drwxr-xr-x root/root',
      '-rw-r--r-- root/root',
      '-rw-r--r-- root/root',
      '-rw-r--r-- root/root',
    ]);
  });

  it('composing the same version again gives the same digest, uploads nothing and reuses the immutable tag', async () => {
    const first = await builder('slipway-models').build({ model: 'sentiment', version });
    const refusedBefore = registry.refusedTagPushes;
    const second = await builder('slipway-models').build({ model: 'sentiment', version });
    expect(second.digest).toBe(first.digest);
    expect(second.tag).toBe(first.tag);
    expect(second.blobs).toEqual({ present: 4, mounted: 0, copied: 0, uploaded: 0 });
    // The tag was checked, not pushed again: the registry refuses that, as ECR does.
    expect(registry.refusedTagPushes).toBe(refusedBefore);
    const manifest = await client.getManifest('slipway-models', first.digest);
    const again = await client
      .putManifest('slipway-models', first.tag ?? '', manifest.mediaType, manifest.body)
      .catch((e: unknown) => e);
    expect(again).toBeInstanceOf(RegistryError);
    expect((again as RegistryError).status).toBe(400);
    expect((again as Error).message).toContain('TAG_INVALID');
    expect(registry.refusedTagPushes).toBe(refusedBefore + 1);
  });

  it('refuses to compose onto a tag that names another image', async () => {
    const files = { 'model.onnx': new Uint8Array([9, 9]) };
    const base = parseImageReference(`${registry.host}/inference-base:docker`);
    await composeImage({ registry: client, base, repository: 'stray-models', files, tag: 'taken' });
    const error = await composeImage({
      registry: client,
      base,
      repository: 'stray-models',
      files: { 'model.onnx': new Uint8Array([1]) },
      tag: 'taken',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as Error).message).toMatch(
      /^the tag stray-models:taken already names sha256:[0-9a-f]{64}, not the composed sha256:/,
    );
  });

  it('picks linux/amd64 from an OCI index and keeps the OCI format', async () => {
    const base = parseImageReference(`${registry.host}/inference-base:oci-index`);
    const pushed = await client.getManifest('inference-base', 'oci-index');
    expect(pushed.mediaType).toBe(MEDIA_TYPES.ociIndex);
    const image = await composeImage({
      registry: client,
      base,
      repository: 'oci-models',
      files: { 'model.onnx': new TextEncoder().encode('not really a model') },
    });
    const index = JSON.parse(new TextDecoder().decode(pushed.body)) as {
      manifests: { digest: string; platform: { architecture: string } }[];
    };
    expect(image.baseDigest).toBe(index.manifests.find((m) => m.platform.architecture === 'amd64')?.digest);
    expect(image.mediaType).toBe(MEDIA_TYPES.ociManifest);
    const inspected = JSON.parse(
      await skopeo('inspect', '--no-tags', '--tls-verify=false', `docker://${image.imageUri}`),
    ) as {
      Digest: string;
      Architecture: string;
      Layers: string[];
    };
    expect(inspected).toMatchObject({ Digest: image.digest, Architecture: 'amd64' });
    expect(inspected.Layers).toHaveLength(3);
    const { dir } = await extractModelLayer(image.imageUri);
    expect(await readFile(join(dir, 'opt/model/model.onnx'), 'utf8')).toBe('not really a model');
  });

  it('copies base layers when the registry declines the cross-repository mount', async () => {
    // The mount parameters are dropped, so the registry answers as one without mount support: 202 and an
    // ordinary upload session.
    const declining = new RegistryClient({
      registry: registry.host,
      fetch: (url, init) => {
        const target = new URL(String(url));
        target.searchParams.delete('mount');
        target.searchParams.delete('from');
        return fetch(target, init);
      },
    });
    const image = await composeImage({
      registry: declining,
      base: parseImageReference(`${registry.host}/inference-base:docker`),
      repository: 'copied-models',
      files: { 'model.onnx': new Uint8Array([1, 2, 3]) },
    });
    expect(image.blobs).toEqual({ present: 0, mounted: 0, copied: 2, uploaded: 2 });
    const inspected = JSON.parse(
      await skopeo('inspect', '--no-tags', '--tls-verify=false', `docker://${image.imageUri}`),
    ) as {
      Digest: string;
    };
    expect(inspected.Digest).toBe(image.digest);
  });

  it('names the registry, repository and platform when the base cannot be used', async () => {
    const missing = await composeImage({
      registry: client,
      base: parseImageReference(`${registry.host}/inference-base:nope`),
      repository: 'slipway-models',
      files: { 'model.onnx': new Uint8Array([1]) },
    }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(RegistryError);
    expect((missing as RegistryError).status).toBe(404);
    expect((missing as Error).message).toContain(
      `manifest inference-base:nope on ${registry.host}: HTTP 404 MANIFEST_UNKNOWN`,
    );

    const platform = await composeImage({
      registry: client,
      base: parseImageReference(`${registry.host}/inference-base:oci-index`),
      repository: 'slipway-models',
      files: { 'model.onnx': new Uint8Array([1]) },
      platform: { os: 'linux', architecture: 's390x' },
    }).catch((e: unknown) => e);
    expect((platform as Error).message).toBe(
      `the base image ${registry.host}/inference-base:oci-index has no linux/s390x manifest (it has linux/arm64, linux/amd64); build the base image for that platform`,
    );
  });
});

// A pull request's training image against a real registry: Debian's docker-registry on loopback holds a
// synthetic trainer base image; the trainer this checkout built is composed on it through the
// distribution API, then checked independently with skopeo (labels, layers) and GNU tar (the layer holds
// that build, byte for byte). A stale image cannot be used by accident: a commit's tag is written once,
// and an image built from another commit is refused.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushBaseImage } from '../../../../test-helpers/oci-base-image.js';
import { type LocalRegistry, startRegistry } from '../../../../test-helpers/oci-registry.js';
import { RegistryError } from '../../src/errors.js';
import { parseImageReference } from '../../src/oci/reference.js';
import { RegistryClient } from '../../src/oci/registry.js';
import {
  checkTrainingImage,
  composeTrainingImage,
  filesDigest,
  readBuiltTrainer,
  TRAINING_IMAGE_LABELS,
} from '../../src/training-image.js';

const run = promisify(execFile);
const REPOSITORY_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const COMMIT_A = 'a'.repeat(40);
const COMMIT_B = '0123456789abcdef0123456789abcdef01234567';

let registry: LocalRegistry;
let client: RegistryClient;
let work: string;
let built: Record<string, Uint8Array>;

beforeAll(async () => {
  registry = await startRegistry();
  client = new RegistryClient({ registry: registry.host });
  work = await mkdtemp(join(tmpdir(), 'slipway-training-image-'));
  await pushBaseImage(client, 'trainer-base', 'stage', { format: 'docker' });
  built = await readBuiltTrainer(REPOSITORY_ROOT);
}, 120_000);

afterAll(async () => {
  await registry?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

async function skopeo(...args: string[]): Promise<string> {
  const { stdout } = await run('skopeo', args, { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** Copies the image out with skopeo (which verifies every blob's digest) and extracts its last layer. */
async function lastLayer(ref: string): Promise<string> {
  const copy = await mkdtemp(join(work, 'copy-'));
  await skopeo('copy', '--src-tls-verify=false', `docker://${ref}`, `dir:${copy}`);
  const manifest = JSON.parse(await readFile(join(copy, 'manifest.json'), 'utf8')) as {
    layers: { digest: string }[];
  };
  const out = await mkdtemp(join(work, 'layer-'));
  await run('tar', ['-xzf', join(copy, manifest.layers.at(-1)?.digest.slice(7) ?? ''), '-C', out]);
  return out;
}

const base = () => parseImageReference(`${registry.host}/trainer-base:stage`);

/** This build with one file changed: the trainer as a pull request would change it. */
const changedBuild = () => ({
  ...built,
  'training-job/dist/index.js': new TextEncoder().encode('// changed\n'),
});

/** Composes `files` as `commit`'s image (the same image again when it exists already). */
const composeAs = (commit: string, files: Record<string, Uint8Array>) =>
  composeTrainingImage({
    registry: client,
    baseImage: base(),
    repository: 'slipway-training',
    commit,
    files,
  });

describe('a training image from the checkout', () => {
  it('reads the built trainer: the code the Dockerfile copies, without build metadata', () => {
    const paths = Object.keys(built);
    expect(paths).toContain('training-job/package.json');
    expect(paths).toContain('training-job/bin/train.js');
    expect(paths).toContain('training-job/dist/index.js');
    expect(paths).toContain('contracts/dist/index.js');
    expect(paths.filter((p) => p.endsWith('.tsbuildinfo'))).toEqual([]);
    expect(paths.filter((p) => !/^(training-job|contracts)\//.test(p))).toEqual([]);
  });

  it('happy-path: base + one layer holding this build at /opt/slipway, labelled and tagged with the commit', async () => {
    const image = await composeTrainingImage({
      registry: client,
      baseImage: base(),
      repository: 'slipway-training',
      commit: COMMIT_B,
      files: built,
    });
    expect(image.imageUri).toBe(`${registry.host}/slipway-training@${image.digest}`);
    expect(image.tag).toBe(COMMIT_B);

    const inspected = JSON.parse(
      await skopeo(
        'inspect',
        '--no-tags',
        '--tls-verify=false',
        `docker://${registry.host}/slipway-training:${COMMIT_B}`,
      ),
    ) as { Digest: string; Layers: string[]; Labels: Record<string, string> };
    expect(inspected.Digest).toBe(image.digest);
    expect(inspected.Layers).toHaveLength(3);
    expect(inspected.Labels[TRAINING_IMAGE_LABELS.commit]).toBe(COMMIT_B);
    expect(inspected.Labels[TRAINING_IMAGE_LABELS.trainer]).toBe(filesDigest(built));

    const layer = await lastLayer(image.imageUri);
    for (const [path, bytes] of Object.entries(built)) {
      expect(new Uint8Array(await readFile(join(layer, 'opt/slipway', path))), path).toEqual(bytes);
    }
    expect(await checkTrainingImage(client, parseImageReference(image.imageUri), COMMIT_B)).toMatchObject({
      [TRAINING_IMAGE_LABELS.commit]: COMMIT_B,
    });
  });

  it('a changed trainer gives another image whose layer holds the change', async () => {
    const changed = changedBuild();
    const image = await composeTrainingImage({
      registry: client,
      baseImage: base(),
      repository: 'slipway-training',
      commit: COMMIT_A,
      files: changed,
    });
    const layer = await lastLayer(image.imageUri);
    expect(await readFile(join(layer, 'opt/slipway/training-job/dist/index.js'), 'utf8')).toBe(
      '// changed\n',
    );
    // Composing the same build again is the same image: a retried start reuses it.
    const again = await composeTrainingImage({
      registry: client,
      baseImage: base(),
      repository: 'slipway-training',
      commit: COMMIT_A,
      files: changed,
    });
    expect(again.digest).toBe(image.digest);
  });

  it('stale-image: a commit tag naming another build is refused, not trained on', async () => {
    // The commit's own build first, so the test stands alone (reused when an earlier test made it).
    await composeAs(COMMIT_B, built);
    const stale = composeTrainingImage({
      registry: client,
      baseImage: base(),
      repository: 'slipway-training',
      commit: COMMIT_B,
      files: { ...built, 'training-job/dist/index.js': new TextEncoder().encode('// another build\n') },
    });
    await expect(stale).rejects.toThrow(RegistryError);
    await expect(stale).rejects.toThrow(`the tag slipway-training:${COMMIT_B} already names`);
  });

  it('stale-image: an image built from another commit, or not pinned by digest, is refused', async () => {
    await composeAs(COMMIT_A, changedBuild());
    const digest = await client.manifestDigest('slipway-training', COMMIT_A);
    const ofA = parseImageReference(`${registry.host}/slipway-training@${digest}`);
    await expect(checkTrainingImage(client, ofA, COMMIT_B)).rejects.toThrow(
      `was built from commit ${COMMIT_A}, not ${COMMIT_B}: it would train stale code`,
    );
    await expect(
      checkTrainingImage(
        client,
        parseImageReference(`${registry.host}/slipway-training:${COMMIT_A}`),
        COMMIT_A,
      ),
    ).rejects.toThrow('is not pinned by digest');
    const baseDigest = await client.manifestDigest('trainer-base', 'stage');
    await expect(
      checkTrainingImage(
        client,
        parseImageReference(`${registry.host}/trainer-base@${baseDigest}`),
        COMMIT_A,
      ),
    ).rejects.toThrow(`no ${TRAINING_IMAGE_LABELS.commit} label`);
    await expect(
      composeTrainingImage({
        registry: client,
        baseImage: base(),
        repository: 'slipway-training',
        commit: 'main',
        files: built,
      }),
    ).rejects.toThrow('40 lowercase hex digits');
  });
});

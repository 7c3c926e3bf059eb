import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { RegistryError } from './errors.js';
import { type ComposedImage, composeImage } from './oci/compose.js';
import { formatImageReference, type ImageReference, isDigest } from './oci/reference.js';
import type { RegistryClient } from './oci/registry.js';

/** Where the built trainer sits in the training image: training-job/Dockerfile's WORKDIR. */
export const TRAINER_ROOT = 'opt/slipway';

/** The image config labels a composed training image carries. */
export const TRAINING_IMAGE_LABELS = {
  commit: 'io.slipway.git.commit',
  trainer: 'io.slipway.trainer.sha256',
} as const;

/** What the built-in trainer's image needs from a build, relative to the repository root (and to TRAINER_ROOT). */
const BUILT_TRAINER = [
  'training-job/package.json',
  'training-job/bin',
  'training-job/dist',
  'contracts/package.json',
  'contracts/dist',
];

const COMMIT = /^[0-9a-f]{40}$/;

/**
 * The built-in trainer as built in a checkout (`npm run build` first): the files the training image's
 * Dockerfile copies from the build, keyed by their path under {@link TRAINER_ROOT}. Build metadata
 * (`.tsbuildinfo`) is left out: it names the build folder, not the code.
 * @example await readBuiltTrainer(process.cwd())
 */
export async function readBuiltTrainer(repositoryRoot: string): Promise<Record<string, Uint8Array>> {
  const files: Record<string, Uint8Array> = {};
  for (const entry of BUILT_TRAINER) {
    const path = join(repositoryRoot, entry);
    const found = await readdir(path, { recursive: true, withFileTypes: true }).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
      throw new RegistryError(
        `the built trainer is incomplete: ${path} is missing; run \`npm run build\``,
        null,
        {
          cause: error,
        },
      );
    });
    if (found === null) {
      files[entry] = new Uint8Array(await readFile(path));
      continue;
    }
    for (const file of found) {
      if (!file.isFile() || file.name.endsWith('.tsbuildinfo')) continue;
      const full = join(file.parentPath, file.name);
      files[relative(repositoryRoot, full).split('\\').join('/')] = new Uint8Array(await readFile(full));
    }
  }
  return files;
}

/** One digest for a set of files: sha256 over each sorted path and its content's sha256. */
export function filesDigest(files: Readonly<Record<string, Uint8Array>>): string {
  const hash = createHash('sha256');
  for (const path of Object.keys(files).sort()) {
    hash.update(
      `${path}\0${createHash('sha256')
        .update(files[path] as Uint8Array)
        .digest('hex')}\n`,
    );
  }
  return `sha256:${hash.digest('hex')}`;
}

/** What to compose: the stage's trainer image plus one layer holding a commit's built trainer. */
export interface TrainingImageInput {
  readonly registry: RegistryClient;
  /** The stage's training image (its dependencies and entry point); the layer replaces its built code. */
  readonly baseImage: ImageReference;
  /** Target repository on the same registry. */
  readonly repository: string;
  /** The commit the trainer was built from (40 hex digits): the image's tag and label. */
  readonly commit: string;
  /** The built trainer, from {@link readBuiltTrainer}. */
  readonly files: Readonly<Record<string, Uint8Array>>;
}

/**
 * A pull request's training image, composed the way promotion composes model images (through the
 * registry API, no Docker): the stage's trainer image plus one layer with the trainer built from
 * `commit` at /opt/slipway, labelled with the commit and the files' digest, pushed by digest and
 * tagged with the commit. A commit's tag is written once: if it already names another image (another
 * build of that commit), composition is refused rather than trained on whichever image the tag names.
 * @example await composeTrainingImage({ registry, baseImage, repository: 'slipway-training', commit, files })
 */
export async function composeTrainingImage(input: TrainingImageInput): Promise<ComposedImage> {
  if (!COMMIT.test(input.commit)) {
    throw new RegistryError(
      `a training image is tagged with the full commit it was built from (40 lowercase hex digits), not "${input.commit}"`,
    );
  }
  if (Object.keys(input.files).length === 0) {
    throw new RegistryError('the built trainer holds no files; run `npm run build` first');
  }
  return composeImage({
    registry: input.registry,
    base: input.baseImage,
    repository: input.repository,
    files: input.files,
    root: TRAINER_ROOT,
    labels: {
      [TRAINING_IMAGE_LABELS.commit]: input.commit,
      [TRAINING_IMAGE_LABELS.trainer]: filesDigest(input.files),
    },
    createdBy: `slipway start: the trainer built from ${input.commit} at /${TRAINER_ROOT}`,
    tag: input.commit,
  });
}

/**
 * Refuses a training image that could be stale: one not pinned by digest (a tag can move), or one
 * whose label names another commit than the one being trained. Returns the image's config labels.
 * @example await checkTrainingImage(registry, parseImageReference(uri), commit)
 */
export async function checkTrainingImage(
  registry: RegistryClient,
  image: ImageReference,
  commit: string,
): Promise<Record<string, string>> {
  const name = formatImageReference(image);
  if (!isDigest(image.reference)) {
    throw new RegistryError(
      `the training image ${name} is not pinned by digest: a tag can move; pass <repository>@sha256:<hex>`,
    );
  }
  const manifest = JSON.parse(
    new TextDecoder().decode((await registry.getManifest(image.repository, image.reference)).body),
  ) as {
    config?: { digest?: string };
  };
  if (typeof manifest.config?.digest !== 'string') {
    throw new RegistryError(`the training image ${name} is not a single-platform image manifest`);
  }
  const config = JSON.parse(
    new TextDecoder().decode(await registry.getBlob(image.repository, manifest.config.digest)),
  ) as { config?: { Labels?: Record<string, string> | null } };
  const labels = config.config?.Labels ?? {};
  const built = labels[TRAINING_IMAGE_LABELS.commit];
  if (built !== commit) {
    throw new RegistryError(
      built === undefined
        ? `the training image ${name} does not say which commit it was built from (no ${TRAINING_IMAGE_LABELS.commit} label); compose it for ${commit} with slipway start --aws`
        : `the training image ${name} was built from commit ${built}, not ${commit}: it would train stale code; build the image for ${commit}`,
    );
  }
  return labels;
}

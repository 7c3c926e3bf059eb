import { execFile } from 'node:child_process';
import { readdir, realpath, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import {
  type AwsStage,
  type ComposedImage,
  checkTrainingImage,
  composeTrainingImage,
  formatImageReference,
  type ImageReference,
  isDigest,
  parseImageReference,
  type RegistryClient,
  RegistryError,
  readBuiltTrainer,
} from '@slipway/runner-aws';
import { UsageError } from './exit-codes.js';
import type { RunSettings } from './project.js';

const run = promisify(execFile);
const COMMIT = /^[0-9a-f]{40}$/;
/** The built-in trainer's sources, relative to the checkout: what the composed layer is built from. */
const TRAINER_SOURCES = [
  'training-job/src',
  'training-job/bin',
  'training-job/package.json',
  'contracts/src',
];

/** Where a start's training image comes from; settled before AWS is asked anything. */
export type TrainingImagePlan =
  /** `--training-image`: built for the commit by the workflow (its commit label is checked). */
  | { readonly source: 'flag'; readonly image: ImageReference; readonly commit: string }
  /** slipway.json's `trainer.image`: a team's image, pinned by digest on purpose. */
  | { readonly source: 'project'; readonly image: ImageReference }
  /** The built-in trainer as built in `checkout`, composed onto the stage's trainer image. */
  | { readonly source: 'compose'; readonly commit: string; readonly checkout: string };

/** The image a start trains with, and how it was found. */
export interface TrainingImage {
  readonly source: TrainingImagePlan['source'];
  /** `host/repository@sha256:…`: what the execution input's `trainingImage` takes. */
  readonly uri: string;
  readonly digest: string;
  /** The commit it was built from, when it says (the composed image and the workflow's do). */
  readonly commit: string | null;
  /** Set when composed here. */
  readonly composed?: ComposedImage;
}

/** The repository root the built-in trainer is built in: where `@slipway/training-job` resolves from. */
export async function defaultCheckout(): Promise<string> {
  const require = createRequire(import.meta.url);
  return dirname(dirname(await realpath(require.resolve('@slipway/training-job/package.json'))));
}

/** Parses `--training-image`: a reference pinned by digest, or a usage error saying what to pass. */
function parseTrainingImageFlag(value: string): ImageReference {
  let image: ImageReference;
  try {
    image = parseImageReference(value);
  } catch (error) {
    throw new UsageError(`--training-image ${value}: ${(error as Error).message}`, { cause: error });
  }
  if (!isDigest(image.reference)) {
    throw new UsageError(
      `--training-image ${value} is not pinned by digest: a tag can move between the build and the training job; pass <registry>/<repository>@sha256:<64 hex> (docker buildx prints it, or \`docker buildx imagetools inspect\`)`,
    );
  }
  return image;
}

async function git(checkout: string, ...args: string[]): Promise<string | null> {
  try {
    return (await run('git', ['-C', checkout, ...args], { maxBuffer: 16 * 1024 * 1024 })).stdout.trim();
  } catch {
    return null;
  }
}

/** The newest modification time under `path` (a file or a folder), 0 when it is absent. */
async function newest(path: string): Promise<{ path: string; mtimeMs: number }> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) return { path, mtimeMs: 0 };
  if (!info.isDirectory()) return { path, mtimeMs: info.mtimeMs };
  let best = { path, mtimeMs: 0 };
  for (const entry of await readdir(path, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = join(entry.parentPath, entry.name);
    const { mtimeMs } = await stat(full);
    if (mtimeMs > best.mtimeMs) best = { path: full, mtimeMs };
  }
  return best;
}

/**
 * Refuses a checkout whose build is not exactly `commit`'s trainer: another commit checked out, trainer
 * sources changed and not committed, or sources edited after the last build. A composed image is tagged
 * with its commit once, so composing anything else under that tag would stick.
 */
async function checkCheckout(checkout: string, commit: string | undefined): Promise<string> {
  const head = await git(checkout, 'rev-parse', 'HEAD');
  if (head === null) {
    throw new UsageError(
      `cannot tell which commit ${checkout} is (not a git checkout, or git is missing): the training image is tagged with the commit its trainer was built from; run from a git checkout, or pass --training-image <registry>/<repository>@sha256:<hex>`,
    );
  }
  if (commit !== undefined && commit !== head) {
    throw new UsageError(
      `--commit ${commit}, but ${checkout} is at ${head}: its build is ${head.slice(0, 12)}'s trainer; check out ${commit} and build it (the pull request workflow checks out the pull request's head commit)`,
    );
  }
  const dirty = await git(checkout, 'status', '--porcelain', '--', ...TRAINER_SOURCES);
  if (dirty) {
    throw new UsageError(
      `the trainer's sources in ${checkout} have changes that are not committed:\n  ${dirty.split('\n').slice(0, 10).join('\n  ')}\nThe training image is tagged with the commit once; commit them (or stash them) first`,
    );
  }
  const built = await Promise.all(
    ['training-job/dist/.tsbuildinfo', 'contracts/dist/.tsbuildinfo'].map((p) => newest(join(checkout, p))),
  );
  const changed = await Promise.all(TRAINER_SOURCES.map((p) => newest(join(checkout, p))));
  const oldestBuild = Math.min(...built.map((b) => b.mtimeMs));
  const latest = changed.reduce((a, b) => (b.mtimeMs > a.mtimeMs ? b : a));
  if (oldestBuild === 0 || latest.mtimeMs > oldestBuild) {
    throw new UsageError(
      oldestBuild === 0
        ? `the built-in trainer is not built in ${checkout}: run \`npm run build\` first`
        : `the built trainer in ${checkout} is older than its sources (${latest.path} changed after the last build): run \`npm run build\` first, or it would train the old code`,
    );
  }
  return head;
}

/**
 * Settles where the training image comes from, before AWS is asked anything: `--training-image` over
 * slipway.json's `trainer.image` over, for the built-in trainer, composing this checkout's build. A
 * command trainer with neither is refused with what to do.
 */
export async function planTrainingImage(options: {
  readonly settings: RunSettings;
  readonly flag: string | undefined;
  readonly commit: string;
  readonly checkout: () => Promise<string>;
}): Promise<TrainingImagePlan> {
  const { settings, flag } = options;
  const given = options.commit === '' ? undefined : options.commit;
  if (given !== undefined && !COMMIT.test(given)) {
    throw new UsageError(
      `--commit ${given}: the training image is labelled with the full commit (40 lowercase hex digits), e.g. $(git rev-parse HEAD)`,
    );
  }
  if (flag !== undefined) {
    const image = parseTrainingImageFlag(flag);
    const commit = given ?? (await git(await options.checkout(), 'rev-parse', 'HEAD'));
    if (commit === null) {
      throw new UsageError(
        '--training-image needs --commit <sha>: the image is checked to be built from the commit being trained',
      );
    }
    return { source: 'flag', image, commit };
  }
  if (settings.trainer.type === 'command') {
    if (settings.trainerImage !== undefined) {
      try {
        return { source: 'project', image: parseImageReference(settings.trainerImage) };
      } catch (error) {
        throw new UsageError(`slipway.json trainer.image: ${(error as Error).message}`, { cause: error });
      }
    }
    const program = settings.trainer.command.join(' ');
    throw new UsageError(
      settings.trainerDockerfile === undefined
        ? `the command trainer (${program}) runs on AWS in a container image, and slipway.json names none: set trainer.image to <registry>/<repository>@sha256:<hex>, or set trainer.dockerfile and pass the image built from it with --training-image <…@sha256:…> (train-on-pr.yml builds and passes it); \`slipway run\` runs the command on this machine`
        : `the command trainer (${program}) runs on AWS in the image built from ${settings.trainerDockerfile}: build and push it to the stage's training repository, then pass --training-image <registry>/<repository>@sha256:<hex> (train-on-pr.yml does both)`,
    );
  }
  const checkout = await options.checkout();
  const commit = await checkCheckout(checkout, given);
  return { source: 'compose', commit, checkout };
}

/** How the CLI reaches the stage's registry: ECR with a token, or (in tests) a local registry. */
export type RegistryFor = (host: string) => RegistryClient | Promise<RegistryClient>;

/**
 * Resolves a plan against the stage: the image must be in the stage's training repository (the only one
 * its training jobs may pull from), pinned by digest and, when it says which commit built it, built from
 * the commit being trained. The built-in trainer is composed here: the stage's trainer image plus one
 * layer with this checkout's build, tagged with the commit.
 */
export async function resolveTrainingImage(
  plan: TrainingImagePlan,
  stage: AwsStage,
  registryFor: RegistryFor,
): Promise<TrainingImage> {
  // The stage's trainer image, as the stage outputs it (for verify's rebuilds too); its repository is
  // the stage's training repository, the only one the stage's training jobs pull from.
  const base = parseImageReference(stage.need('VerifyTrainingImageUri'));
  const registry = await registryFor(base.registry);
  if (plan.source === 'compose') {
    const composed = await composeTrainingImage({
      registry,
      baseImage: base,
      repository: base.repository,
      commit: plan.commit,
      files: await readBuiltTrainer(plan.checkout),
    });
    // Read back through the registry: what the training job will pull says the commit it trains.
    await checkTrainingImage(registry, parseImageReference(composed.imageUri), plan.commit);
    return {
      source: 'compose',
      uri: composed.imageUri,
      digest: composed.digest,
      commit: plan.commit,
      composed,
    };
  }
  const name = formatImageReference(plan.image);
  if (plan.image.registry !== base.registry || plan.image.repository !== base.repository) {
    throw new RegistryError(
      `the training image ${name} is not in the stage's training repository ${base.registry}/${base.repository}: the stage's training jobs can pull only from there; push it there and pass its digest`,
    );
  }
  if (plan.source === 'flag') {
    await checkTrainingImage(registry, plan.image, plan.commit);
    return { source: 'flag', uri: name, digest: plan.image.reference, commit: plan.commit };
  }
  if ((await registry.manifestDigest(plan.image.repository, plan.image.reference)) === null) {
    throw new RegistryError(
      `the training image ${name} (slipway.json trainer.image) is not in ${base.registry}/${base.repository}; push it there, or fix the digest`,
    );
  }
  return { source: 'project', uri: name, digest: plan.image.reference, commit: null };
}

// `slipway start --aws` against a real registry and a StartExecution double: the stage's trainer image is
// a synthetic base in Debian's docker-registry on loopback (its tags immutable, as in the stage's ECR
// repository), the checkout is a git repository holding this repository's built trainer, and the
// execution input reaches a double of StartExecution that refuses what the API refuses. skopeo and GNU
// tar check independently that the composed image holds the build the execution trains with.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { type ModelStore, openStore } from '@slipway/model-store';
import {
  composeTrainingImage,
  filesDigest,
  parseImageReference,
  RegistryClient,
  readBuiltTrainer,
  TRAINING_IMAGE_LABELS,
} from '@slipway/runner-aws';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeAws } from '../../../../../test-helpers/aws-fake-client.js';
import { pushBaseImage } from '../../../../../test-helpers/oci-base-image.js';
import { type LocalRegistry, startRegistry } from '../../../../../test-helpers/oci-registry.js';
import { recordSteps, STATE_MACHINE_ARN, stackOutputs } from '../../../../../test-helpers/sfn-history.js';
import { StartExecutionDouble } from '../../../../../test-helpers/sfn-start-execution.js';
import { EXIT_CODES } from '../../../src/exit-codes.js';
import { fakeClients, slipwayAws } from '../../helpers/aws-cli.js';
import { type TrainerCheckout, trainerCheckout } from '../../helpers/trainer-checkout.js';

const run = promisify(execFile);
const REPOSITORY_ROOT = fileURLToPath(new URL('../../../../../', import.meta.url));
const NOW = Date.parse('2025-03-01T12:00:00Z');
/** The stage's training repository, and its trainer image (the base a pull request's build goes onto). */
const REPOSITORY = 'slipway-dev/training';

let registry: LocalRegistry;
let client: RegistryClient;
let built: Record<string, Uint8Array>;
let root: string;
let storeUri: string;
let store: ModelStore;
let checkout: TrainerCheckout;
let cloudformation: FakeAws;
let sfn: FakeAws;
let executions: StartExecutionDouble;
let fake: ReturnType<typeof fakeClients>;

beforeAll(async () => {
  registry = await startRegistry();
  client = new RegistryClient({ registry: registry.host });
  await pushBaseImage(client, REPOSITORY, 'stage', { format: 'docker' });
  built = await readBuiltTrainer(REPOSITORY_ROOT);
}, 120_000);

afterAll(async () => {
  await registry?.stop();
});

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'slipway-start-aws-'));
  storeUri = `file://${join(root, 'store')}`;
  store = await openStore(storeUri, { actor: 'test' });
  checkout = await trainerCheckout(join(root, 'checkout'), built);
  cloudformation = new FakeAws().on(
    DescribeStacksCommand,
    stackOutputs(storeUri, { VerifyTrainingImageUri: `${registry.host}/${REPOSITORY}:stage` }),
  );
  executions = new StartExecutionDouble(STATE_MACHINE_ARN, () => new Date(NOW));
  sfn = new FakeAws()
    .on(StartExecutionCommand, executions.reply)
    .on(DescribeExecutionCommand, { status: 'RUNNING' });
  fake = fakeClients({ cloudformation, sfn, logs: new FakeAws() });
});

afterEach(async () => {
  await store.close();
  await rm(root, { recursive: true, force: true });
});

const deps = () => ({
  clients: fake.clients,
  sleep: async () => {},
  now: () => NOW,
  registry: () => client,
  checkout: checkout.root,
});

/** The inputs Step Functions was started with, in order. */
const startedInputs = () => executions.started().map((e) => e.input);

async function skopeo(...args: string[]): Promise<string> {
  return (await run('skopeo', args, { maxBuffer: 64 * 1024 * 1024 })).stdout;
}

/** The image as skopeo sees it, and its last layer extracted with GNU tar (skopeo checks every blob's digest). */
async function inspect(
  ref: string,
): Promise<{ labels: Record<string, string>; layers: number; layer: string }> {
  const info = JSON.parse(await skopeo('inspect', '--tls-verify=false', `docker://${ref}`)) as {
    Labels: Record<string, string>;
    Layers: string[];
  };
  const copy = await mkdtemp(join(root, 'copy-'));
  await skopeo('copy', '--src-tls-verify=false', `docker://${ref}`, `dir:${copy}`);
  const manifest = JSON.parse(await readFile(join(copy, 'manifest.json'), 'utf8')) as {
    layers: { digest: string }[];
  };
  const layer = await mkdtemp(join(root, 'layer-'));
  await run('tar', ['-xzf', join(copy, manifest.layers.at(-1)?.digest.slice(7) ?? ''), '-C', layer]);
  return { labels: info.Labels, layers: info.Layers.length, layer };
}

describe('slipway start --aws trains the checkout it runs in', () => {
  it('happy-path: composes this build onto the stage image, starts with its digest, waits for approval, writes the PR comment', async () => {
    const commit = await checkout.head();
    sfn.on(DescribeExecutionCommand, async (input: { executionArn: string }, n: number) => {
      if (n === 2) await recordSteps(store, input.executionArn, 'Approval');
      return { status: 'RUNNING' };
    });
    const commentFile = join(root, 'out.md');
    const result = await slipwayAws(
      deps(),
      'start',
      '--aws',
      '--wait',
      '--commit',
      commit,
      '--pr',
      '17',
      '--comment-file',
      commentFile,
      '--region',
      'eu-west-1',
      '--json',
    );
    expect(result.stderr).not.toContain('error');
    expect(result.code).toBe(0);
    expect(fake.regions).toEqual(['eu-west-1']);

    const [start] = sfn.inputs(StartExecutionCommand);
    const [input] = startedInputs();
    const [sha256] = await store.listDatasetVersions('sentiment');
    expect(start?.stateMachineArn).toBe(STATE_MACHINE_ARN);
    expect(start?.name).toBe(`sentiment-${input?.runId}`);
    const digest = await client.manifestDigest(REPOSITORY, commit);
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(input).toMatchObject({
      model: 'sentiment',
      dataset: { name: 'sentiment', sha256 },
      compute: 'sagemaker',
      trainer: { type: 'builtin' },
      trainingImage: `${registry.host}/${REPOSITORY}@${digest}`,
      git: { commit, pullRequest: '17' },
      trigger: 'pull-request',
      thresholds: { minAccuracy: 0, minBaselineGain: 0.2, maxRegression: 0.01, minClassF1: 0 },
    });
    expect(String(input?.runId)).toMatch(/^20250301t120000-[0-9a-f]{6}$/);
    expect(result.stderr).toContain(
      `training  ${registry.host}/${REPOSITORY}@${digest}   (the stage's trainer image + this checkout's build of ${commit})`,
    );

    // The image the execution names holds this build, byte for byte, on top of the stage's two layers.
    const image = await inspect(String(input?.trainingImage));
    expect(image.layers).toBe(3);
    expect(image.labels[TRAINING_IMAGE_LABELS.commit]).toBe(commit);
    expect(image.labels[TRAINING_IMAGE_LABELS.trainer]).toBe(filesDigest(built));
    for (const [path, bytes] of Object.entries(built)) {
      expect(new Uint8Array(await readFile(join(image.layer, 'opt/slipway', path))), path).toEqual(bytes);
    }

    const output = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(output).toMatchObject({
      name: start?.name,
      status: 'WAITING_FOR_APPROVAL',
      version: 4,
      stage: 'dev',
      commit,
      trainingImage: input?.trainingImage,
    });
    const comment = await readFile(commentFile, 'utf8');
    expect(comment.split('\n')[0]).toBe('<!-- slipway-evaluation -->');
    expect(comment).toContain(
      `Trained from commit \`${commit}\` in image \`${input?.trainingImage}\` (the execution input).`,
    );
    expect(comment).toContain(`slipway approve --aws ${start?.name} --comment "<why>"`);
    expect(comment).toContain('| F1 `positive` | 85.2% | 84.0% |');
    expect(result.stderr).toContain('  ok  Register');
    // Followed without the history, which would show the approval's task token.
    expect(sfn.inputs(GetExecutionHistoryCommand)).toEqual([]);
  });

  it('a changed trainer: the next commit trains in another image whose layer holds the change', async () => {
    const first = await checkout.head();
    expect((await slipwayAws(deps(), 'start', '--aws', '--commit', first, '--json')).code).toBe(0);
    const changed = await checkout.commit('the trainer changes', {
      'training-job/src/index.ts': 'export const trainer = 2;\n',
      'training-job/dist/index.js': '// the changed trainer\n',
    });
    // Without --commit the checkout's HEAD is the commit.
    const second = await slipwayAws(deps(), 'start', '--aws', '--json');
    expect(second.stderr).not.toContain('error');
    expect(second.code).toBe(0);

    const [before, after] = startedInputs();
    expect(before?.trainingImage).not.toBe(after?.trainingImage);
    expect(after).toMatchObject({
      git: { commit: changed },
      trainingImage: `${registry.host}/${REPOSITORY}@${await client.manifestDigest(REPOSITORY, changed)}`,
    });
    const image = await inspect(String(after?.trainingImage));
    expect(image.labels[TRAINING_IMAGE_LABELS.commit]).toBe(changed);
    expect(await readFile(join(image.layer, 'opt/slipway/training-job/dist/index.js'), 'utf8')).toBe(
      '// the changed trainer\n',
    );
    // The first commit's image still holds the first build.
    const old = await inspect(String(before?.trainingImage));
    expect(await readFile(join(old.layer, 'opt/slipway/training-job/dist/index.js'))).toEqual(
      Buffer.from(built['training-job/dist/index.js'] ?? new Uint8Array()),
    );
  });

  it('a retried start of the same commit reuses its image (tags are immutable)', async () => {
    const commit = await checkout.head();
    expect((await slipwayAws(deps(), 'start', '--aws', '--commit', commit, '--json')).code).toBe(0);
    expect((await slipwayAws(deps(), 'start', '--aws', '--commit', commit, '--json')).code).toBe(0);
    const [a, b] = startedInputs();
    expect(a?.trainingImage).toBe(b?.trainingImage);
  });
});

describe('stale-image: a stale trainer cannot be trained by accident', () => {
  it('refuses another commit than the one checked out, uncommitted trainer changes, and a build older than its sources', async () => {
    const head = await checkout.head();
    const other = 'f'.repeat(40);
    const wrong = await slipwayAws(deps(), 'start', '--aws', '--commit', other);
    expect(wrong.code).toBe(EXIT_CODES.usage);
    expect(wrong.stderr).toContain(`--commit ${other}, but ${checkout.root} is at ${head}`);

    await checkout.write({ 'training-job/src/index.ts': 'export const trainer = 3;\n' });
    const dirty = await slipwayAws(deps(), 'start', '--aws');
    expect(dirty.code).toBe(EXIT_CODES.usage);
    expect(dirty.stderr).toContain("the trainer's sources in");
    expect(dirty.stderr).toContain('M training-job/src/index.ts');

    // Committed, but edited after the last build: the build is the old code.
    await run('git', ['-C', checkout.root, 'checkout', '--', 'training-job/src/index.ts']);
    const later = new Date(Date.now() + 60_000);
    await utimes(join(checkout.root, 'contracts/src/index.ts'), later, later);
    const unbuilt = await slipwayAws(deps(), 'start', '--aws');
    expect(unbuilt.code).toBe(EXIT_CODES.usage);
    expect(unbuilt.stderr).toContain('is older than its sources');
    expect(unbuilt.stderr).toContain('run `npm run build` first');

    // Nothing was pushed or started.
    expect(await client.manifestDigest(REPOSITORY, head)).toBeNull();
    expect(sfn.calls).toEqual([]);
  });

  it('refuses a commit whose tag already names another build', async () => {
    const commit = await checkout.head();
    // Another build was composed under this commit's tag (e.g. from a checkout with other changes).
    await composeTrainingImage({
      registry: client,
      baseImage: parseImageReference(`${registry.host}/${REPOSITORY}:stage`),
      repository: REPOSITORY,
      commit,
      files: { ...built, 'training-job/dist/index.js': new TextEncoder().encode('// another build\n') },
    });
    const result = await slipwayAws(deps(), 'start', '--aws');
    expect(result.code).toBe(EXIT_CODES.failed);
    expect(result.stderr).toContain(`the tag ${REPOSITORY}:${commit} already names`);
    expect(sfn.inputs(StartExecutionCommand)).toEqual([]);
  });

  it('--training-image: a tag is refused before AWS is asked; an image of another commit, or of another repository, is refused', async () => {
    const commit = await checkout.head();
    const tagged = await slipwayAws(
      deps(),
      'start',
      '--aws',
      '--training-image',
      `${registry.host}/${REPOSITORY}:${commit}`,
    );
    expect(tagged.code).toBe(EXIT_CODES.usage);
    expect(tagged.stderr).toContain('is not pinned by digest');
    expect(cloudformation.calls).toEqual([]);

    // An image built for an older commit: its label says so.
    const older = 'e'.repeat(40);
    const stale = await composeTrainingImage({
      registry: client,
      baseImage: parseImageReference(`${registry.host}/${REPOSITORY}:stage`),
      repository: REPOSITORY,
      commit: older,
      files: built,
    });
    const commentFile = join(root, 'out.md');
    const refused = await slipwayAws(
      deps(),
      'start',
      '--aws',
      '--commit',
      commit,
      '--training-image',
      stale.imageUri,
      '--comment-file',
      commentFile,
    );
    expect(refused.code).toBe(EXIT_CODES.failed);
    expect(refused.stderr).toContain(
      `was built from commit ${older}, not ${commit}: it would train stale code`,
    );
    // The pull request says why nothing was trained.
    const comment = (await readFile(commentFile, 'utf8')).split('\n');
    expect(comment.slice(0, 2)).toEqual([
      '<!-- slipway-evaluation -->',
      '### slipway: nothing was trained for this pull request',
    ]);
    expect(comment).toContain(
      `the training image ${stale.imageUri} was built from commit ${older}, not ${commit}: it would train stale code; build the image for ${commit}`,
    );

    const elsewhere = await slipwayAws(
      deps(),
      'start',
      '--aws',
      '--commit',
      older,
      '--training-image',
      stale.imageUri.replace(REPOSITORY, 'someone-else/trainer'),
    );
    expect(elsewhere.code).toBe(EXIT_CODES.failed);
    expect(elsewhere.stderr).toContain(
      `is not in the stage's training repository ${registry.host}/${REPOSITORY}`,
    );
    expect(sfn.inputs(StartExecutionCommand)).toEqual([]);
  });
});

describe('a command trainer on AWS', () => {
  const project = async (trainer: Record<string, unknown>) =>
    writeFile(join(root, 'slipway.json'), JSON.stringify({ trainer }));

  it('trains in the image built for the commit (--training-image), or the one slipway.json pins', async () => {
    const commit = 'c'.repeat(40);
    // The workflow's image of a Dockerfile trainer: labelled with the commit it was built from.
    const workflowImage = await composeTrainingImage({
      registry: client,
      baseImage: parseImageReference(`${registry.host}/${REPOSITORY}:stage`),
      repository: REPOSITORY,
      commit,
      files: { 'train.py': new TextEncoder().encode('print("trained")\n') },
    });
    await project({ command: ['python3', 'train.py'], dockerfile: 'Dockerfile' });
    const flagged = await slipwayAws(
      deps(),
      'start',
      '--aws',
      '--project',
      root,
      '--commit',
      commit,
      '--pr',
      '5',
      '--training-image',
      workflowImage.imageUri,
      '--json',
    );
    expect(flagged.stderr).not.toContain('error');
    expect(flagged.code).toBe(0);
    expect(flagged.stderr).toContain(`(--training-image, built from ${commit})`);

    const pinned = `${registry.host}/${REPOSITORY}@${workflowImage.digest}`;
    await project({ command: ['python3', 'train.py'], image: pinned });
    const fromProject = await slipwayAws(deps(), 'start', '--aws', '--project', root, '--json');
    expect(fromProject.code).toBe(0);
    expect(fromProject.stderr).toContain('(slipway.json trainer.image)');

    expect(startedInputs().map((i) => [i.trainingImage, i.trainer, i.git])).toEqual([
      [
        workflowImage.imageUri,
        { type: 'command', command: ['python3', 'train.py'], workdir: root },
        { commit, pullRequest: '5' },
      ],
      [pinned, { type: 'command', command: ['python3', 'train.py'], workdir: root }, expect.anything()],
    ]);
  });

  it('a pinned image that is not in the repository is refused before anything starts', async () => {
    await project({
      command: ['python3', 'train.py'],
      image: `${registry.host}/${REPOSITORY}@sha256:${'0'.repeat(64)}`,
    });
    const result = await slipwayAws(deps(), 'start', '--aws', '--project', root);
    expect(result.code).toBe(EXIT_CODES.failed);
    expect(result.stderr).toContain('(slipway.json trainer.image) is not in');
    expect(sfn.inputs(StartExecutionCommand)).toEqual([]);
  });
});

describe('what start --aws passes on besides the image', () => {
  it('gate-fails: the comment says so and the command fails', async () => {
    sfn.on(DescribeExecutionCommand, async (input: { executionArn: string }) => {
      await recordSteps(store, input.executionArn, 'Evaluate');
      return { status: 'FAILED', error: 'GateFailed', cause: 'accuracy 0.41 < 0.60' };
    });
    const commentFile = join(root, 'out.md');
    const result = await slipwayAws(deps(), 'start', '--aws', '--wait', '--comment-file', commentFile);
    expect(result.code).toBe(EXIT_CODES.gateFailed);
    expect(result.stderr).toContain('is FAILED (GateFailed: accuracy 0.41 < 0.60)');
    const comment = await readFile(commentFile, 'utf8');
    expect(comment).toContain('### slipway: the candidate did not pass the gate');
    expect(comment).toContain(`Trained from commit \`${await checkout.head()}\` in image \``);
  });

  it('--compute picks where training runs; --trainer, its old name, still works with a one-line warning', async () => {
    const current = await slipwayAws(deps(), 'start', '--aws', '--compute', 'fargate', '--json');
    expect(current.code).toBe(0);
    expect(current.stderr).not.toContain('deprecated');
    const old = await slipwayAws(deps(), 'start', '--aws', '--trainer', 'fargate', '--json');
    expect(old.code).toBe(0);
    expect(old.stderr.split('\n').filter((line) => line.includes('--trainer'))).toEqual([
      'warning: --trainer fargate is deprecated; use --compute fargate',
    ]);
    const defaulted = await slipwayAws(deps(), 'start', '--aws', '--json');
    expect(defaulted.code).toBe(0);
    // trainer names the training code now: the built-in one, whatever the compute.
    expect(startedInputs().map((input) => [input.compute, input.trainer])).toEqual([
      ['fargate', { type: 'builtin' }],
      ['fargate', { type: 'builtin' }],
      ['sagemaker', { type: 'builtin' }],
    ]);
  });

  it('reads slipway.json: model, data, hyperparameters, gate and compute, each overridden by its flag', async () => {
    await writeFile(
      join(root, 'slipway.json'),
      JSON.stringify({
        model: 'reviews',
        data: { train: 'builtin:spam' },
        hyperparameters: { C: 4, ngramMax: 3 },
        thresholds: { minAccuracy: 0.7 },
        compute: 'fargate',
      }),
    );
    const fromFile = await slipwayAws(deps(), 'start', '--aws', '--project', root, '--json');
    expect(fromFile.code).toBe(0);
    expect(fromFile.stderr).toContain(`project   ${join(root, 'slipway.json')}`);
    const flagged = await slipwayAws(
      deps(),
      'start',
      '--aws',
      '--project',
      root,
      '--model',
      'other',
      '--hp',
      'C=2',
      '--min-accuracy',
      '0.5',
      '--compute',
      'sagemaker',
      '--json',
    );
    expect(flagged.code).toBe(0);
    const [first, second] = startedInputs();
    expect(first).toMatchObject({
      model: 'reviews',
      dataset: { name: 'spam' },
      hyperparameters: { C: '4', ngramMax: '3' },
      thresholds: { minAccuracy: 0.7 },
      compute: 'fargate',
    });
    expect(second).toMatchObject({
      model: 'other',
      dataset: { name: 'spam' },
      hyperparameters: { C: '2', ngramMax: '3' },
      thresholds: { minAccuracy: 0.5 },
      compute: 'sagemaker',
    });
  });
});

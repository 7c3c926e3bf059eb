// `slipway verify --aws` end to end: the stage's outputs (CloudFormation DescribeStacks), the rebuild as a
// training job of the stage on the SageMaker double (test-helpers/sagemaker-double.ts, after the
// CreateTrainingJob, DescribeTrainingJob and StopTrainingJob pages), and the stage's store on the local
// S3-compatible server, where the rebuild's model is read back and the verification recorded.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { layout, type ModelManifest } from '@slipway/contracts';
import { type ModelStore, openStore } from '@slipway/model-store';
import { type AwsClients, sageMakerCall } from '@slipway/runner-aws';
import { storeDataset } from '@slipway/runner-local';
import {
  buildOnnxModel,
  type Dataset,
  modelMetadata,
  resolveHyperparameters,
  type TrainResult,
  trainerVersion,
  trainModel,
  writeModelDir,
} from '@slipway/training-job';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { FakeAws } from '../../../../../test-helpers/aws-fake-client.js';
import { authorize, type PolicyStatement } from '../../../../../test-helpers/iam-policy.js';
import { sageMakerDouble } from '../../../../../test-helpers/sagemaker-double.js';
import { stackOutputs } from '../../../../../test-helpers/sfn-history.js';
import { localS3Target } from '../../../../../test-helpers/store-targets.js';
import { synthesizedCallers } from '../../../../../test-helpers/synthesized-roles.js';
import { createVerifyCommands } from '../../../src/verify.js';
import { slipwayWith } from '../../helpers/aws-cli.js';

const IMAGE = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipway-dev-training@sha256:${'e'.repeat(64)}`;
const STAGE_IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipway-dev-training:0f1e2d';
const ROLE = 'arn:aws:iam::123456789012:role/slipway-dev-training-SageMakerRole';
const PREFIX = 'slipway-dev-verify';

const target = localS3Target();
let dir: string;
let storeUri: string;
let store: ModelStore;
let dataset: Dataset;
let sagemaker: ReturnType<typeof sageMakerDouble>;
let cloudformation: FakeAws;

const verifyOutputs = (overrides: Record<string, string> = {}) =>
  stackOutputs(storeUri, {
    VerifySageMakerRoleArn: ROLE,
    VerifyTrainingImageUri: STAGE_IMAGE,
    VerifyInstanceType: 'ml.m5.large',
    VerifyJobNamePrefix: PREFIX,
    VerifyPolicyArn: 'arn:aws:iam::123456789012:policy/slipway-dev-verify-on-aws',
    ...overrides,
  });

beforeAll(async () => {
  await target.start();
  dir = await mkdtemp(join(tmpdir(), 'slipway-cli-verify-aws-'));
  storeUri = target.freshUri();
  store = await openStore(storeUri, { ...target.options(), actor: 'test' });
  ({ dataset } = await storeDataset(store, 'builtin:sentiment'));
}, 60_000);
afterAll(async () => {
  await store?.close();
  await target.stop();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  sagemaker = sageMakerDouble({ store, images: [IMAGE] });
  cloudformation = new FakeAws().on(DescribeStacksCommand, verifyOutputs());
});

/** `slipway verify <args> --aws --json` in-process, on the double, the fake stack and the local S3 store. */
async function verifyAws(...args: string[]) {
  const regions: string[] = [];
  const { code, stdout, stderr } = await slipwayWith(
    createVerifyCommands({
      clients: async () =>
        ({ cloudformation: cloudformation.client() }) as Pick<AwsClients, 'cloudformation'>,
      sageMaker: (region) => {
        regions.push(region);
        // The real adapter over the double's JSON protocol.
        return sageMakerCall(region, sagemaker.fetch);
      },
      openStore: (uri) => openStore(uri, { ...target.options(), actor: 'operator' }),
      wait: async () => {},
    }),
    'verify',
    ...args,
    '--aws',
    '--json',
  );
  return {
    code,
    stdout,
    stderr,
    record: stdout.trim() === '' ? undefined : JSON.parse(stdout),
    regions,
  };
}

/** Trains in-process, as a training job in IMAGE would record it (or `image: null`, as slipway run does). */
async function register(
  name: string,
  options: {
    image: string | null;
    change?: (r: TrainResult) => { manifest: ModelManifest; bytes: Uint8Array };
  },
): Promise<number> {
  const passed = { C: '4', ngram_max: '1' };
  const result = await trainModel(dataset, resolveHyperparameters(passed), {
    name,
    lineage: { hyperparametersPassed: passed, ...(options.image ? { image: options.image } : {}) },
  });
  const changed = options.change?.(result) ?? { manifest: result.manifest, bytes: result.modelBytes };
  const out = join(dir, `${name}-${Math.random().toString(16).slice(2)}`);
  const manifest = await writeModelDir(out, {
    ...result,
    manifest: changed.manifest,
    modelBytes: changed.bytes,
  });
  return (await store.registerModel({ name, files: out, manifest })).version;
}

const creates = () => sagemaker.calls.filter((c) => c.action === 'CreateTrainingJob').map((c) => c.body);

describe('slipway verify --aws', () => {
  test('reproducible (exit 0): one training job in the recorded image, as the stage says, read back from the store', async () => {
    const version = await register('reviews', { image: IMAGE });
    const { code, record, stderr, regions } = await verifyAws('reviews', String(version));
    expect(stderr).toMatch(/checksum matches/);
    expect(record).toMatchObject({ model: 'reviews', version, outcome: 'reproducible', where: 'aws' });
    expect(record.rebuiltSha256).toBe(record.registeredSha256);
    // The rebuild's lineage names the same image (SLIPWAY_TRAINING_IMAGE): nothing recorded differs.
    expect(record.environment.image).toBe(IMAGE);
    expect(record.differences).toEqual([]);
    expect(code).toBe(0);
    // The region is the stage's (from its state machine's ARN); the request is the stage's role, instance
    // type and prefix, with the image digest the lineage records and the stored dataset as channels.
    expect(regions).toEqual(['eu-west-1']);
    expect(new Set(sagemaker.urls)).toEqual(new Set(['https://api.sagemaker.eu-west-1.amazonaws.com/']));
    const [job] = creates();
    expect(job).toMatchObject({
      AlgorithmSpecification: { TrainingImage: IMAGE },
      RoleArn: ROLE,
      ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
      Environment: { SLIPWAY_MODEL_NAME: 'reviews', SLIPWAY_TRAINING_IMAGE: IMAGE },
      OutputDataConfig: { S3OutputPath: `${storeUri}/runs` },
      InputDataConfig: [
        {
          DataSource: {
            S3DataSource: { S3Uri: `${storeUri}/${layout.datasetVersion('sentiment', dataset.sha256)}train` },
          },
        },
        {
          DataSource: {
            S3DataSource: { S3Uri: `${storeUri}/${layout.datasetVersion('sentiment', dataset.sha256)}test` },
          },
        },
      ],
    });
    expect(String(job?.TrainingJobName)).toMatch(new RegExp(`^${PREFIX}-reviews-${version}-1-[0-9a-f]{8}$`));
    expect(sagemaker.calls.map((c) => c.action)).toEqual([
      'CreateTrainingJob',
      'DescribeTrainingJob',
      'DescribeTrainingJob',
    ]);
    const records = await store.listVerifications('reviews', version);
    expect(records).toMatchObject([{ outcome: 'reproducible', where: 'aws', by: 'operator' }]);
  });

  test('trained by another trainer version: differs (exit 8), after a second job tells it from a non-deterministic trainer', async () => {
    const older = '0.0.9';
    const version = await register('older', {
      image: IMAGE,
      change: ({ model, manifest }) => ({
        bytes: buildOnnxModel(
          model,
          modelMetadata(model, { 'slipway.model_name': 'older', 'slipway.dataset_sha256': dataset.sha256 }),
          older,
        ),
        manifest: {
          ...manifest,
          lineage: {
            ...manifest.lineage,
            trainer: { type: 'builtin', version: older },
            trainerVersion: older,
          },
        },
      }),
    });
    const { code, record } = await verifyAws('older', String(version));
    expect(record.outcome).toBe('differs');
    expect(record.differences).toContainEqual({
      field: 'trainer',
      recorded: `builtin ${older}`,
      rebuilt: `builtin ${trainerVersion}`,
    });
    expect(code).toBe(8);
    const names = creates().map((b) => String(b.TrainingJobName));
    expect(names).toHaveLength(2);
    expect(names[0]).toMatch(new RegExp(`^${PREFIX}-older-${version}-1-`));
    expect(names[1]).toMatch(new RegExp(`^${PREFIX}-older-${version}-2-`));
  });

  test('a lineage without an image digest is unverifiable on AWS (exit 11): no training job is started', async () => {
    const version = await register('laptop', { image: null });
    const { code, record } = await verifyAws('laptop', String(version));
    expect(record).toMatchObject({ outcome: 'unverifiable', where: 'aws', rebuiltSha256: null });
    expect(record.summary).toMatch(
      `records no training image digest (it was trained outside an image, e.g. by slipway run): a training job of the stage would run the stage's image ${STAGE_IMAGE}, not what trained it; verify it locally`,
    );
    expect(code).toBe(11);
    expect(sagemaker.calls).toEqual([]);
  });

  test('a dataset changed in the stage store is refused before any training job (exit 10)', async () => {
    const { dataset: copy } = await storeDataset(store, 'builtin:spam');
    const passed = { C: '4', ngram_max: '1' };
    const result = await trainModel(copy, resolveHyperparameters(passed), {
      name: 'mail',
      lineage: { hyperparametersPassed: passed, image: IMAGE },
    });
    const out = join(dir, 'mail');
    const manifest = await writeModelDir(out, result);
    const { version } = await store.registerModel({ name: 'mail', files: out, manifest });
    await store.backend.put(
      layout.datasetFile(copy.name, copy.sha256, 'test.jsonl'),
      new TextEncoder().encode('{"text":"changed","label":"ham"}\n'),
    );
    const { code, record } = await verifyAws('mail', String(version));
    expect(record).toMatchObject({ outcome: 'dataset-refused', where: 'aws', rebuiltSha256: null });
    expect(code).toBe(10);
    expect(sagemaker.calls).toEqual([]);
  }, 120_000);

  test("SageMaker's refusals and a failed job end the command with their reason (exit 1) and record nothing", async () => {
    // An image the lineage names that no longer exists: CreateTrainingJob's ValidationException.
    const other = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipway-dev-training@sha256:${'a'.repeat(64)}`;
    const gone = await register('gone', { image: other });
    const refused = await verifyAws('gone', String(gone));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `SageMaker CreateTrainingJob refused: ValidationException: image ${other} does not exist`,
    );
    expect(await store.listVerifications('gone', gone)).toEqual([]);

    // Hyperparameters the trainer refuses: the job fails and its FailureReason is the message.
    const bad = await register('bad', {
      image: IMAGE,
      change: ({ manifest, modelBytes }) => ({
        bytes: modelBytes,
        manifest: { ...manifest, lineage: { ...manifest.lineage, hyperparametersPassed: { C: 'lots' } } },
      }),
    });
    const failed = await verifyAws('bad', String(bad));
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(new RegExp(`training job ${PREFIX}-bad-${bad}-1-[0-9a-f]{8} failed: .*C`));
    expect(await store.listVerifications('bad', bad)).toEqual([]);
  });

  test("every SageMaker request it makes is allowed by the stage's verify policy as synthesized; other jobs, instance types and services are not", async () => {
    const { verify: policy, account, region } = synthesizedCallers('dev');
    const passRole = policy.Statement.find((s: PolicyStatement) => s.Sid === 'PassTheTrainingRole');
    const role = String(passRole?.Resource);
    expect(role).toMatch(/^arn:aws:iam::123456789012:role\/SageMakerRole/);
    cloudformation = new FakeAws().on(
      DescribeStacksCommand,
      verifyOutputs({ VerifySageMakerRoleArn: role, VerifyJobNamePrefix: 'slipway-dev-verify' }),
    );
    const version = await register('allowed', { image: IMAGE });
    expect((await verifyAws('allowed', String(version))).code).toBe(0);

    // SageMaker writes job names lowercased into training-job ARNs.
    const job = (name: string) => `arn:aws:sagemaker:${region}:${account}:training-job/${name.toLowerCase()}`;
    const create = (name: string, instanceType: string) =>
      authorize(policy, {
        action: 'sagemaker:CreateTrainingJob',
        resource: job(name),
        context: { 'sagemaker:InstanceTypes': [instanceType] },
      });
    const pass = (roleArn: string, service: string) =>
      authorize(policy, {
        action: 'iam:PassRole',
        resource: roleArn,
        context: { 'iam:PassedToService': service },
      });
    expect(sagemaker.calls.length).toBeGreaterThan(0);
    for (const { action, body } of sagemaker.calls) {
      const name = String(body.TrainingJobName);
      if (action === 'CreateTrainingJob') {
        const { InstanceType } = body.ResourceConfig as { InstanceType: string };
        expect(create(name, InstanceType), name).toBe('allowed');
        expect(pass(String(body.RoleArn), 'sagemaker.amazonaws.com')).toBe('allowed');
      } else {
        expect(
          authorize(policy, { action: `sagemaker:${action}`, resource: job(name), context: {} }),
          `${action} ${name}`,
        ).toBe('allowed');
      }
    }
    expect(create('slipway-dev-verify-allowed-1-1-0123abcd', 'ml.p4d.24xlarge')).toBe('implicit deny');
    expect(create('slipway-prod-verify-allowed-1-1-0123abcd', 'ml.m5.large')).toBe('implicit deny');
    expect(create('train-allowed-1', 'ml.m5.large')).toBe('implicit deny');
    expect(pass(role, 'ecs-tasks.amazonaws.com')).toBe('implicit deny');
    expect(pass(role.replace('SageMakerRole', 'TaskRole'), 'sagemaker.amazonaws.com')).toBe('implicit deny');
    expect(
      authorize(policy, {
        action: 'sagemaker:DeleteModel',
        resource: job('slipway-dev-verify-x'),
        context: {},
      }),
    ).toBe('implicit deny');
  }, 120_000);

  test('a stage deployed before verify --aws existed, and a version that does not exist', async () => {
    cloudformation = new FakeAws().on(DescribeStacksCommand, stackOutputs(storeUri));
    const old = await verifyAws('reviews', '1');
    expect(old.code).toBe(1);
    expect(old.stderr).toContain(
      'the stack slipway-dev-pipeline has no VerifySageMakerRoleArn output: it was deployed by an older version; redeploy it',
    );
    cloudformation = new FakeAws().on(DescribeStacksCommand, verifyOutputs());
    expect((await verifyAws('reviews', '99')).code).toBe(6);
    expect(sagemaker.calls).toEqual([]);
  });
});

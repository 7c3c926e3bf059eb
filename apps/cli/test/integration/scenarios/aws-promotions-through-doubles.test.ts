// The AWS path of promotion, end to end through doubles held to AWS's documentation: the definition runs
// on the local runtime (its SageMaker and ECS .sync results in AWS's shapes), Promote and RollBack use the
// real image deployer, which composes model images in a real registry with immutable tags (Debian's
// docker-registry behind a proxy that refuses tag overwrites as ECR does) and moves the `live` alias of a
// Lambda double that refuses what Lambda refuses; the smoke test calls a Function URL double that serves
// each version's image and, like a URL with AWS_IAM auth, lets through only SigV4-signed requests of a
// role whose policy (the SmokeTest role's, as the CDK app synthesizes it) allows both URL actions. One
// stage, four executions, in order:
//   1. the first model fails its smoke test: production unset, live back on the stack's base version;
//   2. the first promotion: live moves at once (no model to canary against), smoke test passes;
//   3. trained on Fargate, the second promotion: a canary that reports nobody called, smoke test passes;
//   4. a Promote resumed after its process stopped mid-way: the immutable tag is reused, live stays put.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ModelStore, openStore } from '@slipway/model-store';
import {
  lambdaImageDeployer,
  parseImageReference,
  RegistryClient,
  signedFetch,
  storeModelImageBuilder,
} from '@slipway/runner-aws';
import {
  approveExecution,
  type ExecutionInputDraft,
  type LambdaHandler,
  LOCAL_FUNCTION_NAMES,
  LocalRuntime,
  storeDataset,
} from '@slipway/runner-local';
import {
  createApprovalHandler,
  createEvaluateHandler,
  createPromoteHandler,
  createRegisterHandler,
  createSmokeTestHandler,
  type Deployer,
} from '@slipway/steps';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { LambdaDouble } from '../../../../../test-helpers/aws-lambda-double.js';
import {
  cloudWatchDouble,
  type FunctionUrlDouble,
  startFunctionUrl,
} from '../../../../../test-helpers/function-url.js';
import { pushBaseImage } from '../../../../../test-helpers/oci-base-image.js';
import { type LocalRegistry, startRegistry } from '../../../../../test-helpers/oci-registry.js';
import {
  type SynthesizedCallers,
  synthesizedCallers,
} from '../../../../../test-helpers/synthesized-roles.js';
import { aliasVersion, statesEntered, waitingForApproval } from '../../helpers/pipeline.js';

const FUNCTION = 'slipway-dev-inference';
const ALARM = 'slipway-dev-inference-errors';
/** The canary alarm's period in the double (CloudWatch's is a minute; the test's canary lasts 1 s). */
const ALARM_PERIOD_MS = 1_000;

let dir: string;
let store: ModelStore;
let registry: LocalRegistry;
let client: RegistryClient;
let lambda: LambdaDouble;
let url: FunctionUrlDouble;
let dataset: { name: string; sha256: string };
let composed = 0;
let roles: SynthesizedCallers;
// The SmokeTest function's temporary credentials (its role's session).
const SMOKE_TEST_KEYS = {
  accessKeyId: 'ASIASMOKETESTROLEXXX',
  secretAccessKey: 'smoke-test-secret',
  sessionToken: 'smoke-test-session',
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-aws-doubles-'));
  store = await openStore(`file://${dir}/store`);
  const stored = await storeDataset(store, 'builtin:sentiment');
  dataset = { name: stored.dataset.name, sha256: stored.dataset.sha256 };
  registry = await startRegistry();
  client = new RegistryClient({ registry: registry.host });
  const base = await pushBaseImage(client, 'slipway-dev/inference-base', 'base', { format: 'docker' });
  // As the inference stack deploys it: $LATEST on the base image, version 1 published from it, live on 1.
  lambda = new LambdaDouble({
    functionName: FUNCTION,
    baseImageUri: `${registry.host}/slipway-dev/inference-base@${base.manifestDigest}`,
  });
  roles = synthesizedCallers('dev');
  url = await startFunctionUrl(lambda, client, {
    region: roles.region,
    aliasArn: roles.aliasArn,
    callers: [{ name: 'SmokeTest role', ...SMOKE_TEST_KEYS, policy: roles.smokeTest }],
  });
  lambda.onInvoke((version, event) => url.invoke(version, event));
}, 120_000);

afterAll(async () => {
  await url?.close();
  await registry?.stop();
  await store?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The deployer Promote runs on AWS, against the doubles. */
function awsDeployer(): Deployer {
  const images = storeModelImageBuilder({
    store,
    registry: client,
    baseImage: parseImageReference(`${registry.host}/slipway-dev/inference-base:base`),
    repository: 'slipway-dev/models',
  });
  return lambdaImageDeployer({
    lambda: lambda.client(),
    images: {
      build: (request) => {
        composed++;
        return images.build(request);
      },
    },
    functionName: FUNCTION,
    endpoint: url.url,
    canary: {
      cloudwatch: cloudWatchDouble(url, {
        alarmName: ALARM,
        functionName: FUNCTION,
        periodMs: ALARM_PERIOD_MS,
      }),
      alarmName: ALARM,
      seconds: 1,
      pollMs: 200,
    },
    pollMs: 10,
  });
}

/** The definition on the local runtime, every step as its Lambda function would run it on AWS. */
function runtime(promote: LambdaHandler = createPromoteHandler({ store, deployer: awsDeployer() })) {
  return new LocalRuntime({
    store,
    functions: {
      [LOCAL_FUNCTION_NAMES.EvaluateFunctionArn]: createEvaluateHandler({ store }),
      [LOCAL_FUNCTION_NAMES.RegisterFunctionArn]: createRegisterHandler({ store }),
      [LOCAL_FUNCTION_NAMES.ApprovalFunctionArn]: createApprovalHandler({ store, notify: () => {} }),
      [LOCAL_FUNCTION_NAMES.PromoteFunctionArn]: promote,
      [LOCAL_FUNCTION_NAMES.SmokeTestFunctionArn]: createSmokeTestHandler({
        // As its entry point does for ENDPOINT_AUTH=AWS_IAM: requests signed with the role's credentials.
        fetch: signedFetch(roles.region, { credentials: SMOKE_TEST_KEYS }),
        // Generous: the first request to a new version pulls its image and loads its model.
        timeoutMs: 15_000,
        requestTimeoutMs: 30_000,
        pollMs: 50,
      }),
    },
    retryIntervalMs: 10,
    pollMs: 50,
  });
}

let runs = 0;
const input = (overrides: Partial<ExecutionInputDraft> = {}): ExecutionInputDraft => ({
  model: 'sentiment',
  runId: `aws${++runs}-${process.pid}`,
  dataset,
  // Every candidate passes the gate: the scenario is about what happens after approval.
  thresholds: { minAccuracy: 0.5, maxRegression: 1, minClassF1: 0 },
  ...overrides,
});

const promotionOf = (history: readonly { type: string; state?: string; output?: unknown }[]) =>
  (
    history.findLast((e) => e.type === 'StateExited' && e.state === 'Promote')?.output as
      | { promotion?: { version: number; previous: number | null; restore: string | null; canary: string } }
      | undefined
  )?.promotion;

/** Which model version the image behind a Lambda version holds (its label). */
async function modelIn(version: string): Promise<string | null> {
  const ref = parseImageReference(lambda.version(version)?.imageUri ?? '');
  const manifest = JSON.parse(
    new TextDecoder().decode((await client.getManifest(ref.repository, ref.reference)).body),
  ) as { config: { digest: string } };
  const config = JSON.parse(
    new TextDecoder().decode(await client.getBlob(ref.repository, manifest.config.digest)),
  ) as { config: { Labels: Record<string, string> } };
  return config.config.Labels['io.slipway.model.version'] ?? null;
}

test('aws-promotions-through-doubles: a failed first version, two promotions (one trained on Fargate), a resumed Promote', async () => {
  // 1. The first model fails its smoke test (its image answers 503): RollBack unsets production and puts
  //    live back on the published base version, without composing anything.
  url.breakNextVersion();
  const first = await runtime().start(input());
  await waitingForApproval(first);
  await approveExecution(store, first.id, 'ana');
  const failed = await first.done;
  expect(failed).toMatchObject({ status: 'FAILED', finalState: 'PromotionFailed' });
  expect(statesEntered(first.journal.history).slice(-4)).toEqual([
    'SmokeTest',
    'SmokeTestPassed',
    'RollBack',
    'PromotionFailed',
  ]);
  expect(promotionOf(first.journal.history)).toMatchObject({
    version: 1,
    previous: null,
    restore: '1',
    canary: 'none: the first promotion has no production model to compare with',
  });
  expect(await aliasVersion(store, 'sentiment', 'production')).toBeNull();
  expect(lambda.alias()).toMatchObject({ functionVersion: '1', weights: {} });
  expect(composed).toBe(1);

  // 2. The first promotion that passes: live moves from the base version at once.
  const second = await runtime().start(input());
  await waitingForApproval(second);
  await approveExecution(store, second.id, 'ana');
  expect(await second.done).toMatchObject({ status: 'SUCCEEDED', finalState: 'Done' });
  expect(await aliasVersion(store, 'sentiment', 'production')).toBe(2);
  const live2 = lambda.alias()?.functionVersion ?? '';
  expect(live2).not.toBe('1');
  expect(await modelIn(live2)).toBe('2');

  // 3. Trained on Fargate (runTask.sync's task description), then promoted through a canary on the
  //    published versions: nobody called the new version during the window, and the output says so,
  //    even when the second execution's smoke test calls (answered by the previous version) are still
  //    inside the alarm's period and keep it OK.
  const third = await runtime().start(input({ compute: 'fargate' }));
  await waitingForApproval(third);
  expect(statesEntered(third.journal.history).slice(0, 4)).toEqual([
    'Train',
    'TrainingTaskDefinition',
    'TrainOnFargate',
    'LocateFargateModel',
  ]);
  await approveExecution(store, third.id, 'ana');
  expect(await third.done).toMatchObject({ status: 'SUCCEEDED', finalState: 'Done' });
  const promoted3 = promotionOf(third.journal.history);
  expect(promoted3).toMatchObject({ version: 3, previous: 2, restore: live2 });
  expect(promoted3?.canary).toMatch(
    /^no traffic: version \d+ answered no request through live during the 1 s canary/,
  );
  const shifts = lambda.calls.filter((c) => c.command === 'UpdateAlias').map((c) => c.input.RoutingConfig);
  expect(shifts).toContainEqual({ AdditionalVersionWeights: { [String(Number(live2) + 1)]: 0.1 } });
  const live3 = lambda.alias()?.functionVersion ?? '';
  expect(await modelIn(live3)).toBe('3');
  // Before taking all of the traffic, the new version itself ran the smoke test (Invoke on that version):
  // its health, then every evaluation sample through /predict.
  const invoked = lambda.calls.filter((c) => c.command === 'Invoke');
  expect(new Set(invoked.map((c) => c.input.Qualifier))).toEqual(new Set([live3]));
  const paths = invoked.map(
    (c) =>
      (JSON.parse(new TextDecoder().decode(c.input.Payload as Uint8Array)) as { rawPath: string }).rawPath,
  );
  expect(paths[0]).toBe('/health');
  expect(paths.slice(1).length).toBeGreaterThan(0);
  expect(new Set(paths.slice(1))).toEqual(new Set(['/predict']));

  // 4. Promote's process stops after the deployment but before Promote's result is recorded; the
  //    execution is resumed by another runtime and runs Promote again: the image's immutable tag is
  //    reused, Lambda publishes nothing new, live stays where the first attempt put it.
  let deployedOnce!: () => void;
  const deployed = new Promise<void>((resolve) => {
    deployedOnce = resolve;
  });
  const stopsMidway = createPromoteHandler({
    store,
    deployer: {
      async deploy(request) {
        await awsDeployer().deploy(request);
        deployedOnce();
        return new Promise(() => {}); // the process is gone: Promote never returns
      },
    },
  });
  const fourth = await runtime(stopsMidway).start(input());
  await waitingForApproval(fourth);
  await approveExecution(store, fourth.id, 'ana');
  await deployed;
  const live4 = lambda.alias()?.functionVersion ?? '';
  expect(await modelIn(live4)).toBe('4');
  const refusedBefore = registry.refusedTagPushes;
  const resumed = await runtime().resume(fourth.id);
  expect(await resumed.done).toMatchObject({ status: 'SUCCEEDED', finalState: 'Done' });
  expect(registry.refusedTagPushes).toBe(refusedBefore);
  expect(lambda.alias()).toMatchObject({ functionVersion: live4, weights: {} });
  expect(promotionOf(resumed.journal.history)).toMatchObject({ version: 4, previous: 3, restore: live3 });
  expect(await aliasVersion(store, 'sentiment', 'production')).toBe(4);
  // Every smoke test request was signed and authorized: the URL refused none.
  expect(url.refused).toEqual([]);
}, 300_000);

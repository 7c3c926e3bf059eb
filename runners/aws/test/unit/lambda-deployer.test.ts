import { DescribeAlarmsCommand, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreateAliasCommand,
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  PublishVersionCommand,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda';
import { DeployError } from '@slipway/steps';
import { describe, expect, it } from 'vitest';
import { awsError, FakeAws } from '../../../../test-helpers/aws-fake-client.js';
import { LambdaDouble } from '../../../../test-helpers/aws-lambda-double.js';
import { RegistryError } from '../../src/errors.js';
import { type CanaryOptions, type LambdaApi, lambdaImageDeployer } from '../../src/lambda-deployer.js';
import type { ModelImageBuilder } from '../../src/model-image.js';
import type { ComposedImage } from '../../src/oci/compose.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const IMAGE_URI = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipway-models@${DIGEST}`;
const FN = 'slipway-dev-inference';

const images: ModelImageBuilder = {
  build: async ({ model, version }) =>
    ({
      imageUri: IMAGE_URI,
      digest: DIGEST,
      tag: `${model}-v${version}`,
    }) as unknown as ComposedImage,
};

/** What Invoke returns when a version answers GET /health with a model. */
const healthy = (name: string, version: number) => ({
  StatusCode: 200,
  Payload: new TextEncoder().encode(
    JSON.stringify({ statusCode: 200, body: JSON.stringify({ status: 'ok', model: { name, version } }) }),
  ),
});

const ready = { State: 'Active', LastUpdateStatus: 'Successful' };
const inProgress = { State: 'Active', LastUpdateStatus: 'InProgress' };

function clock() {
  let t = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
  };
}

function setup(options: { canary?: Omit<CanaryOptions, 'cloudwatch'>; cloudwatch?: FakeAws } = {}) {
  const lambda = new FakeAws()
    .on(GetFunctionConfigurationCommand, ready)
    .on(UpdateFunctionCodeCommand, { CodeSha256: 'code-sha' })
    .on(PublishVersionCommand, { Version: '7' })
    .on(GetAliasCommand, { FunctionVersion: '6' })
    .on(UpdateAliasCommand, {})
    .on(InvokeCommand, healthy('sentiment', 7));
  const cloudwatch = options.cloudwatch ?? new FakeAws();
  const time = clock();
  const deployer = lambdaImageDeployer({
    lambda: lambda.client<LambdaApi>(),
    images,
    functionName: FN,
    endpoint: 'https://abc.lambda-url.eu-west-1.on.aws',
    ...(options.canary ? { canary: { ...options.canary, cloudwatch: cloudwatch.client() } } : {}),
    sleep: time.sleep,
    now: time.now,
  });
  return { lambda, cloudwatch, time, deployer };
}

const promote = { model: 'sentiment', version: 7, previous: 6 };

describe('lambdaImageDeployer', () => {
  it('happy-path: updates the code to the digest, waits, publishes, moves live', async () => {
    const { lambda, time, deployer } = setup();
    lambda.on(
      GetFunctionConfigurationCommand,
      ready,
      inProgress,
      inProgress,
      ready,
      { State: 'Pending' },
      ready,
    );
    await expect(deployer.deploy(promote)).resolves.toEqual({
      endpoint: 'https://abc.lambda-url.eu-west-1.on.aws',
      restore: '6',
      canary: 'none',
    });
    expect(lambda.names()).toEqual([
      'GetFunctionConfiguration',
      'UpdateFunctionCode',
      'GetFunctionConfiguration',
      'GetFunctionConfiguration',
      'GetFunctionConfiguration',
      'PublishVersion',
      'GetFunctionConfiguration',
      'GetFunctionConfiguration',
      'GetAlias',
      'UpdateAlias',
    ]);
    expect(lambda.inputs(UpdateFunctionCodeCommand)).toEqual([{ FunctionName: FN, ImageUri: IMAGE_URI }]);
    expect(lambda.inputs(PublishVersionCommand)).toEqual([
      { FunctionName: FN, CodeSha256: 'code-sha', Description: `sentiment v7 ${DIGEST}` },
    ]);
    expect(lambda.inputs(GetFunctionConfigurationCommand).at(-1)).toEqual({
      FunctionName: FN,
      Qualifier: '7',
    });
    expect(lambda.inputs(UpdateAliasCommand)).toEqual([
      {
        FunctionName: FN,
        Name: 'live',
        FunctionVersion: '7',
        RoutingConfig: { AdditionalVersionWeights: {} },
        Description: 'slipway: before this promotion, version 6',
      },
    ]);
    expect(time.sleeps).toEqual([2000, 2000, 2000]);
  });

  it('creates the alias on the first deployment', async () => {
    const { lambda, deployer } = setup();
    lambda
      .on(GetAliasCommand, awsError('ResourceNotFoundException', 'Alias not found'))
      .on(CreateAliasCommand, {});
    await deployer.deploy({ model: 'sentiment', version: 1, previous: null });
    expect(lambda.inputs(CreateAliasCommand)).toEqual([
      {
        FunctionName: FN,
        Name: 'live',
        FunctionVersion: '7',
        RoutingConfig: { AdditionalVersionWeights: {} },
        Description: '',
      },
    ]);
    expect(lambda.inputs(UpdateAliasCommand)).toEqual([]);
  });

  it('a failed code update is a DeployError with its reason code, and live is not touched', async () => {
    const { lambda, deployer } = setup();
    lambda.on(GetFunctionConfigurationCommand, ready, inProgress, {
      State: 'Active',
      LastUpdateStatus: 'Failed',
      LastUpdateStatusReasonCode: 'ImageAccessDenied',
      LastUpdateStatusReason: 'Lambda does not have permission to access the ECR image.',
    });
    const error = await deployer.deploy(promote).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeployError);
    expect((error as Error).message).toBe(
      `the code update to ${IMAGE_URI} of ${FN} failed (ImageAccessDenied): Lambda does not have permission to access the ECR image.`,
    );
    expect(lambda.names()).not.toContain('PublishVersion');
    expect(lambda.names()).not.toContain('UpdateAlias');
  });

  it('gives up waiting for an update after the deadline', async () => {
    const { lambda, time, deployer } = setup();
    lambda.on(GetFunctionConfigurationCommand, ready, inProgress);
    const error = await deployer.deploy(promote).catch((e: unknown) => e);
    expect((error as Error).message).toBe(
      `the code update to ${IMAGE_URI} of ${FN} still in progress after 600 s; check the function in the Lambda console and re-run the promotion`,
    );
    expect(time.sleeps).toHaveLength(300);
  });

  it('retries throttled calls with backoff', async () => {
    const { lambda, time, deployer } = setup();
    const throttled = awsError('TooManyRequestsException', 'Rate exceeded');
    lambda.on(UpdateFunctionCodeCommand, throttled, throttled, { CodeSha256: 'code-sha' });
    await deployer.deploy(promote);
    expect(lambda.inputs(UpdateFunctionCodeCommand)).toHaveLength(3);
    expect(time.sleeps).toEqual([1000, 2000]);
  });

  it('names the throttling error when it does not stop', async () => {
    const { lambda, time, deployer } = setup();
    lambda.on(PublishVersionCommand, awsError('TooManyRequestsException', 'Rate exceeded'));
    const error = await deployer.deploy(promote).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeployError);
    expect((error as Error).message).toBe(
      `PublishVersion of ${FN} failed with TooManyRequestsException: Rate exceeded (still throttled after 5 attempts; retry later)`,
    );
    expect((error as Error).cause).toMatchObject({ name: 'TooManyRequestsException' });
    expect(time.sleeps).toEqual([1000, 2000, 4000, 8000]);
  });

  it('waits for an update already running, then updates again', async () => {
    const { lambda, deployer } = setup();
    lambda.on(UpdateFunctionCodeCommand, awsError('ResourceConflictException', 'An update is in progress'), {
      CodeSha256: 'code-sha',
    });
    await deployer.deploy(promote);
    expect(lambda.inputs(UpdateFunctionCodeCommand)).toHaveLength(2);
  });

  it('names a non-retryable AWS error', async () => {
    const { lambda, deployer } = setup();
    lambda.on(
      UpdateFunctionCodeCommand,
      awsError('InvalidParameterValueException', 'Source image is not valid'),
    );
    await expect(deployer.deploy(promote)).rejects.toThrow(
      `UpdateFunctionCode of ${FN} failed with InvalidParameterValueException: Source image is not valid`,
    );
  });

  it('passes an image composition failure on as it is (a kind of DeployError)', async () => {
    const { lambda } = setup();
    const failing = lambdaImageDeployer({
      lambda: lambda.client<LambdaApi>(),
      images: { build: () => Promise.reject(new RegistryError('manifest missing', 404)) },
      functionName: FN,
      endpoint: null,
    });
    const error = await failing.deploy(promote).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect(error).toBeInstanceOf(DeployError);
    expect(lambda.calls).toEqual([]);
  });

  describe('canary', () => {
    const canary = { alarmName: 'slipway-dev-inference-errors', seconds: 30, pollMs: 10_000 };
    const alarm = (state: string) => ({ MetricAlarms: [{ AlarmName: canary.alarmName, StateValue: state }] });

    /** Invocations of the new version through the alias, one datapoint per minute. */
    const served = (...sums: number[]) => ({ Datapoints: sums.map((Sum) => ({ Sum, Unit: 'Count' })) });

    it('shifts 10% while the alarm stays OK, then all of the traffic', async () => {
      const cloudwatch = new FakeAws()
        .on(DescribeAlarmsCommand, alarm('OK'))
        .on(GetMetricStatisticsCommand, served(4, 3));
      const { lambda, time, deployer } = setup({ canary, cloudwatch });
      const result = await deployer.deploy(promote);
      expect(result.canary).toBe(
        `passed: ${canary.alarmName} stayed out of ALARM for 30 s with 10% of traffic on version 7, which answered 7 requests`,
      );
      expect(lambda.inputs(UpdateAliasCommand)).toEqual([
        {
          FunctionName: FN,
          Name: 'live',
          FunctionVersion: '6',
          RoutingConfig: { AdditionalVersionWeights: { '7': 0.1 } },
          Description: '',
        },
        {
          FunctionName: FN,
          Name: 'live',
          FunctionVersion: '7',
          RoutingConfig: { AdditionalVersionWeights: {} },
          Description: 'slipway: before this promotion, version 6',
        },
      ]);
      // One check before shifting, then at 0, 10, 20 and 30 s.
      expect(cloudwatch.inputs(DescribeAlarmsCommand)).toHaveLength(5);
      expect(cloudwatch.inputs(DescribeAlarmsCommand)[0]).toEqual({ AlarmNames: [canary.alarmName] });
      expect(time.sleeps).toEqual([10_000, 10_000, 10_000]);
      // The new version's own invocations through live, from the canary's start to its end in whole minutes.
      expect(cloudwatch.inputs(GetMetricStatisticsCommand)).toEqual([
        {
          Namespace: 'AWS/Lambda',
          MetricName: 'Invocations',
          Dimensions: [
            { Name: 'FunctionName', Value: FN },
            { Name: 'Resource', Value: `${FN}:live` },
            { Name: 'ExecutedVersion', Value: '7' },
          ],
          StartTime: new Date(0),
          EndTime: new Date(60_000),
          Period: 60,
          Statistics: ['Sum'],
        },
      ]);
    });

    it('an alarm kept OK by the previous version is not a pass when the new version answered nobody', async () => {
      // The alarm's period counts every request through live: those the previous version answered keep it
      // OK although nobody reached version 7.
      const cloudwatch = new FakeAws()
        .on(DescribeAlarmsCommand, alarm('OK'))
        .on(GetMetricStatisticsCommand, served());
      const { lambda, deployer } = setup({ canary, cloudwatch });
      const result = await deployer.deploy(promote);
      expect(result.canary).toBe(
        'no traffic: version 7 answered no request through live during the 30 s canary (10% of traffic on version 7), so nothing was checked',
      );
      expect(lambda.inputs(UpdateAliasCommand).at(-1)?.FunctionVersion).toBe('7');
    });

    it('a failed count of the canary traffic puts live back on the previous version', async () => {
      const cloudwatch = new FakeAws()
        .on(DescribeAlarmsCommand, alarm('OK'))
        .on(GetMetricStatisticsCommand, awsError('AccessDeniedException', 'not authorized'));
      const { lambda, deployer } = setup({ canary, cloudwatch });
      await expect(deployer.deploy(promote)).rejects.toThrow(
        `GetMetricStatistics Invocations of ${FN}:live version 7 failed with AccessDeniedException: not authorized`,
      );
      expect(lambda.inputs(UpdateAliasCommand).at(-1)).toMatchObject({
        FunctionVersion: '6',
        RoutingConfig: { AdditionalVersionWeights: {} },
      });
    });

    it('promotion-rolls-back: the alarm fires, live goes back to the previous version only', async () => {
      const cloudwatch = new FakeAws().on(DescribeAlarmsCommand, alarm('OK'), alarm('OK'), alarm('ALARM'));
      const { lambda, deployer } = setup({ canary, cloudwatch });
      const error = await deployer.deploy(promote).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DeployError);
      expect((error as Error).message).toBe(
        `the canary alarm ${canary.alarmName} went into ALARM while 10% of traffic was on version 7 (sentiment v7); live was moved back to version 6 only`,
      );
      expect(lambda.inputs(UpdateAliasCommand)).toEqual([
        {
          FunctionName: FN,
          Name: 'live',
          FunctionVersion: '6',
          RoutingConfig: { AdditionalVersionWeights: { '7': 0.1 } },
          Description: '',
        },
        {
          FunctionName: FN,
          Name: 'live',
          FunctionVersion: '6',
          RoutingConfig: { AdditionalVersionWeights: {} },
          Description: '',
        },
      ]);
    });

    it('does not start while the alarm is already in ALARM', async () => {
      const cloudwatch = new FakeAws().on(DescribeAlarmsCommand, alarm('ALARM'));
      const { lambda, deployer } = setup({ canary, cloudwatch });
      await expect(deployer.deploy(promote)).rejects.toThrow(
        `the canary alarm ${canary.alarmName} is already in ALARM before version 7 (sentiment v7) got any traffic`,
      );
      expect(lambda.inputs(UpdateAliasCommand)).toEqual([]);
    });

    it('refuses a missing alarm before shifting traffic', async () => {
      const cloudwatch = new FakeAws().on(DescribeAlarmsCommand, { MetricAlarms: [], CompositeAlarms: [] });
      const { lambda, deployer } = setup({ canary, cloudwatch });
      await expect(deployer.deploy(promote)).rejects.toThrow(
        `the canary alarm ${canary.alarmName} does not exist; create it or unset CANARY_ALARM_NAME`,
      );
      expect(lambda.inputs(UpdateAliasCommand)).toEqual([]);
    });

    it('a rollback (to an older version) moves live at once, without a canary', async () => {
      const cloudwatch = new FakeAws();
      const { lambda, deployer } = setup({ canary, cloudwatch });
      await deployer.deploy({ model: 'sentiment', version: 6, previous: 7 });
      expect(cloudwatch.calls).toEqual([]);
      expect(lambda.inputs(UpdateAliasCommand)).toEqual([
        {
          FunctionName: FN,
          Name: 'live',
          FunctionVersion: '7',
          RoutingConfig: { AdditionalVersionWeights: {} },
          Description: 'slipway: before this promotion, version 6',
        },
      ]);
    });
  });
});

describe('lambdaImageDeployer against the Lambda double (documented behaviour, refusals included)', () => {
  const BASE = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipway-dev/inference-base@sha256:${'00'.repeat(32)}`;
  const imageOf = (version: number) =>
    `123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipway-models@sha256:${String(version).padStart(2, '0').repeat(32)}`;
  const modelImages: ModelImageBuilder = {
    build: async ({ version }) =>
      ({ imageUri: imageOf(version), digest: imageOf(version).split('@')[1] }) as unknown as ComposedImage,
  };
  const canary = { alarmName: 'slipway-dev-inference-errors', seconds: 20, pollMs: 10_000 };
  const alarm = (state: string) => ({ MetricAlarms: [{ AlarmName: canary.alarmName, StateValue: state }] });

  /** Each version answers its health check with the model its image holds (the digest's repeated byte). */
  const serving = (lambda: LambdaDouble) =>
    lambda.onInvoke(async (version) => {
      const model = Number(version.imageUri.split('sha256:')[1]?.slice(0, 2));
      if (Number.isNaN(model) || version.imageUri === BASE) throw new Error('no model at /opt/model');
      return { statusCode: 200, body: JSON.stringify({ model: { name: 'sentiment', version: model } }) };
    });

  function deployerOn(lambda: LambdaDouble, alarmStates: string[] = ['OK']) {
    const cloudwatch = new FakeAws()
      .on(DescribeAlarmsCommand, ...alarmStates.map(alarm))
      .on(GetMetricStatisticsCommand, { Datapoints: [] });
    const time = clock();
    const deployer = lambdaImageDeployer({
      lambda: lambda.client<LambdaApi>(),
      images: modelImages,
      functionName: FN,
      endpoint: null,
      canary: { ...canary, cloudwatch: cloudwatch.client() },
      sleep: time.sleep,
      now: time.now,
    });
    return { deployer, cloudwatch };
  }

  it('the double refuses weights on an alias of $LATEST, as Lambda does', async () => {
    const lambda = new LambdaDouble({ functionName: FN, baseImageUri: BASE, aliasOn: '$LATEST' });
    const refused = await lambda
      .client<LambdaApi>()
      .send(
        new UpdateAliasCommand({
          FunctionName: FN,
          Name: 'live',
          FunctionVersion: '$LATEST',
          RoutingConfig: { AdditionalVersionWeights: { '1': 0.1 } },
        }),
      )
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ name: 'InvalidParameterValueException' });
    expect((refused as Error).message).toMatch(/Both versions must be published/);
  });

  it('first promotion: from the published base version, live moves at once (no model to canary against)', async () => {
    const lambda = new LambdaDouble({ functionName: FN, baseImageUri: BASE });
    const { deployer, cloudwatch } = deployerOn(lambda);
    const result = await deployer.deploy({ model: 'sentiment', version: 1, previous: null });
    expect(result).toEqual({
      endpoint: null,
      restore: '1',
      canary: 'none: the first promotion has no production model to compare with',
    });
    expect(lambda.alias()).toMatchObject({ functionVersion: '2', weights: {} });
    expect(lambda.version('2')?.imageUri).toBe(imageOf(1));
    expect(cloudwatch.calls).toEqual([]);
  });

  it('a new version that fails its own health check never takes all of the traffic', async () => {
    const lambda = new LambdaDouble({ functionName: FN, baseImageUri: BASE });
    serving(lambda);
    await deployerOn(lambda).deployer.deploy({ model: 'sentiment', version: 1, previous: null });
    lambda.onInvoke(async () => {
      throw new Error('the image does not start');
    });
    const error = await deployerOn(lambda)
      .deployer.deploy({ model: 'sentiment', version: 2, previous: 1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeployError);
    expect((error as Error).message).toMatch(
      /^version 3 of slipway-dev-inference did not pass the smoke test before taking all of the traffic: .*HTTP 502: function error Unhandled: /,
    );
    expect(lambda.alias()).toMatchObject({ functionVersion: '2', weights: {} });
  });

  it('a new version that answers /health but labels the samples wrongly is rolled back before it takes all of the traffic', async () => {
    const lambda = new LambdaDouble({ functionName: FN, baseImageUri: BASE });
    serving(lambda);
    await deployerOn(lambda).deployer.deploy({ model: 'sentiment', version: 1, previous: null });
    // Version 3 (model 2) is healthy, but its model calls everything "negative".
    const asked: { qualifier: string; path: string }[] = [];
    lambda.onInvoke(async (version, event) => {
      const e = event as { rawPath: string; body: string | null };
      asked.push({ qualifier: version.version, path: e.rawPath });
      const model = { name: 'sentiment', version: Number(version.imageUri.split('sha256:')[1]?.slice(0, 2)) };
      if (e.rawPath === '/health') return { statusCode: 200, body: JSON.stringify({ status: 'ok', model }) };
      const { texts } = JSON.parse(e.body ?? '{}') as { texts: string[] };
      const predictions = texts.map(() => ({ label: 'negative', probabilities: { negative: 1 } }));
      return { statusCode: 200, body: JSON.stringify({ model, predictions }) };
    });
    const samples = [
      { text: 'a lovely film', label: 'positive' },
      { text: 'dull and slow', label: 'negative' },
    ];
    const error = await deployerOn(lambda)
      .deployer.deploy({ model: 'sentiment', version: 2, previous: 1, samples })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeployError);
    expect((error as Error).message).toMatch(
      /^version 3 of slipway-dev-inference did not pass the smoke test before taking all of the traffic: sentiment v2 at https:\/\/version\.invalid\/predict labels this sample "negative"; the evaluation's run of the same model gave "positive"; live stays on the version that served before/,
    );
    expect(asked).toEqual([
      { qualifier: '3', path: '/health' },
      { qualifier: '3', path: '/predict' },
    ]);
    // Version 3 had 10% of the traffic during the check, never all of it; live is back on version 2 alone.
    const moves = lambda.calls.filter((c) => c.command === 'UpdateAlias').map((c) => c.input);
    expect(moves.map((m) => [m.FunctionVersion, m.RoutingConfig])).toEqual([
      ['2', { AdditionalVersionWeights: {} }],
      ['2', { AdditionalVersionWeights: { '3': 0.1 } }],
      ['2', { AdditionalVersionWeights: {} }],
    ]);
    expect(lambda.alias()).toMatchObject({ functionVersion: '2', weights: {} });
  });

  it('second promotion: 10% on the new version while the alarm is watched, and says when nobody called', async () => {
    const lambda = new LambdaDouble({ functionName: FN, baseImageUri: BASE });
    serving(lambda);
    const { deployer: first } = deployerOn(lambda);
    await first.deploy({ model: 'sentiment', version: 1, previous: null });
    const { deployer } = deployerOn(lambda, ['INSUFFICIENT_DATA']);
    const result = await deployer.deploy({ model: 'sentiment', version: 2, previous: 1 });
    expect(result.canary).toBe(
      'no traffic: version 3 answered no request through live during the 20 s canary (10% of traffic on version 3), so nothing was checked',
    );
    expect(result.restore).toBe('2');
    expect(lambda.alias()).toMatchObject({ functionVersion: '3', weights: {} });
    const shifts = lambda.calls.filter((c) => c.command === 'UpdateAlias').map((c) => c.input.RoutingConfig);
    expect(shifts).toContainEqual({ AdditionalVersionWeights: { '3': 0.1 } });
  });

  it('a retried promotion publishes nothing new and still knows what served before', async () => {
    const lambda = new LambdaDouble({ functionName: FN, baseImageUri: BASE });
    const { deployer } = deployerOn(lambda);
    await deployer.deploy({ model: 'sentiment', version: 1, previous: null });
    const again = await deployer.deploy({ model: 'sentiment', version: 1, previous: null });
    expect(again.restore).toBe('1');
    expect(lambda.version('3')).toBeUndefined();
    expect(lambda.alias()?.functionVersion).toBe('2');
  });

  it('restore moves live back to the published version that served before, building nothing', async () => {
    const lambda = new LambdaDouble({ functionName: FN, baseImageUri: BASE });
    const built: number[] = [];
    const deployer = lambdaImageDeployer({
      lambda: lambda.client<LambdaApi>(),
      images: {
        build: async (r) => {
          built.push(r.version);
          return modelImages.build(r);
        },
      },
      functionName: FN,
      endpoint: null,
      sleep: async () => {},
    });
    const { restore } = await deployer.deploy({ model: 'sentiment', version: 1, previous: null });
    await deployer.restore?.({ model: 'sentiment', version: 1, previous: 1, restore: restore ?? '' });
    expect(lambda.alias()).toMatchObject({ functionVersion: '1', weights: {} });
    expect(built).toEqual([1]);
  });
});

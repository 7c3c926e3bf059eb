import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { ENV } from '@slipway/contracts';
import type { Deployer, Deployment, DeployRequest } from '@slipway/steps';
import { DeployError, runSmokeTest } from '@slipway/steps';
import type { ModelImageBuilder } from './model-image.js';

/** The slices of the SDK clients the deployer uses. */
export type LambdaApi = Pick<LambdaClient, 'send'>;
export type CloudWatchApi = Pick<CloudWatchClient, 'send'>;

/** A canary: part of the traffic on the new version while an alarm is watched. */
export interface CanaryOptions {
  readonly cloudwatch: CloudWatchApi;
  readonly alarmName: string;
  /** How long the alarm is watched. Default 300 s. */
  readonly seconds?: number;
  /** Share of traffic on the new version meanwhile. Default 0.1. */
  readonly weight?: number;
  /** Between two alarm checks. Default 10 000 ms. */
  readonly pollMs?: number;
}

/** What the image deployer needs. */
export interface LambdaImageDeployerOptions {
  readonly lambda: LambdaApi;
  readonly images: ModelImageBuilder;
  readonly functionName: string;
  /** The alias the endpoint invokes. Default `live`. */
  readonly alias?: string;
  /** Returned as the deployment's endpoint (what the smoke test calls). */
  readonly endpoint: string | null;
  /** Watch an alarm with part of the traffic before moving all of it (forward promotions only). */
  readonly canary?: CanaryOptions;
  /** Longest wait for a code update or a new version to become active. Default 600 000 ms. */
  readonly updateTimeoutMs?: number;
  /** Between two status checks. Default 2 000 ms. */
  readonly pollMs?: number;
  /** Attempts of a throttled call before giving up. Default 5. */
  readonly throttleAttempts?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  /** Progress lines (never secrets); default none. */
  readonly log?: (message: string, detail?: Record<string, unknown>) => void;
}

// Loaded on first use: the SDK costs a few hundred milliseconds to import, and the CLI and the local
// runtime load this package without ever deploying to AWS.
const lambdaSdk = () => import('@aws-sdk/client-lambda');
const cloudwatchSdk = () => import('@aws-sdk/client-cloudwatch');

const THROTTLED = new Set([
  'TooManyRequestsException',
  'ThrottlingException',
  'Throttling',
  'ProvisionedThroughputExceededException',
]);

/**
 * Deploys a model version as a container image of the inference function: composes base image + model
 * layer, UpdateFunctionCode with the digest, waits for the update, PublishVersion, then moves the alias
 * (at once, or through a canary that rolls back when the alarm fires). Every failure is a DeployError
 * naming the AWS error.
 * @example lambdaImageDeployer({ lambda: new LambdaClient({}), images, functionName: 'slipway-dev-inference', endpoint })
 */
export function lambdaImageDeployer(options: LambdaImageDeployerOptions): Deployer {
  const alias = options.alias ?? 'live';
  const FunctionName = options.functionName;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => {});
  const pollMs = options.pollMs ?? 2_000;

  /** Sends a command, retrying throttling with exponential backoff; other errors become DeployError. */
  async function call<T>(what: string, send: () => Promise<T>): Promise<T> {
    const attempts = options.throttleAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      try {
        return await send();
      } catch (error) {
        const name = (error as Error).name;
        if (THROTTLED.has(name) && attempt < attempts) {
          await sleep(Math.min(1_000 * 2 ** (attempt - 1), 20_000));
          continue;
        }
        throw new DeployError(
          `${what} failed with ${name}: ${(error as Error).message}${THROTTLED.has(name) ? ` (still throttled after ${attempts} attempts; retry later)` : ''}`,
          { cause: error },
        );
      }
    }
  }

  /** Polls the function (or a version) until its update and state settle. */
  async function waitUntilReady(qualifier: string | undefined, what: string): Promise<void> {
    const { GetFunctionConfigurationCommand } = await lambdaSdk();
    const deadline = now() + (options.updateTimeoutMs ?? 600_000);
    for (;;) {
      const config = await call(`GetFunctionConfiguration of ${FunctionName}`, () =>
        options.lambda.send(
          new GetFunctionConfigurationCommand({
            FunctionName,
            ...(qualifier ? { Qualifier: qualifier } : {}),
          }),
        ),
      );
      const status = config.LastUpdateStatus;
      if (status === 'Failed' || config.State === 'Failed') {
        const reason = config.LastUpdateStatusReason ?? config.StateReason ?? 'no reason given';
        const code = config.LastUpdateStatusReasonCode ?? config.StateReasonCode ?? 'unknown';
        throw new DeployError(`${what} of ${FunctionName} failed (${code}): ${reason}`);
      }
      if (status !== 'InProgress' && config.State !== 'Pending') return;
      if (now() >= deadline) {
        throw new DeployError(
          `${what} of ${FunctionName} still ${status === 'InProgress' ? 'in progress' : 'pending'} after ${Math.round((options.updateTimeoutMs ?? 600_000) / 1000)} s; ` +
            'check the function in the Lambda console and re-run the promotion',
        );
      }
      await sleep(pollMs);
    }
  }

  async function updateCode(imageUri: string): Promise<string | undefined> {
    const { UpdateFunctionCodeCommand } = await lambdaSdk();
    // An update still running (a previous promotion) is waited for, then the code is updated again.
    for (let attempt = 1; ; attempt++) {
      try {
        const updated = await call(`UpdateFunctionCode of ${FunctionName}`, () =>
          options.lambda.send(new UpdateFunctionCodeCommand({ FunctionName, ImageUri: imageUri })),
        );
        return updated.CodeSha256;
      } catch (error) {
        const cause = (error as DeployError).cause as Error | undefined;
        if (cause?.name !== 'ResourceConflictException' || attempt >= 3) throw error;
        await waitUntilReady(undefined, 'the update already running');
      }
    }
  }

  /** Points the alias at `version` (weights: share of traffic on other versions), recording `before`. */
  async function setAlias(
    version: string,
    weights: Record<string, number>,
    current: AliasState | null,
    before: string | null,
  ) {
    const { CreateAliasCommand, UpdateAliasCommand } = await lambdaSdk();
    const RoutingConfig = { AdditionalVersionWeights: weights };
    // What served before, so that a retried or resumed promotion that finds the alias already moved still
    // knows what a rollback restores.
    const Description = before === null ? '' : `${BEFORE_MARK}${before}`;
    if (current === null) {
      await call(`CreateAlias ${alias} of ${FunctionName}`, () =>
        options.lambda.send(
          new CreateAliasCommand({
            FunctionName,
            Name: alias,
            FunctionVersion: version,
            RoutingConfig,
            Description,
          }),
        ),
      );
    } else {
      await call(`UpdateAlias ${alias} of ${FunctionName}`, () =>
        options.lambda.send(
          new UpdateAliasCommand({
            FunctionName,
            Name: alias,
            FunctionVersion: version,
            RoutingConfig,
            Description,
          }),
        ),
      );
    }
  }

  async function aliasState(): Promise<AliasState | null> {
    const { GetAliasCommand } = await lambdaSdk();
    return call(`GetAlias ${alias} of ${FunctionName}`, async () => {
      try {
        const found = await options.lambda.send(new GetAliasCommand({ FunctionName, Name: alias }));
        if (found.FunctionVersion === undefined) return null;
        const description = found.Description ?? '';
        return {
          version: found.FunctionVersion,
          before: description.startsWith(BEFORE_MARK) ? description.slice(BEFORE_MARK.length) : null,
        };
      } catch (error) {
        if ((error as Error).name === 'ResourceNotFoundException') return null; // first deployment
        throw error;
      }
    });
  }

  async function alarmState(canary: CanaryOptions): Promise<string> {
    const { DescribeAlarmsCommand } = await cloudwatchSdk();
    const found = await call(`DescribeAlarms ${canary.alarmName}`, () =>
      canary.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [canary.alarmName] })),
    );
    const alarm = found.MetricAlarms?.[0] ?? found.CompositeAlarms?.[0];
    if (alarm === undefined) {
      throw new DeployError(
        `the canary alarm ${canary.alarmName} does not exist; create it or unset ${ENV.canaryAlarmName}`,
      );
    }
    return alarm.StateValue ?? 'INSUFFICIENT_DATA';
  }

  /**
   * Requests `version` answered through the alias since `since`: AWS/Lambda `Invocations` with the
   * ExecutedVersion dimension, which splits a weighted alias's traffic by the version that ran
   * (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-view.html). The version's own check
   * (Invoke with the version as qualifier) is not counted: it does not go through the alias.
   */
  async function invocationsThroughAlias(
    canary: CanaryOptions,
    version: string,
    since: number,
  ): Promise<number> {
    const { GetMetricStatisticsCommand } = await cloudwatchSdk();
    const minute = 60_000;
    const out = await call(
      `GetMetricStatistics Invocations of ${FunctionName}:${alias} version ${version}`,
      () =>
        canary.cloudwatch.send(
          new GetMetricStatisticsCommand({
            Namespace: 'AWS/Lambda',
            MetricName: 'Invocations',
            Dimensions: [
              { Name: 'FunctionName', Value: FunctionName },
              { Name: 'Resource', Value: `${FunctionName}:${alias}` },
              { Name: 'ExecutedVersion', Value: version },
            ],
            // Whole minutes around the window: the version served nothing through the alias before it.
            StartTime: new Date(Math.floor(since / minute) * minute),
            EndTime: new Date(Math.ceil(now() / minute) * minute),
            Period: 60,
            Statistics: ['Sum'],
          }),
        ),
    );
    return (out.Datapoints ?? []).reduce((sum, point) => sum + (point.Sum ?? 0), 0);
  }

  /**
   * A `fetch` that sends each request to one version directly (Invoke with the version as qualifier and a
   * Function URL event, payload 2.0), the way that version's URL would call it, and answers with what the
   * function returned. A function error answers 502, as a Function URL does.
   */
  function invokeFetch(version: string, what: string): typeof fetch {
    return async (url, init) => {
      const { InvokeCommand } = await lambdaSdk();
      const target = new URL(url instanceof Request ? url.url : String(url));
      const body = typeof init?.body === 'string' ? init.body : null;
      const event = {
        version: '2.0',
        rawPath: target.pathname,
        rawQueryString: target.search.replace(/^\?/, ''),
        headers: Object.fromEntries(new Headers(init?.headers).entries()),
        body,
        isBase64Encoded: false,
        requestContext: {
          requestId: 'slipway-promote-check',
          http: { method: init?.method ?? 'GET', path: target.pathname },
        },
      };
      // https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html: FunctionError is set when the
      // function itself failed; Payload is what it returned.
      const out = await call(`Invoke of ${what}`, () =>
        options.lambda.send(
          new InvokeCommand({
            FunctionName,
            Qualifier: version,
            Payload: new TextEncoder().encode(JSON.stringify(event)),
          }),
        ),
      );
      const text = out.Payload ? new TextDecoder().decode(out.Payload) : '';
      if (out.FunctionError)
        return new Response(`function error ${out.FunctionError}: ${text}`, { status: 502 });
      try {
        const result = JSON.parse(text) as { statusCode?: number; body?: string };
        return new Response(result.body ?? '', { status: result.statusCode ?? 200 });
      } catch {
        return new Response(`not an HTTP result: ${text}`, { status: 502 });
      }
    };
  }

  /**
   * Runs the SmokeTest step's own check (health, then every evaluation sample through /predict) against
   * one version, invoked directly, before it takes all of the traffic.
   */
  async function check(version: string, request: DeployRequest): Promise<void> {
    const what = `version ${version} of ${FunctionName}`;
    const result = await runSmokeTest(
      {
        model: request.model,
        version: request.version,
        endpoint: 'https://version.invalid/',
        samples: [...(request.samples ?? [])],
      },
      // One health check: the version's image does not change, so waiting would not help.
      { fetch: invokeFetch(version, what), timeoutMs: 0, requestTimeoutMs: 900_000 },
    );
    if (!result.passed) {
      const shown = result.failures.slice(0, 3).map((f) => f.message);
      const more = result.failures.length > 3 ? ` (and ${result.failures.length - 3} more)` : '';
      throw new DeployError(
        `${what} did not pass the smoke test before taking all of the traffic: ${shown.join('; ')}${more}; ` +
          `${alias} stays on the version that served before: check the image and its logs, then promote again`,
      );
    }
  }

  /** Runs the canary; returns what it found, in words. Throws (alias moved back) when the alarm fires. */
  async function runCanary(
    canary: CanaryOptions,
    next: string,
    current: AliasState,
    label: string,
    request: DeployRequest,
  ): Promise<string> {
    const previous = current.version;
    const weight = canary.weight ?? 0.1;
    const seconds = canary.seconds ?? 300;
    if ((await alarmState(canary)) === 'ALARM') {
      throw new DeployError(
        `the canary alarm ${canary.alarmName} is already in ALARM before ${label} got any traffic; ` +
          `${alias} stays on version ${previous}: find out why production alarms, then re-run the promotion`,
      );
    }
    // Lambda shifts weight only between published versions (never $LATEST):
    // https://docs.aws.amazon.com/lambda/latest/dg/configuring-alias-routing.html
    await setAlias(previous, { [next]: weight }, current, current.before);
    log('canary started', { alias, version: next, weight, seconds, alarm: canary.alarmName });
    // The new version is smoke-tested itself before it gets all of the traffic: a broken image or a model
    // that labels the samples wrongly is found even when nobody calls during the window.
    await check(next, request).catch(async (error: unknown) => {
      await setAlias(previous, {}, current, current.before);
      throw error;
    });
    const started = now();
    const until = started + seconds * 1000;
    for (;;) {
      const state = await alarmState(canary).catch(async (error: unknown) => {
        await setAlias(previous, {}, current, current.before);
        throw error;
      });
      if (state === 'ALARM') {
        await setAlias(previous, {}, current, current.before);
        throw new DeployError(
          `the canary alarm ${canary.alarmName} went into ALARM while ${Math.round(weight * 100)}% of traffic was on ${label}; ` +
            `${alias} was moved back to version ${previous} only`,
        );
      }
      if (now() >= until) break;
      await sleep(Math.min(canary.pollMs ?? 10_000, Math.max(0, until - now())));
    }
    // A window in which the new version answered nobody is not a pass. The alarm cannot tell: its period
    // also counts requests the previous version answered, before or during the canary. Lambda's metrics
    // reach CloudWatch within about a minute, so requests in the window's last minute may not be counted
    // yet: that can only turn a pass into "no traffic", never the other way round.
    const served = await invocationsThroughAlias(canary, next, started).catch(async (error: unknown) => {
      await setAlias(previous, {}, current, current.before);
      throw error;
    });
    const share = `${Math.round(weight * 100)}% of traffic on version ${next}`;
    return served > 0
      ? `passed: ${canary.alarmName} stayed out of ALARM for ${seconds} s with ${share}, which answered ${served} request${served === 1 ? '' : 's'}`
      : `no traffic: version ${next} answered no request through ${alias} during the ${seconds} s canary (${share}), so nothing was checked`;
  }

  return {
    async deploy(request: DeployRequest): Promise<Deployment> {
      const label = `${request.model} v${request.version}`;
      const { PublishVersionCommand } = await lambdaSdk();
      const image = await options.images.build(request);
      log('image composed', { imageUri: image.imageUri, blobs: image.blobs });
      await waitUntilReady(undefined, 'an earlier update');
      const codeSha = await updateCode(image.imageUri);
      await waitUntilReady(undefined, `the code update to ${image.imageUri}`);
      // Unchanged code publishes no new version: Lambda returns the latest one (a retried promotion).
      const published = await call(`PublishVersion of ${FunctionName}`, () =>
        options.lambda.send(
          new PublishVersionCommand({
            FunctionName,
            ...(codeSha ? { CodeSha256: codeSha } : {}),
            Description: `${label} ${image.digest}`.slice(0, 256),
          }),
        ),
      );
      const next = published.Version;
      if (next === undefined) throw new DeployError(`PublishVersion of ${FunctionName} returned no version`);
      await waitUntilReady(next, `version ${next}`);
      const current = await aliasState();
      // Already there (a retried or resumed promotion): what served before is on the alias.
      const before = current === null ? null : current.version === next ? current.before : current.version;
      let canaryResult = 'none';
      // A canary guards forward promotions from a model that serves; the first promotion (no production
      // yet: the alias is on the base image, which has no model) and a rollback move at once.
      const forward = request.previous !== null && request.version > request.previous;
      if (options.canary && forward && current !== null && current.version !== next) {
        if (current.version === '$LATEST') {
          canaryResult = `none: ${alias} pointed at $LATEST, which cannot share traffic with a version`;
        } else {
          canaryResult = await runCanary(
            options.canary,
            next,
            current,
            `version ${next} (${label})`,
            request,
          );
        }
      } else if (options.canary && request.previous === null) {
        canaryResult = 'none: the first promotion has no production model to compare with';
      }
      await setAlias(next, {}, current, before);
      log('alias moved', { alias, version: next, before, imageUri: image.imageUri, canary: canaryResult });
      return {
        endpoint: options.endpoint,
        restore: before === '$LATEST' ? null : before,
        canary: canaryResult,
      };
    },

    async restore(request) {
      // Back to the published version that served before: no image is composed again.
      const current = await aliasState();
      await setAlias(request.restore, {}, current, null);
      log('alias restored', { alias, version: request.restore, from: current?.version ?? null });
      return { endpoint: options.endpoint };
    },
  };
}

/** The alias as the deployer reads it: its version, and what served before the last promotion moved it. */
interface AliasState {
  readonly version: string;
  readonly before: string | null;
}

const BEFORE_MARK = 'slipway: before this promotion, version ';

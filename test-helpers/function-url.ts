// The inference function's Function URL and its canary alarm, as doubles on loopback: requests go to the
// version the `live` alias routes them to (weights included), and each version serves the image it was
// published from, pulled out of the registry: a model image serves its /opt/model with the real inference
// server, the base image (no model) fails every request as the real one does. With IAM auth, each request
// must be SigV4-signed (service lambda) by a known caller whose identity policy allows both
// lambda:InvokeFunctionUrl and lambda:InvokeFunction via the URL on the alias, as Lambda checks it:
// https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { folderSource, type InferenceServer, startInferenceServer } from '@slipway/inference';
import { parseImageReference, type RegistryClient } from '@slipway/runner-aws';
import { openModel } from '@slipway/training-job';
import type { LambdaDouble, LambdaVersion } from './aws-lambda-double.js';
import { authorize, type PolicyDocument } from './iam-policy.js';
import { signingKeyId, verifySigV4 } from './sigv4-server.js';

const run = promisify(execFile);

/** A principal that may sign requests: its keys and its identity policy. */
export interface FunctionUrlCaller {
  readonly name: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly policy: PolicyDocument;
}

/** AuthType AWS_IAM: who may call, in which region, and the ARN of the alias the URL is on. */
export interface FunctionUrlIamAuth {
  readonly region: string;
  readonly aliasArn: string;
  readonly callers: readonly FunctionUrlCaller[];
}

/** One request the URL refused, and why. */
interface FunctionUrlRefusal {
  readonly caller: string | null;
  readonly reason: string;
}

/** A Function URL on the `live` alias of a {@link LambdaDouble}. */
export interface FunctionUrlDouble {
  readonly url: string;
  /** Requests answered, by Lambda version and status class, since the start. */
  readonly answered: { version: string; status: number; at: number }[];
  /** Requests refused before reaching the function (IAM auth), in order. */
  readonly refused: FunctionUrlRefusal[];
  /** The next version published after this call answers 503 to everything (a broken image). */
  breakNextVersion(): void;
  /** Runs one version with a Function URL event (payload 2.0), as Lambda's Invoke would. */
  invoke(version: LambdaVersion, event: unknown): Promise<unknown>;
  close(): Promise<void>;
}

/** Starts the Function URL double on 127.0.0.1. */
export async function startFunctionUrl(
  lambda: LambdaDouble,
  registry: RegistryClient,
  auth: FunctionUrlIamAuth | null = null,
): Promise<FunctionUrlDouble> {
  const refused: FunctionUrlRefusal[] = [];
  const work = await mkdtemp(join(tmpdir(), 'slipway-function-url-'));
  const servers = new Map<string, Promise<InferenceServer | null>>();
  const broken = new Set<string>();
  let breakAbove: number | null = null;
  const answered: FunctionUrlDouble['answered'] = [];
  let turn = 0;

  /** The inference server for an image, or null when the image has no model (the base image). */
  const serverFor = (imageUri: string) => {
    let found = servers.get(imageUri);
    if (!found) {
      found = (async () => {
        const ref = parseImageReference(imageUri);
        const manifest = JSON.parse(
          new TextDecoder().decode((await registry.getManifest(ref.repository, ref.reference)).body),
        ) as { config: { digest: string }; layers: { digest: string }[] };
        const config = JSON.parse(
          new TextDecoder().decode(await registry.getBlob(ref.repository, manifest.config.digest)),
        ) as { config?: { Labels?: Record<string, string> } };
        if (config.config?.Labels?.['io.slipway.model'] === undefined) return null;
        const last = manifest.layers.at(-1)?.digest ?? '';
        const dir = await mkdtemp(join(work, 'image-'));
        await writeFile(join(dir, 'layer.tar.gz'), await registry.getBlob(ref.repository, last));
        await run('tar', ['-xzf', join(dir, 'layer.tar.gz'), '-C', dir]);
        return startInferenceServer({
          source: folderSource(join(dir, 'opt/model')),
          open: openModel,
          port: 0,
        });
      })();
      servers.set(imageUri, found);
    }
    return found;
  };

  /** Picks a route by weight, deterministically: every tenth request goes to a 10% version. */
  const pick = () => {
    const routes = lambda.routes();
    turn++;
    let acc = 0;
    const slot = (turn % 100) / 100;
    for (const route of routes) {
      acc += route.weight;
      if (slot < acc) return route;
    }
    return routes[0];
  };

  const answer = (res: ServerResponse, version: string, status: number, body: unknown) => {
    answered.push({ version, status, at: Date.now() });
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  const isBroken = (version: string) => {
    if (breakAbove !== null && Number(version) > breakAbove) {
      broken.add(version);
      breakAbove = null;
    }
    return broken.has(version);
  };

  const invoke = async (version: LambdaVersion, event: unknown) => {
    const e = event as {
      rawPath: string;
      body?: string | null;
      requestContext: { http: { method: string } };
    };
    if (isBroken(version.version))
      throw Object.assign(new Error('the image does not start'), { name: 'Runtime.ExitError' });
    const server = await serverFor(version.imageUri);
    if (!server) throw Object.assign(new Error('no model at /opt/model'), { name: 'Runtime.ExitError' });
    const upstream = await fetch(new URL(e.rawPath, server.url), {
      method: e.requestContext.http.method,
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      ...(e.body ? { body: e.body } : {}),
    });
    return {
      statusCode: upstream.status,
      headers: { 'content-type': 'application/json' },
      body: await upstream.text(),
    };
  };

  /** Why an IAM-auth URL refuses the request (signature, then the caller's identity policy), or null. */
  const refusal = (req: IncomingMessage, body: Buffer): FunctionUrlRefusal | null => {
    if (auth === null) return null;
    const keyId = signingKeyId(req.headers.authorization);
    const caller = auth.callers.find((c) => c.accessKeyId === keyId);
    if (caller === undefined)
      return { caller: null, reason: keyId === null ? 'not signed' : `unknown access key ${keyId}` };
    const { problem } = verifySigV4(
      req,
      body,
      { ...caller, region: auth.region, service: 'lambda' },
      300_000,
    );
    if (problem !== null) return { caller: caller.name, reason: problem };
    // Both actions, on the alias the URL belongs to, with the condition keys a URL request carries.
    const context = { 'lambda:FunctionUrlAuthType': 'AWS_IAM', 'lambda:InvokedViaFunctionUrl': 'true' };
    for (const action of ['lambda:InvokeFunctionUrl', 'lambda:InvokeFunction']) {
      const decision = authorize(caller.policy, { action, resource: auth.aliasArn, context });
      if (decision !== 'allowed')
        return { caller: caller.name, reason: `${action} on ${auth.aliasArn}: ${decision}` };
    }
    return null;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const denied = refusal(req, Buffer.concat(chunks));
    if (denied !== null) {
      // An IAM-auth URL answers 403 Forbidden before the function runs; no version answered it.
      refused.push(denied);
      const text = JSON.stringify({ Message: 'Forbidden' });
      res.writeHead(403, {
        'content-type': 'application/json',
        'x-amzn-errortype': 'AccessDeniedException',
        'content-length': Buffer.byteLength(text),
      });
      res.end(text);
      return;
    }
    const route = pick();
    if (!route) return answer(res, '?', 404, { Message: 'Function URL not found' });
    if (isBroken(route.version)) return answer(res, route.version, 503, { Message: 'Service Unavailable' });
    const server = await serverFor(route.imageUri).catch(() => null);
    // The base image starts without /opt/model: the function fails, and the URL answers 502.
    if (!server) return answer(res, route.version, 502, { Message: 'Internal Server Error' });
    const upstream = await fetch(new URL(req.url ?? '/', server.url), {
      method: req.method ?? 'GET',
      headers: { 'content-type': req.headers['content-type'] ?? 'application/json' },
      ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
    });
    return answer(res, route.version, upstream.status, await upstream.json());
  };

  const http: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => answer(res, '?', 500, { Message: String(error) }));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    answered,
    refused,
    invoke,
    breakNextVersion: () => {
      const published = lambda.routes().map((r) => Number(r.version));
      breakAbove = Math.max(...published.filter(Number.isFinite), 1);
    },
    close: async () => {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      for (const server of servers.values()) await (await server.catch(() => null))?.close();
      await rm(work, { recursive: true, force: true });
    },
  };
}

/** What the canary reads from CloudWatch about the URL's function. */
export interface CloudWatchDoubleOptions {
  readonly alarmName: string;
  /** The inference function and the alias its URL is on (the Invocations metric's dimensions). */
  readonly functionName: string;
  readonly alias?: string;
  /** The alarm's period. CloudWatch's is a minute; a test's canary is shorter. */
  readonly periodMs?: number;
}

/**
 * CloudWatch as the canary reads it, over the Function URL's answers.
 *
 * DescribeAlarms: the canary alarm as the stack defines it: ALARM on any 5xx in the last period, OK when
 * there were requests and none failed, INSUFFICIENT_DATA when nobody called (missing data is left missing,
 * TreatMissingData "missing":
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data).
 * The period counts every request in it, whichever version answered and including those answered before
 * a canary began, as CloudWatch's does.
 *
 * GetMetricStatistics: AWS/Lambda `Invocations` (Sum) with FunctionName, Resource (`<function>:<alias>`)
 * and ExecutedVersion: the requests one version answered through the alias, one datapoint per period
 * that had any (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-view.html); any other
 * metric or dimension set has no datapoints. More than 1,440 datapoints asked for is refused with
 * InvalidParameterCombination
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricStatistics.html).
 */
export function cloudWatchDouble(url: FunctionUrlDouble, options: CloudWatchDoubleOptions) {
  const { alarmName, functionName } = options;
  const alias = options.alias ?? 'live';
  const periodMs = options.periodMs ?? 60_000;
  const state = () => {
    const recent = url.answered.filter((a) => a.at > Date.now() - periodMs);
    if (recent.some((a) => a.status >= 500)) return 'ALARM';
    return recent.length > 0 ? 'OK' : 'INSUFFICIENT_DATA';
  };
  const describeAlarms = (input: { AlarmNames?: string[] }) => {
    const names = input.AlarmNames ?? [];
    return {
      MetricAlarms: names.includes(alarmName) ? [{ AlarmName: alarmName, StateValue: state() }] : [],
      CompositeAlarms: [],
    };
  };
  const getMetricStatistics = (input: {
    Namespace?: string;
    MetricName?: string;
    Dimensions?: { Name?: string; Value?: string }[];
    StartTime?: Date;
    EndTime?: Date;
    Period?: number;
  }) => {
    const start = input.StartTime?.getTime() ?? 0;
    const end = input.EndTime?.getTime() ?? 0;
    const period = (input.Period ?? 60) * 1000;
    if ((end - start) / period > 1440) {
      throw Object.assign(
        new Error('You have requested up to 1,441 datapoints, which exceeds the limit of 1,440.'),
        {
          name: 'InvalidParameterCombination',
        },
      );
    }
    const dims = new Map((input.Dimensions ?? []).map((d) => [d.Name, d.Value]));
    const version = dims.get('ExecutedVersion');
    const matches =
      input.Namespace === 'AWS/Lambda' &&
      input.MetricName === 'Invocations' &&
      dims.size === 3 &&
      dims.get('FunctionName') === functionName &&
      dims.get('Resource') === `${functionName}:${alias}` &&
      version !== undefined;
    const sums = new Map<number, number>();
    if (matches) {
      for (const a of url.answered) {
        if (a.version !== version || a.at < start || a.at >= end) continue;
        const slot = start + Math.floor((a.at - start) / period) * period;
        sums.set(slot, (sums.get(slot) ?? 0) + 1);
      }
    }
    return {
      Label: input.MetricName,
      Datapoints: [...sums].map(([at, Sum]) => ({ Timestamp: new Date(at), Sum, Unit: 'Count' })),
    };
  };
  return {
    send: async (command: { constructor: { name: string }; input: unknown }) => {
      switch (command.constructor.name) {
        case 'DescribeAlarmsCommand':
          return describeAlarms(command.input as Parameters<typeof describeAlarms>[0]);
        case 'GetMetricStatisticsCommand':
          return getMetricStatistics(command.input as Parameters<typeof getMetricStatistics>[0]);
        default:
          throw new Error(`the CloudWatch double does not answer ${command.constructor.name}`);
      }
    },
  };
}

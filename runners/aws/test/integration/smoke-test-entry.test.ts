// The SmokeTest entry point loaded as Lambda loads it, with the environment the CDK app gives it:
// ENDPOINT_AUTH=AWS_IAM signs with the credentials Lambda puts in the environment (the function's role),
// NONE sends requests as they are, anything else fails init. The endpoint is a loopback server that
// checks signatures as a Function URL with IAM auth does.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inferenceRoute, type SigV4Server, startSigV4Server } from '../../../../test-helpers/sigv4-server.js';

const run = promisify(execFile);
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const entry = pathToFileURL(join(repo, 'runners/aws/src/steps/smoke-test/lambda.ts')).href;

const CREDENTIALS = {
  accessKeyId: 'AKIAEXAMPLE1234',
  secretAccessKey: 'c2VjcmV0LWtleS1mb3ItdGhlLXRlc3Rz',
  sessionToken: 'FwoGZXIvYXdzEXAMPLETOKEN',
};
// What Lambda sets for a function's role, read by the SDK's default credential chain.
const LAMBDA_ENV = {
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
  AWS_SESSION_TOKEN: CREDENTIALS.sessionToken,
};

let home: string;
let server: SigV4Server;
beforeAll(async () => {
  // An empty HOME: no ~/.aws files for the credential chain to find.
  home = await mkdtemp(join(tmpdir(), 'slipway-smoke-entry-'));
  server = await startSigV4Server(
    { ...CREDENTIALS, region: 'eu-west-1', service: 'lambda' },
    inferenceRoute('sentiment', 3, 'positive'),
  );
});
afterAll(async () => {
  await server?.close();
  await rm(home, { recursive: true, force: true });
});

/** The handler's result: the last line of the output, after the function's log lines. */
const result = (stdout: string) => JSON.parse(stdout.split('\n').at(-1) ?? '') as unknown;

/**
 * Loads the entry (by default the TypeScript source, through tsx) in a fresh process with `env`, runs one
 * SmokeTest event, and prints the output.
 */
function invoke(
  env: Record<string, string>,
  module = entry,
  loader = ['--conditions=source', '--import', 'tsx'],
) {
  const event = {
    model: 'sentiment',
    version: 3,
    endpoint: server.url,
    samples: [{ text: 'a fine film', label: 'positive' }],
  };
  const script = `
    const { handler } = await import(${JSON.stringify(module)});
    process.stdout.write(JSON.stringify(await handler(${JSON.stringify(event)})));
  `;
  // The function's log lines come first (one JSON object each), the handler's result last.

  return run(process.execPath, [...loader, '--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH ?? '', HOME: home, SMOKE_TEST_TIMEOUT_MS: '300', ...env },
    timeout: 60_000,
  });
}

describe('the SmokeTest entry point and ENDPOINT_AUTH', () => {
  it('AWS_IAM: signs the health check and the predictions with the role in the environment', async () => {
    const before = server.requests.length;
    const { stdout } = await invoke({ ...LAMBDA_ENV, ENDPOINT_AUTH: 'AWS_IAM' });
    expect(result(stdout)).toEqual({ passed: true, failures: [], servedVersion: 3 });
    expect(server.requests.slice(before).map((r) => [r.method, r.path, r.problem])).toEqual([
      ['GET', '/health', null],
      ['POST', '/predict', null],
    ]);
  });

  it('NONE: sends the requests unsigned, which an IAM endpoint refuses', async () => {
    const before = server.requests.length;
    const { stdout } = await invoke({ ...LAMBDA_ENV, ENDPOINT_AUTH: 'NONE' });
    const output = result(stdout) as { passed: boolean; failures: { actual: string }[] };
    expect(output.passed).toBe(false);
    expect(output.failures[0]?.actual).toBe('HTTP 403: {"Message":"Forbidden"}');
    const seen = server.requests.slice(before);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((r) => r.problem === 'no SigV4 authorization header')).toBe(true);
  });

  it.each([
    [
      { ...LAMBDA_ENV, ENDPOINT_AUTH: 'IAM' },
      'StepConfigError: ENDPOINT_AUTH must be AWS_IAM (SigV4-signed requests, for a Function URL with IAM auth) or NONE, got "IAM"',
    ],
    [{ ENDPOINT_AUTH: 'AWS_IAM' }, 'StepConfigError: ENDPOINT_AUTH is AWS_IAM but AWS_REGION is not set'],
  ])('fails init naming the variable (%#)', async (env, message) => {
    const before = server.requests.length;
    const error = (await invoke(env).catch((e: unknown) => e)) as { code?: number; stderr?: string };
    expect(error.code).toBe(1);
    expect(error.stderr).toContain(message);
    expect(server.requests.length).toBe(before);
  });
});

describe('the SmokeTest bundle in the steps image', () => {
  let image: string;
  beforeAll(async () => {
    image = await mkdtemp(join(tmpdir(), 'slipway-smoke-image-'));
    await run(process.execPath, [join(repo, 'runners/aws/build.mjs'), '--out', image], { cwd: repo });
  }, 120_000);
  afterAll(async () => {
    if (image) await rm(image, { recursive: true, force: true });
  });

  // The bundler turns the lazily loaded signing modules into chunks; a module whose exports do not
  // survive that would only show here, as a failure to sign.
  it('AWS_IAM: signs as the source does', async () => {
    const before = server.requests.length;
    const bundle = pathToFileURL(join(image, 'steps/smoke-test/lambda.mjs')).href;
    const { stdout } = await invoke({ ...LAMBDA_ENV, ENDPOINT_AUTH: 'AWS_IAM' }, bundle, []);
    expect(result(stdout)).toEqual({ passed: true, failures: [], servedVersion: 3 });
    expect(server.requests.slice(before).map((r) => [r.method, r.path, r.problem])).toEqual([
      ['GET', '/health', null],
      ['POST', '/predict', null],
    ]);
  });
});

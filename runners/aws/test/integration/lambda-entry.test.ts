// The AWS entry points load in a fresh process as Lambda loads them; a missing setting fails init with
// the variable's name, before any AWS call.
import { execFile } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const src = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');
const entry = (path: string) => pathToFileURL(resolve(src, path)).href;

async function init(path: string, env: Record<string, string>): Promise<{ code?: number; stderr?: string }> {
  return run(
    process.execPath,
    [
      '--conditions=source',
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      `await import(${JSON.stringify(entry(path))});`,
    ],
    { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, timeout: 60_000 },
  ).then(
    () => ({ code: 0 }),
    (e: { code?: number; stderr?: string }) => e,
  );
}

describe('AWS Lambda entry points', () => {
  it('the links function needs STORE_URI and APPROVAL_SECRET_ARN', async () => {
    const noStore = await init('approval-links/lambda.ts', { APPROVAL_SECRET_ARN: 'arn:secret' });
    expect(noStore.code).toBe(1);
    expect(noStore.stderr).toContain('StepConfigError: STORE_URI is not set');
    const noSecret = await init('approval-links/lambda.ts', { STORE_URI: 'file:///tmp/x' });
    expect(noSecret.stderr).toContain('StepConfigError: APPROVAL_SECRET_ARN is not set');
  });

  it('Promote with INFERENCE_FUNCTION_NAME needs the image settings', async () => {
    const result = await init('steps/promote/lambda.ts', {
      STORE_URI: 'file:///tmp/x',
      INFERENCE_FUNCTION_NAME: 'slipway-dev-inference',
      INFERENCE_BASE_IMAGE_URI: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipway-inference:base',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('StepConfigError: MODEL_IMAGE_REPOSITORY_URI is not set');
  });

  it('Approval with APPROVAL_TOPIC_ARN needs the links URL and secret', async () => {
    const result = await init('steps/approval/lambda.ts', {
      STORE_URI: 'file:///tmp/x',
      APPROVAL_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:approvals',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('StepConfigError: APPROVAL_LINKS_URL is not set');
  });
});

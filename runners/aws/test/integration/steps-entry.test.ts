// The Lambda entry points load in a fresh process the way Lambda loads them: configuration from the
// environment at init, a handler exported, a missing variable failing init with its name.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const steps = resolve(dirname(fileURLToPath(import.meta.url)), '../../src/steps');
const entry = (step: string) => pathToFileURL(join(steps, step, 'lambda.ts')).href;
const STEPS = ['evaluate', 'register', 'approval', 'promote', 'smoke-test'];

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'slipway-lambda-entry-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function node(script: string, env: Record<string, string>) {
  return run(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', '--input-type=module', '-e', script],
    {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      timeout: 60_000,
    },
  );
}

describe('step Lambda entry points', () => {
  it('each exports a handler built from STORE_URI; a bad event fails with InvalidEventError', async () => {
    const script = `
      const out = {};
      for (const [step, url] of ${JSON.stringify(STEPS.map((s) => [s, entry(s)]))}) {
        const { handler } = await import(url);
        const error = await handler({}).catch((e) => e);
        out[step] = [typeof handler, error?.name, error?.message.split(':')[0]];
      }
      process.stdout.write(JSON.stringify(out));
    `;
    const { stdout, stderr } = await node(script, {
      STORE_URI: pathToFileURL(root).href,
      ENDPOINT_URL: 'http://127.0.0.1:8080',
    });
    const lines = stdout.split('\n');
    expect(JSON.parse(lines.at(-1) ?? '')).toEqual({
      evaluate: ['function', 'InvalidEventError', 'invalid Evaluate event'],
      register: ['function', 'InvalidEventError', 'invalid Register event'],
      approval: ['function', 'InvalidEventError', 'invalid Approval event'],
      promote: ['function', 'InvalidEventError', 'invalid Promote event'],
      'smoke-test': ['function', 'InvalidEventError', 'invalid SmokeTest event'],
    });
    // Before it, each step's powertools log lines: started on stdout, failed (ERROR) on stderr with the
    // error's name and code. Lambda sends both streams to the function's log group.
    const steps = ['evaluate', 'register', 'approval', 'promote', 'smokeTest'];
    const parse = (text: string) =>
      text
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    const started = parse(lines.slice(0, -1).join('\n'));
    const failed = parse(stderr);
    expect(started.map((l) => [l.step, l.level, l.message])).toEqual(
      steps.map((step) => [step, 'INFO', 'step started']),
    );
    expect(failed.map((l) => [l.step, l.level, l.message, l.errorName, l.errorCode])).toEqual(
      steps.map((step) => [step, 'ERROR', 'step failed', 'InvalidEventError', 'SLIPWAY_INVALID_EVENT']),
    );
    for (const l of [...started, ...failed]) expect(l.service).toBe('slipway-steps');
  });

  it('fails init naming the variable when STORE_URI is missing', async () => {
    const error = (await node(`await import(${JSON.stringify(entry('register'))});`, {}).catch(
      (e: unknown) => e,
    )) as {
      code?: number;
      stderr?: string;
    };
    expect(error.code).toBe(1);
    expect(error.stderr).toContain('StepConfigError: STORE_URI is not set');
  });

  it('TrainingTaskDefinition: a handler built from its environment; init fails naming a missing variable', async () => {
    const url = JSON.stringify(entry('training-task'));
    const env = {
      TRAINING_FAMILY: 'slipway-dev-training',
      TRAINING_CONTAINER: 'train',
      TRAINING_REPOSITORIES: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipway-dev/training',
      AWS_REGION: 'eu-west-1',
    };
    // A tag is refused before ECS is called: no credentials are needed to see it.
    const { stdout } = await node(
      `const { handler } = await import(${url});
       const error = await handler({ trainingImage: 'registry.example/t:latest' }).catch((e) => e);
       process.stdout.write('\\n' + JSON.stringify([typeof handler, error?.name]));`,
      env,
    );
    // The function logs the failed invocation first (one JSON line); the result is the last line.
    expect(JSON.parse(stdout.trim().split('\n').at(-1) ?? '')).toEqual(['function', 'InvalidEventError']);
    const { TRAINING_REPOSITORIES: _, ...missing } = env;
    const error = (await node(`await import(${url});`, missing).catch((e: unknown) => e)) as {
      code?: number;
      stderr?: string;
    };
    expect(error.code).toBe(1);
    expect(error.stderr).toContain('StepConfigError: TRAINING_REPOSITORIES is not set');
  });
});

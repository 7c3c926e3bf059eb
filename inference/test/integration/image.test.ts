// The Lambda image's contents, built by the same command the Dockerfile runs, and the bundled handler
// invoked in-process with real API Gateway / Function URL events against a real model folder.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { functionUrlEvent, httpApiEvent, lambdaContext, restApiEvent } from '../helpers/events.js';

const run = promisify(execFile);
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const dockerfile = join(repo, 'inference/Dockerfile');
const IMAGE_PATHS = ['handler.mjs', 'node_modules/onnxruntime-node', 'node_modules/onnxruntime-common'];

let out: string;
let modelDir: string;
let files: string[];
let selfTest: { text: string; label: string }[];
type Handler = (
  event: unknown,
  context?: unknown,
) => Promise<{ statusCode: number; headers: Record<string, string>; body: string }>;
let handler: Handler;
const emf: Record<string, unknown>[] = [];

const importHandler = (url: string) => import(/* @vite-ignore */ url) as Promise<{ handler: Handler }>;

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'slipway-image-'));
  // The build stage's command, taken from the Dockerfile itself.
  const text = await readFile(dockerfile, 'utf8');
  const command = /^RUN (node inference\/build\.mjs --out \/image)$/m.exec(text)?.[1];
  expect(command).toBeDefined();
  const [node, ...args] = (command as string).replace('/image', out).split(' ');
  expect(node).toBe('node');
  await run(process.execPath, args, { cwd: repo });
  files = (await readdir(out, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => relative(out, join(e.parentPath, e.name)));

  // Train (or reuse) the model in a child process, so this process loads only the image's onnxruntime.
  const { stdout } = await run(
    process.execPath,
    [
      '--conditions=source',
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      "const m = await import('./inference/test/helpers/trained-model.ts'); console.log(await m.trainedModelDir());",
    ],
    { cwd: repo },
  );
  modelDir = stdout.trim();
  selfTest = JSON.parse(await readFile(join(modelDir, 'manifest.json'), 'utf8')).selfTest;

  vi.stubEnv('MODEL_DIR', modelDir);
  vi.stubEnv('AWS_EMF_ENVIRONMENT', 'Local');
  vi.stubEnv('LOG_LEVEL', 'ERROR');
  vi.spyOn(console, 'log').mockImplementation((line: unknown) => {
    emf.push(JSON.parse(String(line)));
  });
  ({ handler } = await importHandler(pathToFileURL(join(out, 'handler.mjs')).href));
}, 120_000);

afterAll(async () => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  await rm(out, { recursive: true, force: true });
});

describe('inference Lambda image', () => {
  it('holds only the bundle and onnxruntime for linux-x64, well under the 250 MB Lambda limit', async () => {
    for (const file of files)
      expect(
        IMAGE_PATHS.some((p) => file === p || file.startsWith(`${p}/`)),
        file,
      ).toBe(true);
    const binaries = files.filter((f) => f.startsWith('node_modules/onnxruntime-node/bin/'));
    expect(binaries.sort()).toEqual([
      'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1',
      'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node',
    ]);
    let bytes = 0;
    for (const file of files) bytes += (await stat(join(out, file))).size;
    expect(bytes).toBeLessThan(100e6);
  });

  it('is built by a Dockerfile that copies exactly those paths onto the Lambda Node.js 22 base image', async () => {
    const text = await readFile(dockerfile, 'utf8');
    const stages = text.split(/^FROM /m).slice(1);
    expect(stages).toHaveLength(2);
    const final = stages[1] as string;
    expect(final.split('\n')[0]).toBe('--platform=linux/amd64 public.ecr.aws/lambda/nodejs:22');
    const copies = [
      ...final.matchAll(/^COPY --from=build \/image\/(\S+) \$\{LAMBDA_TASK_ROOT\}\/(\S+)$/gm),
    ].map((m) => [m[1], m[2]]);
    expect(copies).toEqual(IMAGE_PATHS.map((p) => [p, p]));
    expect(final.match(/^(COPY|ADD) /gm)).toHaveLength(IMAGE_PATHS.length);
    expect(final).toContain('ENV MODEL_DIR=/opt/model');
    expect(final).toMatch(/^CMD \["handler\.handler"\]$/m);
  });

  it('answers POST /predict from HTTP API, REST API and Function URL events with the self-test labels', async () => {
    const texts = selfTest.map((e) => e.text);
    const body = JSON.stringify({ texts });
    const events = [
      httpApiEvent({ method: 'POST', path: '/predict', body, contentType: 'application/json' }),
      restApiEvent({ method: 'POST', path: '/predict', body, contentType: 'application/json' }),
      functionUrlEvent({
        method: 'POST',
        path: '/predict',
        body,
        contentType: 'application/json',
        base64: true,
      }),
    ];
    for (const event of events) {
      const result = await handler(event, lambdaContext);
      expect(result.statusCode).toBe(200);
      const parsed = JSON.parse(result.body) as { model: unknown; predictions: { label: string }[] };
      expect(parsed.model).toEqual({ name: 'sentiment', version: null });
      expect(parsed.predictions.map((p) => p.label)).toEqual(selfTest.map((e) => e.label));
    }
  });

  it('keeps the legacy contract, documents itself, and rejects bad input with JSON 4xx', async () => {
    const [first] = selfTest;
    const legacy = await handler(
      httpApiEvent({
        method: 'POST',
        path: '/',
        body: JSON.stringify({ text: first?.text }),
        contentType: 'application/json',
      }),
    );
    expect(JSON.parse(legacy.body)).toEqual({ response: first?.label, request: { text: first?.text } });
    const docs = await handler(restApiEvent({ method: 'GET', path: '/docs' }));
    expect(docs.headers['content-type']).toBe('text/html; charset=utf-8');
    const bad = await handler(
      httpApiEvent({
        method: 'POST',
        path: '/predict',
        body: '{"texts":"x"}',
        contentType: 'application/json',
      }),
    );
    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(bad.body)).toEqual({
      error: {
        code: 'invalid_request',
        message: 'texts must be an array; send {"text": "..."} or {"texts": ["...", ...]}',
      },
    });
  });

  it('emits EMF for each invocation, the first flagged as the cold start with the model load time', () => {
    const requests = emf.filter((line) => 'latency' in line);
    expect(requests.length).toBeGreaterThanOrEqual(3);
    expect(requests[0]).toMatchObject({
      Service: 'inference',
      ModelVersion: 'sentiment@unregistered',
      cold_start: 1,
    });
    expect(requests[0]?.['model.load_time']).toBeGreaterThan(0);
    expect(requests[1]).toMatchObject({ cold_start: 0, batch_size: selfTest.length });
    expect(requests[0]).toMatchObject({ _aws: { CloudWatchMetrics: [{ Namespace: 'slipway' }] } });
  });
});

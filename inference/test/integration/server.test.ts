import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelManifest } from '@slipway/contracts';
import { openModel } from '@slipway/training-job';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  folderSource,
  type InferenceServer,
  ModelLoadError,
  SelfTestFailedError,
  startInferenceServer,
} from '../../src/index.js';
import { postJson, rawExchange, send } from '../helpers/http.js';
import { breakSelfTest, copyModel, trainedModelDir } from '../helpers/trained-model.js';

type SelfTestEntry = { text: string; label: string; probabilities: Record<string, number> };

let server: InferenceServer;
let manifest: ModelManifest & { selfTest: SelfTestEntry[] };
let modelDir: string;
let scratch: string;

beforeAll(async () => {
  modelDir = await trainedModelDir();
  scratch = await mkdtemp(join(tmpdir(), 'slipway-server-test-'));
  manifest = JSON.parse(await readFile(join(modelDir, 'manifest.json'), 'utf8'));
  server = await startInferenceServer({
    source: folderSource(modelDir),
    open: openModel,
    port: 0,
    limits: { maxBodyBytes: 200_000 },
  });
});

afterAll(async () => {
  await server?.close();
  await rm(scratch, { recursive: true, force: true });
});

describe('local server with a real model (happy-path)', () => {
  it('listens on 127.0.0.1 on an ephemeral port', () => {
    expect(server.host).toBe('127.0.0.1');
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
  });

  it('predicts what training recorded for the self-test texts, probabilities within 1e-6', async () => {
    const response = await postJson(server.url, '/predict', { texts: manifest.selfTest.map((e) => e.text) });
    expect(response.status).toBe(200);
    const body = JSON.parse(response.body) as {
      model: unknown;
      predictions: { label: string; probabilities: Record<string, number> }[];
    };
    expect(body.model).toEqual({ name: 'sentiment', version: null });
    expect(body.predictions.map((p) => p.label)).toEqual(manifest.selfTest.map((e) => e.label));
    body.predictions.forEach((p, i) => {
      const expected = manifest.selfTest[i]?.probabilities ?? {};
      expect(Object.keys(p.probabilities)).toEqual(manifest.classes);
      for (const c of manifest.classes) expect(p.probabilities[c]).toBeCloseTo(expected[c] as number, 6);
    });
  });

  it('classifies an empty or blank text as a text with no known n-gram: 200, the intercept-only answer', async () => {
    const response = await postJson(server.url, '/predict', { texts: ['', '   \n', 'zqxjv wvkpq'] });
    expect(response.status).toBe(200);
    const [empty, blank, unknown] = (
      JSON.parse(response.body) as { predictions: { label: string; probabilities: Record<string, number> }[] }
    ).predictions;
    for (const p of [empty, blank]) {
      expect(p?.label).toBe(unknown?.label);
      for (const c of manifest.classes)
        expect(p?.probabilities[c]).toBeCloseTo(unknown?.probabilities[c] as number, 6);
    }
  });

  it('gives each of many concurrent single requests the same answer it gets alone (grouped runs)', async () => {
    const texts = Array.from({ length: 48 }, (_, i) =>
      i % 3 === 0 ? `great phone number ${i}` : i % 3 === 1 ? `terrible, broke after ${i} days` : `meh ${i}`,
    );
    const alone: unknown[] = [];
    for (const text of texts)
      alone.push(JSON.parse((await postJson(server.url, '/predict', { text })).body).predictions[0]);
    const together = await Promise.all(texts.map((text) => postJson(server.url, '/predict', { text })));
    together.forEach((response, i) => {
      const got = JSON.parse(response.body).predictions[0];
      const want = alone[i] as typeof got;
      expect(got.label).toBe(want.label);
      for (const c of manifest.classes) expect(got.probabilities[c]).toBeCloseTo(want.probabilities[c], 6);
    });
  });

  it('keeps the original POST / contract', async () => {
    const [entry] = manifest.selfTest;
    const response = await postJson(server.url, '/', { text: entry?.text });
    expect(JSON.parse(response.body)).toEqual({ response: entry?.label, request: { text: entry?.text } });
  });

  it('serves health, the OpenAPI document, the docs page and its assets', async () => {
    expect(JSON.parse((await send(server.url, '/health')).body)).toEqual({
      status: 'ok',
      model: { name: 'sentiment', version: null },
    });
    expect(JSON.parse((await send(server.url, '/openapi.json')).body).openapi).toBe('3.1.0');
    const docs = await send(server.url, '/docs');
    expect(docs.headers['content-type']).toBe('text/html; charset=utf-8');
    for (const asset of ['/docs/assets/docs.css', '/docs/assets/docs.js']) {
      expect((await send(server.url, asset)).status).toBe(200);
    }
  });

  it('answers with Content-Length and keeps the connection alive', async () => {
    const response = await send(server.url, '/health');
    expect(response.headers['content-length']).toBe(String(Buffer.byteLength(response.body)));
    expect(response.headers.connection).toBe('keep-alive');
  });
});

describe('local server rejections', () => {
  it('413 for a body over the limit, and the connection still answers afterwards', async () => {
    const response = await postJson(server.url, '/predict', { text: 'x'.repeat(250_000) });
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body).error.code).toBe('payload_too_large');
    expect((await send(server.url, '/health')).status).toBe(200);
  });

  it('404 / 405 / 415 as JSON errors', async () => {
    expect((await send(server.url, '/nope')).status).toBe(404);
    const wrongMethod = await send(server.url, '/predict', { method: 'DELETE' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.allow).toBe('POST');
    const wrongType = await send(server.url, '/predict', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '{"text":"hi"}',
    });
    expect(wrongType.status).toBe(415);
    expect(JSON.parse(wrongType.body).error.code).toBe('unsupported_media_type');
  });

  it('answers malformed HTTP with a JSON 400 instead of dropping the socket', async () => {
    const reply = await rawExchange(server.url, 'POST /predict HTTP/1.1\r\nContent-Length: nope\r\n\r\n');
    expect(reply).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(reply.slice(reply.indexOf('\r\n\r\n') + 4)).toBe(
      '{"error":{"code":"invalid_request","message":"the request is not valid HTTP/1.1"}}',
    );
  });

  it('answers CONNECT with a JSON 405 (it is not a proxy)', async () => {
    const reply = await rawExchange(
      server.url,
      'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n',
    );
    expect(reply).toMatch(/^HTTP\/1\.1 405 Method Not Allowed\r\n/);
    expect(reply).toContain('"code":"method_not_allowed"');
  });

  it('reads the path without its query string', async () => {
    expect((await postJson(server.url, '/predict?verbose=1', { text: 'fine' })).status).toBe(200);
  });
});

describe('start-up refusals', () => {
  it('refuses a model whose self-test fails on this host, naming the text and both labels', async () => {
    const dir = await copyModel(modelDir, join(scratch, 'bad-self-test'), breakSelfTest);
    const error = await startInferenceServer({ source: folderSource(dir), open: openModel, port: 0 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SelfTestFailedError);
    const first = manifest.selfTest[0] as SelfTestEntry;
    const wrong = manifest.classes.find((c) => c !== first.label);
    expect((error as Error).message).toContain(
      `failed its start-up self-test: ${JSON.stringify(first.text)} should be "${wrong}" but this host predicts "${first.label}"`,
    );
  });

  it('refuses a model file whose sha256 does not match the manifest', async () => {
    const dir = await copyModel(modelDir, join(scratch, 'corrupt'));
    const bytes = await readFile(join(dir, 'model.onnx'));
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 0xff, bytes.length - 1);
    await writeFile(join(dir, 'model.onnx'), bytes);
    const error = await startInferenceServer({ source: folderSource(dir), open: openModel, port: 0 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ModelLoadError);
    expect((error as Error).message).toMatch(
      /model\.onnx is corrupt: sha256 [0-9a-f]{64}, the manifest expects/,
    );
  });
});

import { readFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import { join } from 'node:path';
import type { ModelManifest } from '@slipway/contracts';
import { openModel } from '@slipway/training-job';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCodes, folderSource, type InferenceServer, startInferenceServer } from '../../src/index.js';
import { type FuzzCase, fuzzCases, UNICODE_EDGES } from '../helpers/fuzz-cases.js';
import { type Exchange, postJson, send } from '../helpers/http.js';
import { trainedModelDir } from '../helpers/trained-model.js';

const limits = { maxBodyBytes: 65_536, maxTextChars: 5_000, maxBatchSize: 64 };
let server: InferenceServer;
let manifest: ModelManifest;

beforeAll(async () => {
  const dir = await trainedModelDir();
  manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
  server = await startInferenceServer({ source: folderSource(dir), open: openModel, port: 0, limits });
});

afterAll(async () => {
  await server?.close();
});

/** Why a response is wrong for its case, or undefined when it is right. */
function problem(c: FuzzCase, r: Exchange): string | undefined {
  if (r.error !== undefined) return `no response: ${r.error}`;
  if (r.status >= 500) return `server error ${r.status}: ${r.body}`;
  if (!c.allowed.includes(r.status))
    return `status ${r.status}, expected ${c.allowed.join(' or ')}: ${r.body.slice(0, 300)}`;
  if (c.method === 'HEAD') return undefined;
  if (r.status >= 400) {
    const body = JSON.parse(r.body) as { error?: { code?: string; message?: string } };
    if (!errorCodes.includes(body.error?.code as (typeof errorCodes)[number]))
      return `bad error body ${r.body}`;
    if (typeof body.error?.message !== 'string' || body.error.message.length === 0)
      return `no message ${r.body}`;
    return undefined;
  }
  if (c.path.startsWith('/predict')) {
    const body = JSON.parse(r.body) as {
      predictions: { label: string; probabilities: Record<string, number> }[];
    };
    for (const p of body.predictions) {
      if (!manifest.classes.includes(p.label)) return `unknown label ${p.label}`;
      const sum = Object.values(p.probabilities).reduce((a, b) => a + b, 0);
      if (Math.abs(sum - 1) > 1e-5) return `probabilities sum to ${sum}`;
    }
  }
  return undefined;
}

describe('fuzzing the running local server', () => {
  it('answers 5,000+ bad and odd requests with the right 2xx/4xx, never a 5xx, and keeps predicting correctly', async () => {
    const cases = fuzzCases(5_200, limits);
    expect(cases.length).toBeGreaterThanOrEqual(5_000);
    const kinds = new Set(cases.map((c) => c.kind));
    expect([...kinds].sort()).toEqual([
      'batch',
      'binary',
      'content-type',
      'huge',
      'invalid-json',
      'method',
      'nested',
      'path',
      'unicode',
      'valid',
      'wrong-type',
    ]);

    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < cases.length) {
          const c = cases[next++] as FuzzCase;
          const response = await send(server.url, c.path, {
            method: c.method,
            headers: c.headers,
            ...(c.body === undefined ? {} : { body: c.body }),
            agent,
          });
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          const wrong = problem(c, response);
          if (wrong !== undefined && failures.length < 20)
            failures.push(`${c.kind} ${c.method} ${c.path.slice(0, 60)}: ${wrong}`);
        }
      }),
    );
    agent.destroy();
    expect(failures).toEqual([]);
    expect([...statuses.keys()].filter((s) => s >= 500 || s === 0)).toEqual([]);
    // Every family of answers was exercised.
    expect([...statuses.keys()].sort()).toEqual([200, 400, 404, 405, 413, 415]);

    // Still serving, still right.
    const selfTest = manifest.selfTest;
    const after = await postJson(server.url, '/predict', { texts: selfTest.map((e) => e.text) });
    expect(after.status).toBe(200);
    expect(JSON.parse(after.body).predictions.map((p: { label: string }) => p.label)).toEqual(
      selfTest.map((e) => e.label),
    );
  }, 180_000);

  it.each(Object.entries(UNICODE_EDGES))(
    'classifies the %s edge case like the runtime does in-process',
    async (_name, text) => {
      const response = await postJson(server.url, '/predict', { text });
      expect(response.status).toBe(200);
      const { classifier } = await openModel(await trainedModelDir());
      try {
        const [expected] = await classifier.predict([text]);
        const [got] = JSON.parse(response.body).predictions;
        expect(got.label).toBe(expected?.label);
        for (const c of manifest.classes)
          expect(got.probabilities[c]).toBeCloseTo(expected?.probabilities[c] as number, 6);
      } finally {
        await classifier.close();
      }
    },
  );
});

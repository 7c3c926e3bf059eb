import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import type {
  ExecutionDetail,
  ExecutionSummary,
  ModelDetail,
  ReportView,
  ServingView,
} from '@slipway/console';
import { LocalPipeline, readExecution } from '@slipway/runner-local';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { api, type ConsoleFixture, consoleFixture, pageToken } from '../helpers/console.js';

let f: ConsoleFixture;
let base: string;
let token: string;
let first: string;

/** Polls the execution's page data until `done` holds. */
async function until(
  id: string,
  done: (d: ExecutionDetail) => boolean,
  timeoutMs = 60_000,
): Promise<ExecutionDetail> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await api(base, `/api/executions/${id}`);
    const d = body as ExecutionDetail;
    if (done(d)) return d;
    if (Date.now() > deadline) throw new Error(`execution ${id} stuck in ${d.currentState} (${d.phase})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A raw request, so the test can send the Host and Origin headers a browser elsewhere would. */
function raw(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; body: string }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

beforeAll(async () => {
  f = await consoleFixture();
  base = f.console.url;
  token = await pageToken(base);
  const started = await api(base, '/api/executions', { body: { dataset: 'builtin:sentiment' }, token });
  expect(started.status).toBe(201);
  first = (started.body as { id: string }).id;
  await until(first, (d) => d.approval.waiting);
});
afterAll(async () => {
  await f?.close();
});

test('the page: one HTML document with its token, a hashed script and stylesheet, all served here', async () => {
  const response = await fetch(`${base}/`, { headers: { 'accept-encoding': 'gzip' } });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
  const html = await response.text();
  expect(html).toMatch(/<meta name="slipway-token" content="[A-Za-z0-9_-]{43}">/);
  const assets = [...html.matchAll(/(?:src|href)="(\/assets\/app-[0-9a-f]{12}\.(?:js|css))"/g)].map(
    (m) => m[1] as string,
  );
  expect(assets).toHaveLength(2);
  expect(html).not.toMatch(/https?:\/\//);
  let total = 0;
  for (const path of assets) {
    const asset = await raw('GET', path, { host: new URL(base).host, 'accept-encoding': 'gzip' });
    expect(asset.status).toBe(200);
    total += Buffer.byteLength(asset.body, 'latin1');
  }
  // Every page is this one document; a reload gets a new token, so the page is never cached.
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(total).toBeLessThan(100_000);
  const again = await pageToken(base);
  expect(again).toBe(token);
});

test('assets are gzipped when the browser accepts it, and immutable', async () => {
  const html = await (await fetch(`${base}/`)).text();
  const script = /src="(\/assets\/app-[0-9a-f]{12}\.js)"/.exec(html)?.[1] as string;
  const zipped = await new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
    const url = new URL(base + script);
    request(
      { host: url.hostname, port: url.port, path: url.pathname, headers: { 'accept-encoding': 'gzip' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      },
    )
      .on('error', reject)
      .end();
  });
  expect(zipped.headers['content-encoding']).toBe('gzip');
  expect(zipped.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  const plain = await (await fetch(base + script, { headers: { 'accept-encoding': 'identity' } })).text();
  expect(gunzipSync(zipped.body).toString('utf8')).toBe(plain);
});

test('/api/info says what this console can do', async () => {
  expect((await api(base, '/api/info')).body).toEqual({
    source: 'local',
    store: f.store.uri,
    actor: 'ana',
    canStart: true,
    datasets: ['builtin:sentiment'],
    maxUploadBytes: 48 * 1024 * 1024,
  });
});

test('/api/executions lists the execution waiting at Approval', async () => {
  const { body } = await api(base, '/api/executions');
  const list = (body as { executions: ExecutionSummary[] }).executions;
  expect(list.map((e) => e.id)).toEqual([first]);
  expect(list[0]).toMatchObject({
    status: 'RUNNING',
    phase: 'waiting',
    currentState: 'Approval',
    model: 'sentiment',
    dataset: f.dataset,
    git: { commit: '', pullRequest: '' },
    trigger: 'console',
  });
});

describe('state changes need the page token and the console origin', () => {
  const approvePath = () => `/api/executions/${first}/approve`;
  const stillWaiting = async () => {
    const d = (await api(base, `/api/executions/${first}`)).body as ExecutionDetail;
    expect(d.approval).toMatchObject({ waiting: true, decisions: [] });
    expect(d.states.Approval?.phase).toBe('waiting');
  };
  const host = () => new URL(base).host;

  test('without the token: 403, and the execution still waits', async () => {
    const r = await api(base, approvePath(), { body: { comment: 'sneaky' }, token: null });
    expect(r).toEqual({
      status: 403,
      body: {
        error: {
          code: 'forbidden',
          message:
            'this request lacks the page token; make changes from the console page itself (reload it if the console restarted)',
        },
      },
    });
    const wrong = await api(base, approvePath(), { body: {}, token: `${token.slice(0, -1)}x` });
    expect(wrong.status).toBe(403);
    await stillWaiting();
  });

  test('from another origin, even with the token: 403', async () => {
    const variants: Record<string, string>[] = [
      { origin: 'http://evil.example' },
      { origin: `http://localhost:1` },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
    ];
    for (const headers of variants) {
      const r = await raw(
        'POST',
        approvePath(),
        { host: host(), 'content-type': 'application/json', 'x-slipway-token': token, ...headers },
        '{}',
      );
      expect(r.status, JSON.stringify(headers)).toBe(403);
    }
    await stillWaiting();
  });

  test('a request naming another host (DNS rebinding) is refused, reads included', async () => {
    const page = await raw('GET', '/', { host: `attacker.example:${new URL(base).port}` });
    expect(page.status).toBe(403);
    expect(page.body).not.toContain(token);
    const read = await raw('GET', '/api/executions', { host: 'attacker.example' });
    expect(read.status).toBe(403);
  });

  test('a form post (not JSON) is refused', async () => {
    const r = await raw(
      'POST',
      approvePath(),
      { host: host(), 'content-type': 'text/plain', 'x-slipway-token': token },
      '{}',
    );
    expect(r.status).toBe(415);
    await stillWaiting();
  });

  test('bad bodies are 400s that say what is wrong', async () => {
    const reject = await api(base, `/api/executions/${first}/reject`, { body: { reason: '  ' }, token });
    expect(reject).toEqual({
      status: 400,
      body: {
        error: {
          code: 'bad_request',
          message: 'the request is not valid: reason: say why the candidate is rejected',
        },
      },
    });
    const start = await api(base, '/api/executions', { body: { dataset: 'builtin:spam' }, token });
    expect(start.status).toBe(400);
    expect((start.body as { error: { message: string } }).error.message).toContain(
      'dataset must be one of builtin:sentiment',
    );
    const junk = await raw(
      'POST',
      '/api/executions',
      { host: host(), 'content-type': 'application/json', 'x-slipway-token': token },
      '{not json',
    );
    expect(junk.status).toBe(400);
    await stillWaiting();
  });

  test('unknown executions are 404s, malformed ids 400s', async () => {
    expect((await api(base, '/api/executions/20260101t000000-000000')).status).toBe(404);
    expect((await api(base, '/api/executions/a%2F..%2Fb')).status).toBe(400);
    expect((await api(base, '/api/nothing')).status).toBe(404);
  });
});

test('approve: recorded with the approver and comment, then Promote, SmokeTest and Done', async () => {
  const r = await api(base, `/api/executions/${first}/approve`, { body: { comment: 'looks good' }, token });
  expect(r).toEqual({
    status: 200,
    body: { id: first, decision: 'approve', by: 'ana', comment: 'looks good' },
  });
  const d = await until(first, (x) => x.status !== 'RUNNING');
  expect(d).toMatchObject({ status: 'SUCCEEDED', phase: 'succeeded', currentState: 'Done' });
  for (const state of ['Approval', 'Promote', 'SmokeTest', 'Done'])
    expect(d.states[state]?.phase, state).toBe('succeeded');
  expect(d.states.Rejected?.phase).toBe('not-run');
  expect(d.approval).toMatchObject({
    waiting: false,
    version: 1,
    decisions: [{ decision: 'approve', by: 'ana', comment: 'looks good' }],
  });
  expect(d.jobs).toEqual([`sentiment-${first}`]);
  const { events } = await readExecution(f.store, first);
  const approved = events.find((e) => e.type === 'StateExited' && e.state === 'Approval');
  expect((approved?.output as { approval?: unknown } | undefined)?.approval).toMatchObject({
    approved: true,
    approvedBy: 'ana',
    comment: 'looks good',
  });
  expect((await f.store.getAlias('sentiment', 'production')).updatedBy).toBe('ana');

  const again = await api(base, `/api/executions/${first}/approve`, { body: {}, token });
  expect(again.status).toBe(409);
  const log = await api(base, `/api/executions/${first}/logs/sentiment-${first}`);
  expect((log.body as { text: string }).text.length).toBeGreaterThan(0);
});

test('the evaluation report: candidate figures, verdict, no production the first time', async () => {
  const { status, body } = await api(base, `/api/executions/${first}/report`);
  expect(status).toBe(200);
  const report = body as {
    candidate: { metrics: { confusion: number[][]; classes: string[] } };
    production: unknown;
    verdict: { passed: boolean };
  };
  expect(report.production).toBeNull();
  expect(report.verdict.passed).toBe(true);
  expect(report.candidate.metrics.classes).toEqual(['negative', 'positive']);
  expect(report.candidate.metrics.confusion.flat().reduce((a, b) => a + b, 0)).toBe(600);
});

test('models: production v1, served, and the served model answers through the console', async () => {
  expect((await api(base, '/api/models')).body).toEqual({
    models: [{ name: 'sentiment', aliases: { candidate: 1, production: 1 } }],
  });
  const model = (await api(base, '/api/models/sentiment')).body as ModelDetail;
  expect(model.versions.map((v) => [v.version, v.executionId, v.dataset])).toEqual([[1, first, f.dataset]]);
  // Never verified until slipway verify records a rebuild; then the page and the report say so.
  expect(model.versions[0]?.verification).toBeNull();
  expect(((await api(base, `/api/executions/${first}/report`)).body as ReportView).verification).toBeNull();
  const manifest = (await f.store.getManifest('sentiment', 1)).manifest;
  const sha = manifest.files['model.onnx']?.sha256 ?? null;
  await f.store.recordVerification('sentiment', 1, {
    outcome: 'reproducible',
    by: 'ana',
    at: '2026-12-07T02:00:00.000Z',
    where: 'local',
    trainer: { type: 'builtin', version: '0.1.0' },
    environment: { node: process.versions.node, onnxruntime: '1.30.0', platform: 'linux-x64', image: null },
    registeredSha256: sha,
    rebuiltSha256: sha,
    differences: [],
    predictions: null,
    summary: 'same bytes',
  });
  const verification = {
    outcome: 'reproducible',
    at: '2026-12-07T02:00:00.000Z',
    by: 'ana',
    where: 'local',
    summary: 'same bytes',
  };
  expect(((await api(base, '/api/models/sentiment')).body as ModelDetail).versions[0]?.verification).toEqual(
    verification,
  );
  expect(((await api(base, `/api/executions/${first}/report`)).body as ReportView).verification).toEqual(
    verification,
  );
  expect(model.aliases.find((a) => a.alias === 'production')).toMatchObject({
    version: 1,
    updatedBy: 'ana',
    rollbackTo: null,
  });
  const serving = (await api(base, '/api/serving')).body as ServingView;
  expect(serving).toMatchObject({ canServe: true, note: null });
  expect(serving.endpoints).toEqual([
    expect.objectContaining({ model: 'sentiment', version: 1, url: f.pipeline.endpoint, by: 'console' }),
  ]);
  const predicted = await api(base, '/api/predict', {
    body: { texts: ['I loved it, wonderful and great', 'terrible, awful, a waste of money'] },
    token,
  });
  expect(predicted.status).toBe(200);
  const p = predicted.body as { model: unknown; predictions: { label: string }[] };
  expect(p.model).toEqual({ name: 'sentiment', version: 1 });
  expect(p.predictions.map((x) => x.label)).toEqual(['positive', 'negative']);
  const noRollback = await api(base, '/api/models/sentiment/aliases/production/rollback', {
    body: { expected: 1 },
    token,
  });
  expect(noRollback.status).toBe(404);
});

test('runs on stored data: only a dataset the store holds whole; uploads must be files', async () => {
  const missing = await api(base, '/api/executions', {
    body: { dataset: { name: 'sentiment', sha256: '0'.repeat(64) } },
    token,
  });
  expect(missing.status).toBe(404);
  expect((missing.body as { error: { message: string } }).error.message).toContain('is not in');
  const notBase64 = await api(base, '/api/datasets', {
    body: { train: { name: 'a.csv', content: 'not base64!' } },
    token,
  });
  expect(notBase64.status).toBe(400);
  const noToken = await api(base, '/api/datasets', {
    body: { train: { name: 'a.csv', content: Buffer.from('text,label\n').toString('base64') } },
  });
  expect(noToken.status).toBe(403);
  expect((await api(base, '/api/executions')).body).toMatchObject({ executions: [{ id: first }] });
});

test('an execution another runner starts shows on the live stream; approved here; rolled back here', async () => {
  // A second pipeline on the same store stands for `slipway run` in another terminal: the console
  // does not track it and must find it by polling the store.
  const other = new LocalPipeline({
    store: f.store,
    port: 0,
    retryIntervalMs: 10,
    decisionPollMs: 50,
    servePollMs: 100,
    smokeTimeoutMs: 5_000,
  });
  const abort = new AbortController();
  const response = await fetch(`${base}/api/events`, { signal: abort.signal });
  expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
  const seen: { type: string; execution?: ExecutionSummary }[] = [];
  const reading = (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const data = buffer
          .slice(0, end)
          .split('\n')
          .find((l) => l.startsWith('data: '));
        if (data) seen.push(JSON.parse(data.slice(6)));
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf('\n\n');
      }
    }
  })().catch(() => undefined);
  try {
    const handle = await other.runtime.start(
      {
        model: 'sentiment',
        runId: 'elsewhere-1',
        dataset: f.dataset,
        thresholds: { minAccuracy: 0.6, maxRegression: 0.02, minClassF1: 0 },
        trigger: 'cli',
      },
      '20990101t000000-aaaaaa',
    );
    const waitFor = async (match: (e: (typeof seen)[number]) => boolean, what: string) => {
      const deadline = Date.now() + 60_000;
      while (!seen.some(match)) {
        if (Date.now() > deadline)
          throw new Error(
            `no ${what} on the stream; saw ${JSON.stringify(seen.map((s) => s.execution?.phase ?? s.type))}`,
          );
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await waitFor(
      (e) => e.execution?.id === handle.id && e.execution.phase === 'waiting',
      'waiting execution',
    );
    expect(seen.find((e) => e.execution?.id === handle.id)?.execution?.trigger).toBe('cli');
    const r = await api(base, `/api/executions/${handle.id}/approve`, {
      body: { comment: 'from the console' },
      token,
    });
    expect(r.status).toBe(200);
    expect((await handle.done).status).toBe('SUCCEEDED');
    await waitFor(
      (e) => e.execution?.id === handle.id && e.execution.phase === 'succeeded',
      'finished execution',
    );
    await waitFor((e) => e.type === 'models', 'models event');
    expect((await f.store.getAlias('sentiment', 'production')).version).toBe(2);

    const stale = await api(base, '/api/models/sentiment/aliases/production/rollback', {
      body: { expected: 1, reason: 'bad' },
      token,
    });
    expect(stale.status).toBe(409);
    const back = await api(base, '/api/models/sentiment/aliases/production/rollback', {
      body: { expected: 2, reason: 'v2 misbehaves' },
      token,
    });
    expect(back).toEqual({ status: 200, body: { alias: 'production', version: 1, previous: 2 } });
    const production = await f.store.getAlias('sentiment', 'production');
    expect(production).toMatchObject({ version: 1, updatedBy: 'ana', reason: 'v2 misbehaves' });
  } finally {
    abort.abort();
    await reading;
    await other.close();
  }
});

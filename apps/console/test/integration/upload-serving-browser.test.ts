import { mkdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { ExecutionDetail } from '@slipway/console';
import { LocalPipeline, readExecutionRecord } from '@slipway/runner-local';
import { loadDataset } from '@slipway/training-job';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { manyClassCsv } from '../../../../test-helpers/many-classes.js';
import type { ServingView } from '../../src/api-types.js';
import { ARTIFACTS, launchBrowser, noBrowser } from '../helpers/browser.js';
import { api, type ConsoleFixture, consoleFixture, pageToken } from '../helpers/console.js';

// A team's own files uploaded from the page, two models served side by side by one console (each at its
// own endpoint), and a `slipway serve` process found through its announcement in the store.
describe.skipIf(noBrowser !== undefined)('own data and several served models in Chromium', () => {
  let f: ConsoleFixture;
  let browser: Browser;
  let page: Page;
  let token: string;
  let files: string;
  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

  /** Polls an execution until it waits at Approval; fails at once if it ended before. */
  const atApproval = async (id: string) => {
    for (;;) {
      const d = (await api(f.console.url, `/api/executions/${id}`)).body as ExecutionDetail;
      if (d.approval.waiting) return d;
      if (d.phase === 'failed' || d.phase === 'succeeded') throw new Error(`${id} ended ${d.currentState}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const approve = async (id: string) => {
    await atApproval(id);
    const decided = await api(f.console.url, `/api/executions/${id}/approve`, { body: {}, token });
    expect(decided.status).toBe(200);
    for (;;) {
      const record = await readExecutionRecord(f.store, id);
      if (record.status !== 'RUNNING') return record;
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const datasetNames = async () => (await f.store.backend.listChildren('datasets/')).sort();

  beforeAll(async () => {
    [f, browser] = await Promise.all([consoleFixture(), launchBrowser()]);
    token = await pageToken(f.console.url);
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(60_000);
    files = join(f.dir, 'files');
    await mkdir(files);
  });
  afterAll(async () => {
    await browser?.close();
    await f?.close();
  });

  test('bad files get a clear message in the page and nothing is stored', async () => {
    const before = await datasetNames();
    await page.goto(f.console.url);
    await page.getByLabel('Dataset', { exact: true }).selectOption({ label: 'your own files…' });
    const status = page.locator('form.start [role="status"]');

    // A gzip file named .csv: the loader's own advice, naming the uploaded file.
    await page.getByLabel('Train file').setInputFiles({
      name: 'tickets.csv',
      mimeType: 'text/csv',
      buffer: gzipSync(Buffer.from(manyClassCsv(3, 30, 0.9))),
    });
    await page.getByRole('button', { name: 'Start run' }).click();
    await status.locator('.problem').waitFor();
    const gzipMessage = (await status.locator('.problem').textContent()) ?? '';
    expect(gzipMessage).toMatch(/^tickets\.csv: .*gzip/);
    expect(gzipMessage).not.toContain('slipway-upload-');
    await shot('upload-1-gzip-refused');

    // A test file with a label the training data lacks: refused with file and line.
    await page.getByLabel('Train file').setInputFiles({
      name: 'tickets.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(manyClassCsv(3, 30, 0.9)),
    });
    await page.getByLabel(/^Test file/).setInputFiles({
      name: 'holdout.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('text,label\nsome words here,no-such-label\n'),
    });
    await page.getByRole('button', { name: 'Start run' }).click();
    await expect
      .poll(async () => status.locator('.problem').textContent())
      .toBe(
        'holdout.csv:2: label "no-such-label" does not occur in the training data (tickets.csv); add training rows with that label or remove the test row',
      );
    expect(await page.getByRole('button', { name: 'Start run' }).isDisabled()).toBe(false);
    expect(await datasetNames()).toEqual(before);
    expect((await api(f.console.url, '/api/executions')).body).toEqual({ executions: [] });
  });

  test('upload a train and a test file, stored as the CLI stores them, and the run starts on them', async () => {
    const train = manyClassCsv(3, 40, 0.9, 3);
    const test = manyClassCsv(3, 10, 0.9, 5);
    await writeFile(join(files, 'tickets.csv'), train);
    await writeFile(join(files, 'tickets-test.csv'), test);
    // What `slipway run --data tickets.csv --test tickets-test.csv` would store.
    const expected = await loadDataset(join(files, 'tickets.csv'), { test: join(files, 'tickets-test.csv') });

    await page.goto(f.console.url);
    await page.getByLabel('Dataset', { exact: true }).selectOption({ label: 'your own files…' });
    await page.getByLabel('Train file').setInputFiles(join(files, 'tickets.csv'));
    await page.getByLabel(/^Test file/).setInputFiles(join(files, 'tickets-test.csv'));
    await page.getByRole('button', { name: 'Start run' }).click();
    await page.waitForURL(/\/executions\/[0-9t]+-[0-9a-f]+$/);
    const id = decodeURIComponent(page.url().split('/').at(-1) as string);

    const record = await readExecutionRecord(f.store, id);
    expect(record.input).toMatchObject({
      model: 'tickets',
      dataset: { name: 'tickets', sha256: expected.sha256 },
      trigger: 'console',
    });
    const stored = await f.store.getDataset('tickets', expected.sha256);
    expect(stored.manifest).toMatchObject({
      source: 'upload:tickets.csv',
      split: { testFile: 'upload:tickets-test.csv' },
      classes: expected.classes,
      rows: { train: 120, test: 30 },
    });
    const detail = await atApproval(id);
    expect(detail.currentState).toBe('Approval');
    await shot('upload-2-run-on-own-files');
    expect((await approve(id)).status).toBe('SUCCEEDED');
  }, 120_000);

  test('two models, one endpoint each, each shown on its own page and answering for itself', async () => {
    const started = await api(f.console.url, '/api/executions', {
      body: { dataset: 'builtin:sentiment' },
      token,
    });
    expect(started.status).toBe(201);
    expect((await approve((started.body as { id: string }).id)).status).toBe('SUCCEEDED');

    const serving = (await api(f.console.url, '/api/serving')).body as ServingView;
    const own = serving.endpoints.filter((e) => e.by === 'console');
    // The console's endpoints announce themselves in the store too; they are listed once, as its own.
    expect(serving.endpoints).toHaveLength(2);
    expect((await f.store.servers.list('tickets')).map((r) => r.url)).toEqual([
      own.find((e) => e.model === 'tickets')?.url,
    ]);
    expect(own.map((e) => [e.model, e.version]).sort()).toEqual([
      ['sentiment', 1],
      ['tickets', 1],
    ]);
    const urls = new Map(own.map((e) => [e.model, e.url]));
    expect(urls.get('tickets')).not.toBe(urls.get('sentiment'));
    for (const [model, url] of urls) {
      const health = await (await fetch(`${url}/health`)).json();
      expect(health).toEqual({ status: 'ok', model: { name: model, version: 1 } });
    }

    for (const [model, labels] of [
      ['tickets', ['topic-000', 'topic-001', 'topic-002']],
      ['sentiment', ['negative', 'positive']],
    ] as const) {
      await page.goto(`${f.console.url}/models/${model}`);
      const served = page.locator('[data-by="console"] [data-served]');
      await served.waitFor();
      expect(await served.allTextContents()).toEqual([`${model} v1`]);
      expect(await page.locator('[data-by="console"] code').textContent()).toBe(urls.get(model));
      await page.getByRole('button', { name: 'Predict' }).click();
      await page.locator('.prediction li').first().waitFor();
      expect(await page.locator('.prediction p').first().textContent()).toBe(`${model} v1 says:`);
      expect(labels).toContain(await page.locator('.prediction li strong').first().textContent());
      await shot(`serving-${model}`);
    }
    // Asked without saying which model, a console serving two cannot guess.
    const unsure = await api(f.console.url, '/api/predict', { body: { texts: ['hello'] }, token });
    expect(unsure.status).toBe(400);
  }, 180_000);

  test('a `slipway serve` process that announced itself shows where it serves; an expired one does not', async () => {
    await f.store.servers.announce(
      {
        url: 'http://127.0.0.1:9911',
        model: 'tickets',
        alias: 'production',
        version: 1,
        port: 9911,
        pid: 4242,
        host: hostname(),
        workers: 4,
      },
      { ttlMs: 600_000 },
    );
    await f.store.servers.announce(
      {
        url: 'http://127.0.0.1:9912',
        model: 'tickets',
        alias: 'production',
        version: 1,
        port: 9912,
        pid: 4343,
      },
      { ttlMs: -1 },
    );
    await page.goto(`${f.console.url}/models/tickets`);
    const elsewhere = page.locator('[data-by="announced"]');
    await elsewhere.waitFor();
    expect(await elsewhere.count()).toBe(1);
    expect(await elsewhere.locator('code').textContent()).toBe('http://127.0.0.1:9911');
    expect(await elsewhere.textContent()).toContain(
      `by process 4242 on ${hostname()} (4 workers, alias production, seen `,
    );
    // Not on the other model's page.
    await page.goto(`${f.console.url}/models/sentiment`);
    await page.locator('[data-by="console"]').waitFor();
    expect(await page.locator('[data-by="announced"]').count()).toBe(0);
    await page.goto(`${f.console.url}/models`);
    await page.locator('[data-by="announced"]').waitFor();
    await shot('serving-models-list');

    // `slipway run` in another terminal: its pipeline serves and announces; stopped, it is gone.
    const other = new LocalPipeline({ store: f.store, port: 0 });
    const served = await other.serve('sentiment');
    const listed = async () =>
      ((await api(f.console.url, '/api/serving?model=sentiment')).body as ServingView).endpoints
        .filter((e) => e.by === 'announced')
        .map((e) => [e.url, e.version, e.pid]);
    expect(await listed()).toEqual([[served.url, 1, process.pid]]);
    await other.close();
    expect(await listed()).toEqual([]);
  });
});

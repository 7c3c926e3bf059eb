// The /docs page in a real browser (Debian chromium): it renders from local assets only and its
// Try-it form gets a prediction from the service.
import { openModel } from '@slipway/training-job';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { folderSource, type InferenceServer, startInferenceServer } from '../../src/index.js';
import { trainedModelDir } from '../helpers/trained-model.js';

let server: InferenceServer;
let browser: Browser;

beforeAll(async () => {
  server = await startInferenceServer({
    source: folderSource(await trainedModelDir()),
    open: openModel,
    port: 0,
  });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('/docs in a browser', () => {
  it('loads only from the service itself, shows every route, and its Try-it form predicts', async () => {
    const page = await browser.newPage();
    const requested: string[] = [];
    const problems: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));

    await page.goto(`${server.url}/docs`);
    expect(await page.title()).toBe('slipway inference');
    expect(await page.locator('nav li').allTextContents()).toEqual([
      'POST /predict',
      'POST /',
      'GET /health',
      'GET /openapi.json',
      'GET /docs',
    ]);
    // The curl examples name this server, not the default port.
    expect(await page.locator('pre.curl').first().textContent()).toContain(`${server.url}/predict`);

    await page.fill('#try-text', 'I loved this phone, the battery is great.\nIt broke after a week.');
    await page.click('#try-form button');
    const output = page.locator('#try-out');
    await output.filter({ hasText: /^200 / }).waitFor();
    const shown = JSON.parse(((await output.textContent()) ?? '').slice(4));
    expect(shown.predictions).toHaveLength(2);

    expect(problems).toEqual([]);
    for (const url of requested) expect(url.startsWith(`${server.url}/`), url).toBe(true);
    expect(requested.map((u) => new URL(u).pathname).sort()).toEqual([
      '/docs',
      '/docs/assets/docs.css',
      '/docs/assets/docs.js',
      '/predict',
    ]);
  });
});

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { readExecution } from '@slipway/runner-local';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ARTIFACTS, launchBrowser, noBrowser } from '../helpers/browser.js';
import { api, type ConsoleFixture, consoleFixture, pageToken } from '../helpers/console.js';

// Real Chromium against a real console and pipeline: training, evaluation, the endpoint, all live.
describe.skipIf(noBrowser !== undefined)('the console in Chromium', () => {
  let f: ConsoleFixture;
  let browser: Browser;
  let page: Page;
  let attacker: Server;
  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  const state = (name: string, phase: string) =>
    page.locator(`g[data-state="${name}"][data-phase="${phase}"]`);
  const focusedText = () => page.evaluate('document.activeElement && document.activeElement.textContent');

  beforeAll(async () => {
    [f, browser] = await Promise.all([consoleFixture(), launchBrowser()]);
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(60_000);
    // A page on another loopback port: same site, different origin.
    attacker = createServer((_, res) => res.end('<!doctype html><title>elsewhere</title>'));
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => attacker?.close(resolve));
    await f?.close();
  });

  test('happy-path: start a run, watch it stop at Approval, approve, watch Promote and Done, see v1 served', async () => {
    await page.goto(f.console.url);
    await page.getByLabel('Dataset', { exact: true }).selectOption('builtin:sentiment');
    await page.getByRole('button', { name: 'Start run' }).click();
    await page.waitForURL(/\/executions\/[0-9t]+-[0-9a-f]+$/);
    const id = decodeURIComponent(page.url().split('/').at(-1) as string);

    await state('Approval', 'waiting').waitFor();
    const seenAt = Date.now();
    const { events } = await readExecution(f.store, id);
    const waiting = events.find((e) => e.type === 'TaskWaiting' && e.state === 'Approval');
    process.stdout.write(
      `state change -> page: Approval waiting shown ${seenAt - Date.parse(waiting?.timestamp ?? '')} ms after the event\n`,
    );
    expect(await page.locator('.heading .badge').textContent()).toBe('waiting for approval');
    for (const s of ['Train', 'TrainOnSageMaker', 'Evaluate', 'Gate', 'Register'])
      expect(await state(s, 'succeeded').count(), s).toBe(1);
    expect(await state('Promote', 'not-run').count()).toBe(1);
    await shot('1-execution-waiting');

    await page.getByRole('link', { name: 'Read the evaluation report' }).click();
    await page.getByRole('heading', { name: /Gate verdict/ }).waitFor();
    expect(await page.locator('.verdict .badge').textContent()).toBe('passed');
    expect(await page.locator('.matrix-box table.matrix').count()).toBe(1);
    expect(await page.locator('table.classes tbody tr').count()).toBe(2);
    await shot('2-report');
    await page.goBack();
    await state('Approval', 'waiting').waitFor();

    // Keyboard only: the comment box, then Tab to Approve, Enter.
    await page.getByLabel('Comment (optional)').fill('looks good');
    await page.keyboard.press('Tab');
    expect(await focusedText()).toBe('Approve');
    await page.keyboard.press('Enter');
    for (const s of ['Approval', 'Promote', 'SmokeTest', 'Done']) await state(s, 'succeeded').waitFor();
    expect(await page.locator('.heading .badge').textContent()).toBe('succeeded');
    expect(await page.locator('.decisions').textContent()).toBe('approved by ana: “looks good”');
    await shot('3-execution-done');

    const production = await f.store.getAlias('sentiment', 'production');
    expect(production).toMatchObject({ version: 1, updatedBy: 'ana' });
    expect(production.reason).toContain('looks good');

    await page.getByRole('link', { name: 'Models' }).click();
    await page.locator('[data-model="sentiment"] [data-alias="production"]').waitFor();
    expect(await page.locator('[data-model="sentiment"] [data-alias="production"]').textContent()).toBe(
      'production v1',
    );
    await page.locator('[data-served="sentiment@1"]').waitFor();
    // The box starts with the served model's own first self-test text.
    const manifest = (await f.store.getManifest('sentiment', 1)).manifest;
    expect(await page.getByLabel('Text to classify (one per line)').inputValue()).toBe(
      manifest.selfTest[0]?.text,
    );
    await page
      .getByLabel('Text to classify (one per line)')
      .fill('I loved it, wonderful and great\nterrible, awful, a waste of money');
    await page.getByRole('button', { name: 'Predict' }).click();
    await page.locator('.prediction li').first().waitFor();
    expect(await page.locator('.prediction li strong').allTextContents()).toEqual(['positive', 'negative']);
    await shot('4-models');
  }, 90_000);

  test('approval-rejected: a run started elsewhere appears live, a cross-site approve is refused, reject with a reason', async () => {
    await page.goto(f.console.url);
    await page.locator('tbody tr').first().waitFor();
    const before = await page.locator('tbody tr').count();
    const token = await pageToken(f.console.url);
    const started = await api(f.console.url, '/api/executions', {
      body: { dataset: 'builtin:sentiment' },
      token,
    });
    const id = (started.body as { id: string }).id;
    // No reload: the row arrives on the live stream and turns to waiting.
    const row = page.locator(`tr[data-id="${id}"]`);
    await row.waitFor();
    expect(await page.locator('tbody tr').count()).toBe(before + 1);
    await page.locator(`tr[data-id="${id}"][data-phase="waiting"]`).waitFor();
    await shot('5-executions');

    // A page on another origin tries to approve (it cannot read the token; it tries without).
    const other = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`;
    const side = await browser.newPage();
    await side.goto(other);
    const outcome = await side.evaluate(
      `fetch(${JSON.stringify(`${f.console.url}/api/executions/${id}/approve`)}, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: '{"comment":"pwned"}' }).then(() => 'sent', (e) => 'blocked: ' + e.message)`,
    );
    expect(['sent', 'blocked: Failed to fetch']).toContain(outcome);
    await side.close();

    await row.getByRole('link', { name: id }).click();
    await state('Approval', 'waiting').waitFor();
    const afterAttack = (await readExecution(f.store, id)).events;
    expect(afterAttack.some((e) => e.type === 'TaskDecided')).toBe(false);

    await page.getByLabel('Reason for rejecting').fill('macro-F1 is not better than production');
    await page.getByRole('button', { name: 'Reject' }).click();
    await state('Rejected', 'failed').waitFor();
    expect(await state('Approval', 'failed').count()).toBe(1);
    expect(await state('Promote', 'not-run').count()).toBe(1);
    expect(await page.locator('.heading .badge').textContent()).toBe('failed');
    expect(await page.locator('.decisions').textContent()).toBe(
      'rejected by ana: “macro-F1 is not better than production”',
    );
    await shot('6-execution-rejected');

    const { record } = await readExecution(f.store, id);
    expect(record).toMatchObject({
      status: 'FAILED',
      currentState: 'Rejected',
      error: 'Rejected',
      cause: 'macro-F1 is not better than production',
    });
    expect((await f.store.getAlias('sentiment', 'production')).version).toBe(1);
  }, 90_000);

  test('first load: the executions page with everything it needs, gzipped', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const fresh = await context.newPage();
    const sizes: Promise<number>[] = [];
    fresh.on('requestfinished', (request) =>
      sizes.push(request.sizes().then((s) => s.responseBodySize + s.responseHeadersSize)),
    );
    const started = Date.now();
    await fresh.goto(f.console.url);
    await fresh.locator('tbody tr').nth(1).waitFor();
    const shownMs = Date.now() - started;
    const bytes = (await Promise.all(sizes)).reduce((a, b) => a + b, 0);
    process.stdout.write(
      `first load: ${bytes} bytes over ${sizes.length} requests (plus the event stream), rows shown in ${shownMs} ms\n`,
    );
    expect(bytes).toBeLessThan(300 * 1024);
    await context.close();
  });

  test('works at 360 px: every page fits without horizontal scrolling, controls labelled', async () => {
    const context = await browser.newContext({ viewport: { width: 360, height: 780 } });
    const narrow = await context.newPage();
    narrow.setDefaultTimeout(30_000);
    const fits = async (name: string) => {
      const overflow = await narrow.evaluate(
        'document.documentElement.scrollWidth - document.documentElement.clientWidth',
      );
      expect(overflow, name).toBe(0);
      await narrow.screenshot({ path: join(ARTIFACTS, `360-${name}.png`), fullPage: true });
    };
    await narrow.goto(f.console.url);
    await narrow.locator('tbody tr').nth(1).waitFor();
    await fits('executions');
    const firstId = (await narrow.locator('tbody tr').last().getAttribute('data-id')) as string;
    await narrow.goto(`${f.console.url}/executions/${firstId}`);
    await narrow.locator('g[data-state="Done"][data-phase="succeeded"]').waitFor();
    await fits('execution');
    await narrow.goto(`${f.console.url}/executions/${firstId}/report`);
    await narrow.getByRole('heading', { name: /Gate verdict/ }).waitFor();
    await fits('report');
    await narrow.goto(`${f.console.url}/models/sentiment`);
    await narrow.locator('tr[data-version="1"]').waitFor();
    await fits('model');
    // Every form control has a label.
    const unlabelled = await narrow.evaluate(
      `[...document.querySelectorAll('input, select, textarea')].filter((el) => !el.labels || el.labels.length === 0).length`,
    );
    expect(unlabelled).toBe(0);
    await context.close();
  });
});

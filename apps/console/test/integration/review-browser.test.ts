import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  approveExecution,
  type ExecutionHandle,
  LocalPipeline,
  rejectExecution,
  storeDataset,
} from '@slipway/runner-local';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { manyClassCsv } from '../../../../test-helpers/many-classes.js';
import type { ReportView } from '../../src/api-types.js';
import { ARTIFACTS, launchBrowser, noBrowser } from '../helpers/browser.js';
import { api, type ConsoleFixture, consoleFixture } from '../helpers/console.js';

const VIEWPORT = { width: 1280, height: 900 };

/** Resolves when an execution waits at Approval; fails at once, naming its end, if it ends before. */
function waitingAtApproval(handle: ExecutionHandle): Promise<void> {
  const seen = () => handle.journal.history.some((e) => e.type === 'TaskWaiting' && e.state === 'Approval');
  if (seen()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const off = handle.journal.onEvent(() => {
      if (!seen()) return;
      off();
      resolve();
    });
    handle.done.then(
      (outcome) => {
        off();
        if (!seen()) reject(new Error(`${handle.id} ended in ${outcome.finalState} before Approval`));
      },
      (error: unknown) => {
        off();
        reject(error);
      },
    );
  });
}

// A team's own data with 2, 20 and 100 classes, trained, evaluated and registered for real; the review
// pages checked in Chromium. Screenshots land in apps/console/test-results/ for people to look at.
describe.skipIf(noBrowser !== undefined)('review pages for 2 to 100 classes', () => {
  let f: ConsoleFixture;
  let browser: Browser;
  let page: Page;
  /** The execution waiting at Approval for each class count: v2 (C=1) against production v1 (C=10). */
  const waiting = new Map<number, string>();
  const outside: string[] = [];
  let runs = 0;

  // One local pipeline per model, as separate `slipway run` processes would have.
  const pipelines = new Map<number, LocalPipeline>();
  const start = async (classes: number, hyperparameters: Record<string, string>) => {
    let pipeline = pipelines.get(classes);
    if (!pipeline) {
      pipeline = new LocalPipeline({ store: f.store, port: 0, decisionPollMs: 50, servePollMs: 100 });
      pipelines.set(classes, pipeline);
    }
    const { dataset } = await storeDataset(f.store, join(f.dir, `tickets-${classes}.csv`));
    runs += 1;
    const id = `review-${classes}-${runs}`;
    const handle = await pipeline.runtime.start(
      {
        model: `tickets-${classes}`,
        runId: id,
        dataset: { name: dataset.name, sha256: dataset.sha256 },
        hyperparameters,
        // Every candidate must reach Approval: these pages are about reviewing, not the gate.
        thresholds: { minAccuracy: 0, minBaselineGain: 0, maxRegression: 1, minClassF1: 0 },
        git: { commit: 'a1b2c3d4e5f6a7b8c9d0', pullRequest: '7' },
      },
      id,
    );
    await waitingAtApproval(handle);
    return handle;
  };

  beforeAll(async () => {
    [f, browser] = await Promise.all([consoleFixture(), launchBrowser()]);
    for (const classes of [2, 20, 100]) {
      await writeFile(
        join(f.dir, `tickets-${classes}.csv`),
        manyClassCsv(classes, classes === 2 ? 60 : 20, 0.35),
      );
      const first = await start(classes, {});
      await approveExecution(f.store, first.id, 'ana', 'first model');
      expect((await first.done).finalState).toBe('Done');
      if (classes === 20) {
        // A rejected version between production and the candidate: the model page must mark it.
        const rejected = await start(classes, { C: '0.3' });
        await rejectExecution(f.store, rejected.id, 'ana', 'C=0.3 underfits');
        await rejected.done;
      }
      waiting.set(classes, (await start(classes, { C: '1', ngram_max: '1' })).id);
    }
    page = await browser.newPage({ viewport: VIEWPORT });
    page.setDefaultTimeout(60_000);
    page.on('request', (request) => {
      if (!request.url().startsWith(f.console.url)) outside.push(request.url());
    });
  }, 600_000);
  afterAll(async () => {
    await Promise.all([...pipelines.values()].map((p) => p.close()));
    await browser?.close();
    await f?.close();
  });

  for (const classes of [2, 20, 100]) {
    test(`the report at ${classes} classes: bounded height, changed classes first, matrix in its own box with sticky labels`, async () => {
      const id = waiting.get(classes) as string;
      const { body } = await api(f.console.url, `/api/executions/${id}/report`);
      const report = body as ReportView;
      await page.goto(`${f.console.url}/executions/${id}/report`);
      await page.locator('table.classes tbody tr').first().waitFor();
      await page.screenshot({ path: join(ARTIFACTS, `report-${classes}-classes.png`), fullPage: true });

      // The page never scrolls sideways and stays about one report long whatever the class count.
      const size = (await page.evaluate(
        '({ width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight })',
      )) as { width: number; height: number };
      expect(size.width).toBeLessThanOrEqual(VIEWPORT.width);
      expect(size.height).toBeLessThan(4_200);

      // Every class is a row, production beside the candidate, the one that moved most first.
      const rows = page.locator('table.classes tbody tr');
      expect(await rows.count()).toBe(classes);
      expect(await rows.first().getAttribute('data-class')).toBe(report.review.classes[0]?.class);
      const header = await page.locator('table.classes thead th').allTextContents();
      expect(header).toEqual([
        'Class',
        'Test rows',
        'F1 candidate',
        'F1 production',
        'Change',
        'Precision',
        'Recall',
      ]);

      // Sortable: F1 high to low, then low to high.
      const f1Header = page.locator('table.classes thead th', { hasText: 'F1 candidate' });
      await f1Header.getByRole('button').click();
      expect(await f1Header.getAttribute('aria-sort')).toBe('descending');
      const f1s = await page
        .locator('table.classes tbody tr td:nth-child(3)')
        .allTextContents()
        .then((cells) => cells.map((c) => Number.parseFloat(c)));
      expect(f1s).toEqual([...f1s].sort((a, b) => b - a));
      await f1Header.getByRole('button').click();
      expect(await f1Header.getAttribute('aria-sort')).toBe('ascending');

      // The lineage names what changed from production.
      expect(await page.locator('.lineage tr.changed[data-key="hp.C"] td').allTextContents()).toEqual([
        '1',
        '10',
      ]);
      expect(await page.locator('[data-lineage-summary]').textContent()).toContain('C');

      // Top confusions: a list, at most ten.
      const confusions = await page.locator('ol.confusions li').count();
      expect(confusions).toBeLessThanOrEqual(10);
      if (classes > 2) expect(confusions).toBeGreaterThan(0);

      // The matrix fits the page or scrolls inside its own box, and its labels stay in view.
      const box = page.locator('.matrix-box');
      const geometry = await box.evaluate((el) => {
        el.scrollLeft = el.scrollWidth;
        el.scrollTop = el.scrollHeight;
        const frame = el.getBoundingClientRect();
        const rowHeads = [...el.querySelectorAll('tbody th')].map((th) => th.getBoundingClientRect());
        const visibleRow = rowHeads.find((r) => r.top >= frame.top && r.bottom <= frame.bottom);
        const colHead = el.querySelector('thead th')?.getBoundingClientRect();
        return {
          boxWidth: frame.width,
          scrollWidth: el.scrollWidth,
          clientWidth: el.clientWidth,
          rowLeft: visibleRow ? visibleRow.left - frame.left : null,
          colTop: colHead ? colHead.top - frame.top : null,
          cells: el.querySelectorAll('tbody td').length,
          numbers: [...el.querySelectorAll('tbody td')].filter((td) => td.textContent !== '').length,
        };
      });
      expect(geometry.boxWidth).toBeLessThanOrEqual(VIEWPORT.width);
      expect(geometry.cells).toBe(classes * classes);
      if (geometry.scrollWidth > geometry.clientWidth) {
        // Scrolled to the far right and bottom: the row labels and the column numbers are still there.
        expect(geometry.rowLeft).not.toBeNull();
        expect(Math.abs(geometry.rowLeft as number)).toBeLessThanOrEqual(2);
        expect(Math.abs(geometry.colTop as number)).toBeLessThanOrEqual(2);
      }
      if (classes === 100) expect(geometry.scrollWidth).toBeGreaterThan(geometry.clientWidth);
      // Few classes: shares printed in the cells; many: a heat map with the figures in tooltips.
      if (classes === 2) expect(geometry.numbers).toBeGreaterThan(0);
      if (classes === 100) expect(geometry.numbers).toBe(0);
      expect(outside).toEqual([]);
    });
  }

  test('the approval panel shows the figures, the dataset, commit and hyperparameters, and what differs from production', async () => {
    const id = waiting.get(2) as string;
    await page.goto(`${f.console.url}/executions/${id}`);
    const panel = page.locator('section.approval');
    await panel.locator('.lineage').first().waitFor();
    expect(await panel.locator('.compare tbody th').allTextContents()).toEqual(['Accuracy', 'Macro-F1']);
    expect(await panel.locator('.compare thead th').nth(2).textContent()).toBe('Production v1');
    expect(await panel.locator('.lineage').first().locator('thead th').allTextContents()).toEqual([
      '',
      'Candidate v2',
      'Production v1',
    ]);
    expect(await panel.locator('tr[data-key="hp.C"]').getAttribute('class')).toBe('changed');
    expect(await panel.locator('tr[data-key="hp.ngramMax"] td').allTextContents()).toEqual(['1', '2']);
    expect(await panel.locator('tr[data-key="commit"] td').allTextContents()).toEqual([
      'a1b2c3d4e5f6',
      'a1b2c3d4e5f6',
    ]);
    expect(await panel.locator('[data-lineage-summary]').textContent()).toBe(
      'Differs from production v1 in: C, ngramMax.',
    );
    await page.screenshot({ path: join(ARTIFACTS, 'approval-panel.png'), fullPage: true });

    // The event history numbers every event in full, two digits included.
    const clipped = await page
      .locator('ol.history')
      .first()
      .evaluate((ol) => {
        const frame = ol.getBoundingClientRect();
        return [...ol.querySelectorAll('li')].flatMap((li) => {
          const seq = li.querySelector('.seq');
          if (!seq) return [`no number on "${li.textContent}"`];
          const r = seq.getBoundingClientRect();
          return r.left < frame.left || seq.scrollWidth > seq.clientWidth + 1 ? [seq.textContent] : [];
        });
      });
    expect(await page.locator('ol.history li').count()).toBeGreaterThanOrEqual(10);
    expect(clipped).toEqual([]);
  });

  test('the model page charts accuracy and macro-F1 by version, marking production and the rejected version', async () => {
    await page.goto(`${f.console.url}/models/tickets-20`);
    const chart = page.locator('svg.trend-chart');
    await chart.waitFor();
    expect(await chart.locator('g.version-mark').count()).toBe(3);
    const v1 = chart.locator('g.version-mark[data-version="1"]');
    expect(await v1.locator('circle.ring.current').count()).toBe(1);
    expect(await v1.locator('title').textContent()).toMatch(
      /^v1: accuracy \d+\.\d%, macro-F1 \d+\.\d%, production moved here \(production now\)$/,
    );
    const v2 = chart.locator('g.version-mark[data-version="2"]');
    expect(await v2.getAttribute('data-rejected')).toBe('true');
    expect(await v2.locator('path.cross').count()).toBe(2);
    expect(await v2.locator('title').textContent()).toContain('rejected: C=0.3 underfits');
    expect(await chart.locator('polyline.line.accuracy').getAttribute('points')).toMatch(
      /^[\d.]+,[\d.]+ [\d.]+,[\d.]+ [\d.]+,[\d.]+$/,
    );

    const rejectedRow = page.locator('tr[data-version="2"]');
    expect(await rejectedRow.locator('.rejected-tag').textContent()).toBe('rejected');
    // From the registry's rejection record: who, when, why.
    expect(await rejectedRow.locator('.rejected-tag').getAttribute('title')).toMatch(
      /^rejected by \S+ at \d{4}-\d\d-\d\dT[\d:.]+Z: C=0\.3 underfits$/,
    );
    expect(await page.locator('tr[data-version="1"] .alias-tag').textContent()).toBe('production');
    expect(await page.locator('tr[data-version="3"] .differs').textContent()).toBe(
      'vs production v1: C 10 → 1, ngramMax 2 → 1',
    );
    await page.screenshot({ path: join(ARTIFACTS, 'model-trend.png'), fullPage: true });
    expect(outside).toEqual([]);
  });
});

import type { ExecutionDetail, ReportModelView, ReportView } from '../../src/api-types.js';
import { get } from '../api.js';
import { approvalPanel, badge, problem } from '../components.js';
import { fill, h } from '../dom.js';
import { duration, pct, time } from '../format.js';
import { type PageFactory, reloader } from '../page.js';

/** Candidate vs production side by side: headline metrics, per-class F1, confusion matrices, latency, verdict. */
export const reportPage: PageFactory = (main, [id = ''], context) => {
  const executionPath = `/api/executions/${encodeURIComponent(id)}`;
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading the report…'));
  const approval = approvalPanel(id, context.info.actor, { reportLink: false });
  main.append(
    h(
      'p',
      { class: 'crumbs' },
      h('a', { href: '/' }, 'Executions'),
      ' › ',
      h('a', { href: `/executions/${encodeURIComponent(id)}` }, id),
    ),
    h('h1', { tabindex: -1 }, 'Evaluation report'),
    approval.el,
    body,
  );
  get<ReportView>(`${executionPath}/report`)
    .then((report) => fill(body, render(report)))
    .catch((error) => fill(body, problem(error)));
  const refresh = reloader(
    async () => approval.update(await get<ExecutionDetail>(executionPath)),
    () => {},
  );
  return {
    onExecution(e) {
      if (e.id === id) refresh();
    },
  };
};

function render(r: ReportView): Node[] {
  const c = r.candidate;
  const p = r.production;
  const productionName = p ? `production v${p.version}` : 'production';
  const delta = (a: number, b: number | undefined) => {
    if (b === undefined) return '';
    const d = (a - b) * 100;
    return `${d >= 0 ? '+' : '−'}${Math.abs(d).toFixed(1)} pt`;
  };
  const row = (name: string, cv: string, pv: string, d = '') =>
    h('tr', {}, h('th', { scope: 'row' }, name), h('td', {}, cv), h('td', {}, pv), h('td', {}, d));
  const classes = [...new Set([...c.metrics.classes, ...(p?.metrics.classes ?? [])])];
  return [
    h(
      'dl',
      { class: 'meta' },
      ...[
        ['Model', r.model],
        ['Dataset', `${r.dataset.name} (${r.dataset.sha256.slice(0, 12)}), ${r.dataset.testRows} test rows`],
        ['Evaluated', `${time(r.createdAt)} in ${duration(r.durationMs)}`],
        [
          'Thresholds',
          `accuracy ≥ ${pct(r.thresholds.minAccuracy)}, regression ≤ ${pct(r.thresholds.maxRegression)}, class F1 ≥ ${pct(r.thresholds.minClassF1)}`,
        ],
      ].flatMap(([k, v]) => [h('dt', {}, k as string), h('dd', {}, v as string)]),
    ),
    h(
      'section',
      { class: `panel verdict ${r.verdict.passed ? 'passed' : 'failed'}`, 'aria-labelledby': 'verdict-h' },
      h(
        'h2',
        { id: 'verdict-h' },
        'Gate verdict ',
        badge(r.verdict.passed ? 'succeeded' : 'failed', r.verdict.passed ? 'passed' : 'failed'),
      ),
      h('p', {}, r.verdict.summary),
      h(
        'ul',
        { class: 'checks' },
        r.verdict.reasons.map((reason) =>
          h(
            'li',
            { class: reason.passed ? 'ok' : 'bad' },
            h('span', { 'aria-hidden': 'true' }, reason.passed ? '✓ ' : '✗ '),
            h('span', { class: 'visually-hidden' }, reason.passed ? 'passed: ' : 'failed: '),
            reason.message,
          ),
        ),
      ),
    ),
    h(
      'section',
      { 'aria-labelledby': 'headline-h' },
      h('h2', { id: 'headline-h' }, 'Candidate vs production'),
      p
        ? null
        : h(
            'p',
            { class: 'muted' },
            'No production model yet: the candidate is judged on the thresholds alone.',
          ),
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'compare' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, 'Metric'),
              h('th', { scope: 'col' }, 'Candidate'),
              h('th', { scope: 'col' }, productionName),
              h('th', { scope: 'col' }, 'Change'),
            ),
          ),
          h(
            'tbody',
            {},
            row(
              'Accuracy',
              pct(c.metrics.accuracy),
              p ? pct(p.metrics.accuracy) : '–',
              delta(c.metrics.accuracy, p?.metrics.accuracy),
            ),
            row(
              'Macro-F1',
              pct(c.metrics.macroF1),
              p ? pct(p.metrics.macroF1) : '–',
              delta(c.metrics.macroF1, p?.metrics.macroF1),
            ),
            row('Log loss', c.metrics.logLoss.toFixed(3), p ? p.metrics.logLoss.toFixed(3) : '–'),
            row(
              'Latency, one text (median)',
              ms(c.latency.singleMedianMs),
              p ? ms(p.latency.singleMedianMs) : '–',
            ),
            row('Latency, one text (p99)', ms(c.latency.singleP99Ms), p ? ms(p.latency.singleP99Ms) : '–'),
            row(
              `Batch of ${c.latency.batchSize}`,
              `${ms(c.latency.batchMs)} (${Math.round(c.latency.batchTextsPerSecond)}/s)`,
              p ? `${ms(p.latency.batchMs)} (${Math.round(p.latency.batchTextsPerSecond)}/s)` : '–',
            ),
          ),
        ),
      ),
    ),
    h(
      'section',
      { 'aria-labelledby': 'f1-h' },
      h('h2', { id: 'f1-h' }, 'F1 per class'),
      h(
        'div',
        { class: 'bars', role: 'list' },
        classes.map((cls) =>
          h(
            'div',
            { class: 'bar-group', role: 'listitem' },
            h('div', { class: 'bar-label' }, cls),
            // Object.hasOwn: a class named "constructor" that production lacks must not read Object's.
            bar(
              'candidate',
              Object.hasOwn(c.metrics.perClass, cls) ? c.metrics.perClass[cls]?.f1 : undefined,
            ),
            p
              ? bar(
                  productionName,
                  Object.hasOwn(p.metrics.perClass, cls) ? p.metrics.perClass[cls]?.f1 : undefined,
                )
              : null,
          ),
        ),
      ),
    ),
    h(
      'section',
      { 'aria-labelledby': 'cm-h' },
      h('h2', { id: 'cm-h' }, 'Confusion matrices'),
      h('p', { class: 'muted small' }, 'Rows: true class. Columns: predicted class. Darker: more test rows.'),
      h('div', { class: 'matrices' }, matrix('Candidate', c), p ? matrix(productionName, p) : null),
    ),
    h(
      'section',
      { 'aria-labelledby': 'samples-h' },
      h('h2', { id: 'samples-h' }, 'Smoke-test samples'),
      h(
        'ul',
        { class: 'samples' },
        r.samples.map((s) => h('li', {}, badge('not-run', s.label), ' ', s.text)),
      ),
    ),
  ];
}

const ms = (x: number) => (x < 1 ? `${x.toFixed(2)} ms` : `${x.toFixed(1)} ms`);

function bar(name: string, value: number | undefined): HTMLElement {
  const fillEl = h('span', { class: `bar-fill ${name === 'candidate' ? 'candidate' : 'production'}` });
  fillEl.style.width = `${Math.max(0, Math.min(1, value ?? 0)) * 100}%`;
  return h(
    'div',
    { class: 'bar' },
    h('span', { class: 'bar-name' }, name),
    h('span', { class: 'bar-track', 'aria-hidden': 'true' }, fillEl),
    h('span', { class: 'bar-value' }, value === undefined ? '–' : pct(value)),
  );
}

function matrix(title: string, model: ReportModelView): HTMLElement {
  const { confusion, classes } = model.metrics;
  const max = Math.max(1, ...confusion.flat());
  return h(
    'figure',
    { class: 'matrix' },
    h('figcaption', {}, title),
    h(
      'table',
      {},
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('td', {}),
          classes.map((cl) => h('th', { scope: 'col' }, `→ ${cl}`)),
        ),
      ),
      h(
        'tbody',
        {},
        classes.map((cl, i) =>
          h(
            'tr',
            {},
            h('th', { scope: 'row' }, cl),
            classes.map((_, j) => {
              const n = confusion[i]?.[j] ?? 0;
              const cell = h('td', { class: n / max > 0.55 ? 'hot' : '' }, String(n));
              cell.style.setProperty('--heat', (n / max).toFixed(3));
              return cell;
            }),
          ),
        ),
      ),
    ),
  );
}

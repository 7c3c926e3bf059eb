import type { ClassChange, ExecutionDetail, ReportModelView, ReportView } from '../../src/api-types.js';
import { get } from '../api.js';
import { approvalPanel, badge, lineageTable, problem } from '../components.js';
import { fill, h, uid } from '../dom.js';
import { duration, pct, points, time } from '../format.js';
import { type PageFactory, reloader } from '../page.js';

/**
 * Candidate vs production, laid out for 2 to 200 classes: headline figures, what the candidate was
 * trained with, the classes that changed most (a sortable table in its own scroll box), the top
 * confusions, a row-normalized confusion matrix with sticky labels, latency and the verdict.
 */
export const reportPage: PageFactory = (main, [id = ''], context) => {
  const executionPath = `/api/executions/${encodeURIComponent(id)}`;
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading the report…'));
  const approval = approvalPanel(id, context.info.actor, { reportLink: false, details: false });
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
  const delta = (a: number, b: number | undefined) => (b === undefined ? '' : points(a - b));
  const row = (name: string, cv: string, pv: string, d = '') =>
    h('tr', {}, h('th', { scope: 'row' }, name), h('td', {}, cv), h('td', {}, pv), h('td', {}, d));
  const { review } = r;
  const classCount = review.classes.length;
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
        [
          'Rebuild',
          r.verification
            ? `${r.verification.outcome === 'reproducible' ? 'verified: rebuilds bit for bit' : r.verification.outcome} (slipway verify, ${time(r.verification.at)} by ${r.verification.by}): ${r.verification.summary}`
            : 'not verified (slipway verify <model> <version> rebuilds a registered version and compares)',
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
      { 'aria-labelledby': 'lineage-h' },
      h('h2', { id: 'lineage-h' }, 'Trained with'),
      lineageTable(r.lineage),
    ),
    h(
      'section',
      { 'aria-labelledby': 'classes-h' },
      h('h2', { id: 'classes-h' }, 'Classes'),
      h(
        'p',
        { class: 'muted', 'data-class-summary': '' },
        p
          ? `${classCount} classes: F1 better for ${review.improved}, worse for ${review.worsened}, unchanged for ${classCount - review.improved - review.worsened}. The classes that changed most come first; click a column to sort.`
          : `${classCount} classes, the weakest first; click a column to sort.`,
      ),
      classTable(review.classes, p !== null),
    ),
    h(
      'section',
      { 'aria-labelledby': 'confusions-h' },
      h('h2', { id: 'confusions-h' }, 'Top confusions'),
      review.confusions.length === 0
        ? h('p', { class: 'muted' }, 'The candidate confused no classes on the test split.')
        : h(
            'ol',
            { class: 'confusions' },
            review.confusions.map((x) =>
              h(
                'li',
                {},
                h('span', { class: 'class-name' }, x.actual),
                ' read as ',
                h('span', { class: 'class-name' }, x.predicted),
                `: ${x.count} of ${x.support} rows (${pct(x.rate)})`,
                x.productionCount === null
                  ? ''
                  : h('span', { class: 'muted' }, `, production ${x.productionCount}`),
              ),
            ),
          ),
    ),
    h(
      'section',
      { 'aria-labelledby': 'cm-h' },
      h('h2', { id: 'cm-h' }, 'Confusion matrix'),
      matrixSection(c, p, productionName),
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

type SortKey = 'change' | 'class' | 'support' | 'f1' | 'production' | 'precision' | 'recall';

/** Per-class figures, production beside the candidate, sortable, in a box that scrolls on its own. */
function classTable(classes: readonly ClassChange[], withProduction: boolean): HTMLElement {
  const columns: [SortKey, string][] = [
    ['class', 'Class'],
    ['support', 'Test rows'],
    ['f1', 'F1 candidate'],
    ...(withProduction
      ? ([
          ['production', 'F1 production'],
          ['change', 'Change'],
        ] as [SortKey, string][])
      : []),
    ['precision', 'Precision'],
    ['recall', 'Recall'],
  ];
  const value = (x: ClassChange, key: SortKey): number | string => {
    switch (key) {
      case 'class':
        return x.class;
      case 'support':
        return x.support;
      case 'f1':
        return x.candidate.f1;
      case 'production':
        return x.production?.f1 ?? -1;
      case 'change':
        return Math.abs(x.deltaF1 ?? 0);
      case 'precision':
        return x.candidate.precision;
      case 'recall':
        return x.candidate.recall;
    }
  };
  let sortKey: SortKey | null = null;
  let descending = true;
  const tbody = h('tbody', {});
  const headers = new Map<SortKey, HTMLTableCellElement>();
  const draw = () => {
    const rows =
      sortKey === null
        ? [...classes]
        : [...classes].sort((a, b) => {
            const va = value(a, sortKey as SortKey);
            const vb = value(b, sortKey as SortKey);
            const order = typeof va === 'string' ? va.localeCompare(String(vb)) : va - (vb as number);
            return descending ? -order : order;
          });
    fill(
      tbody,
      rows.map((x) =>
        h(
          'tr',
          { 'data-class': x.class },
          h('th', { scope: 'row', class: 'class-name', title: x.class }, x.class),
          h('td', { class: 'num' }, String(x.support)),
          h('td', { class: 'num' }, f1Bar(x.candidate.f1)),
          withProduction ? h('td', { class: 'num' }, x.production ? pct(x.production.f1) : '–') : null,
          withProduction
            ? h(
                'td',
                {
                  class: `num change ${(x.deltaF1 ?? 0) > 0.0005 ? 'up' : (x.deltaF1 ?? 0) < -0.0005 ? 'down' : ''}`,
                },
                x.deltaF1 === null ? 'new' : points(x.deltaF1),
              )
            : null,
          h('td', { class: 'num' }, pct(x.candidate.precision)),
          h('td', { class: 'num' }, pct(x.candidate.recall)),
        ),
      ),
    );
    for (const [key, th] of headers)
      th.setAttribute('aria-sort', key === sortKey ? (descending ? 'descending' : 'ascending') : 'none');
  };
  const head = h(
    'tr',
    {},
    columns.map(([key, label]) => {
      const th = h(
        'th',
        { scope: 'col', 'aria-sort': 'none', class: key === 'class' ? '' : 'num' },
        h(
          'button',
          {
            type: 'button',
            class: 'sort',
            onclick: () => {
              descending = sortKey === key ? !descending : key !== 'class';
              sortKey = key;
              draw();
            },
          },
          label,
        ),
      );
      headers.set(key, th);
      return th;
    }),
  );
  draw();
  return h(
    'div',
    {
      class: 'scroll-box classes-box',
      tabindex: 0,
      role: 'region',
      'aria-label': 'Per-class figures (scrollable)',
    },
    h(
      'table',
      { class: 'classes' },
      h(
        'caption',
        { class: 'visually-hidden' },
        'Per-class precision, recall and F1; production beside the candidate',
      ),
      h('thead', {}, head),
      tbody,
    ),
  );
}

function f1Bar(value: number): HTMLElement {
  const bar = h('span', { class: 'mini-bar', 'aria-hidden': 'true' }, h('span', {}));
  (bar.firstChild as HTMLElement).style.width = `${Math.max(0, Math.min(1, value)) * 100}%`;
  return h('span', { class: 'f1' }, bar, pct(value));
}

// Above this many classes, cells are colour only (the count and share are in each cell's tooltip).
const DENSE_FROM = 16;

/** A row-normalized confusion matrix: the candidate's, or production's, chosen with a select. */
function matrixSection(
  candidate: ReportModelView,
  production: ReportModelView | null,
  productionName: string,
): HTMLElement[] {
  const selectId = uid('matrix-of');
  const box = h('div', {});
  const show = (which: string) =>
    fill(box, matrix(which === 'production' && production ? production : candidate));
  const select = h(
    'select',
    { id: selectId, onchange: (e: Event) => show((e.target as HTMLSelectElement).value) },
    h('option', { value: 'candidate' }, 'Candidate'),
    production ? h('option', { value: 'production' }, productionName) : null,
  );
  show('candidate');
  return [
    h(
      'p',
      { class: 'muted small' },
      'Rows: true class; columns: predicted class (numbered as the rows). Each cell is the share of the row’s test rows; darker is more.',
    ),
    production ? h('p', {}, h('label', { for: selectId }, 'Show '), select) : h('span', {}),
    box,
  ];
}

function matrix(model: ReportModelView): HTMLElement {
  const { confusion, classes } = model.metrics;
  const dense = classes.length >= DENSE_FROM;
  const totals = classes.map((_, i) => (confusion[i] ?? []).reduce((sum, n) => sum + n, 0));
  return h(
    'div',
    {
      class: `scroll-box matrix-box${dense ? ' dense' : ''}`,
      tabindex: 0,
      role: 'region',
      'aria-label': 'Confusion matrix (scrollable)',
    },
    h(
      'table',
      { class: 'matrix' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('td', { class: 'corner' }, 'true ↓ / predicted →'),
          classes.map((cl, j) => h('th', { scope: 'col', title: cl }, String(j + 1))),
        ),
      ),
      h(
        'tbody',
        {},
        classes.map((cl, i) =>
          h(
            'tr',
            {},
            h('th', { scope: 'row', title: cl }, h('span', { class: 'index' }, `${i + 1}`), ` ${cl}`),
            classes.map((predicted, j) => {
              const n = confusion[i]?.[j] ?? 0;
              const share = totals[i] ? n / (totals[i] as number) : 0;
              const cell = h(
                'td',
                {
                  class: `${share > 0.55 ? 'hot' : ''}${i === j ? ' diagonal' : ''}`,
                  title: `${cl} → ${predicted}: ${n} of ${totals[i]} (${pct(share)})`,
                },
                dense || n === 0 ? '' : `${Math.round(share * 100)}`,
              );
              cell.style.setProperty('--heat', share.toFixed(3));
              return cell;
            }),
          ),
        ),
      ),
    ),
  );
}

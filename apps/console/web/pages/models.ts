import { PRODUCTION_ALIAS } from '@slipway/contracts';
import type {
  AliasView,
  EndpointView,
  ModelDetail,
  ModelSummary,
  ServingView,
  VersionView,
} from '../../src/api-types.js';
import { get, post } from '../api.js';
import { problem } from '../components.js';
import { fill, h, s as svg, uid } from '../dom.js';
import { duration, pct, time } from '../format.js';
import { type PageFactory, reloader } from '../page.js';

/** Every model with its aliases, and the served model with a box to try it. */
export const modelsPage: PageFactory = (main) => {
  const list = h('div', { class: 'model-list' });
  const serving = servingPanel(null);
  main.append(
    h('h1', { tabindex: -1 }, 'Models'),
    serving.el,
    h('section', { 'aria-labelledby': 'models-h' }, h('h2', { id: 'models-h' }, 'Registered models'), list),
  );
  const refresh = reloader(
    async () => {
      const { models } = await get<{ models: ModelSummary[] }>('/api/models');
      fill(
        list,
        models.length === 0
          ? h(
              'p',
              { class: 'muted' },
              'No model registered yet: approve a run and its candidate becomes a version.',
            )
          : h(
              'ul',
              { class: 'cards' },
              models.map((m) =>
                h(
                  'li',
                  { class: 'card', 'data-model': m.name },
                  h('h3', {}, h('a', { href: `/models/${encodeURIComponent(m.name)}` }, m.name)),
                  aliasBadges(m.aliases),
                ),
              ),
            ),
      );
      serving.setModels(models);
      await serving.refresh();
    },
    (error) => fill(list, problem(error)),
  );
  return { onModels: refresh };
};

/** One model: aliases with their history and rollback, versions with metrics and lineage. */
export const modelPage: PageFactory = (main, [name = '']) => {
  const aliases = h('div', {});
  const versions = h('tbody', {});
  const more = h('button', { type: 'button', hidden: true }, 'Older versions');
  const problems = h('div', {});
  const trend = h('div', { class: 'trend' });
  const serving = servingPanel(name);
  let cursor: string | null = null;
  main.append(
    h('p', { class: 'crumbs' }, h('a', { href: '/models' }, 'Models')),
    h('h1', { tabindex: -1 }, 'Model ', h('span', { class: 'mono' }, name)),
    problems,
    h('section', { 'aria-labelledby': 'aliases-h' }, h('h2', { id: 'aliases-h' }, 'Aliases'), aliases),
    serving.el,
    h(
      'section',
      { 'aria-labelledby': 'trend-h' },
      h('h2', { id: 'trend-h' }, 'Accuracy and macro-F1 by version'),
      trend,
    ),
    h(
      'section',
      { 'aria-labelledby': 'versions-h' },
      h('h2', { id: 'versions-h' }, 'Versions'),
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'versions' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              [
                'Version',
                'Created',
                'Accuracy',
                'Macro-F1',
                'Trained with',
                'Dataset',
                'Commit / PR',
                'Execution',
              ].map((c) => h('th', { scope: 'col' }, c)),
            ),
          ),
          versions,
        ),
      ),
      more,
    ),
  );
  const base = `/api/models/${encodeURIComponent(name)}`;
  more.addEventListener('click', async () => {
    try {
      const page = await get<ModelDetail>(`${base}?cursor=${encodeURIComponent(cursor ?? '')}`);
      versions.append(...page.versions.map(versionRow));
      cursor = page.nextCursor;
      more.hidden = cursor === null;
    } catch (error) {
      problems.replaceChildren(problem(error));
    }
  });
  const refresh = reloader(
    async () => {
      const detail = await get<ModelDetail>(base);
      fill(
        aliases,
        detail.aliases.length === 0
          ? h('p', { class: 'muted' }, 'No alias set yet.')
          : detail.aliases.map((a) => aliasBlock(name, a, () => refresh())),
      );
      fill(versions, detail.versions.map(versionRow));
      fill(trend, trendChart(detail));
      cursor = detail.nextCursor;
      more.hidden = cursor === null;
      serving.setModels([
        { name, aliases: Object.fromEntries(detail.aliases.map((a) => [a.alias, a.version])) },
      ]);
      await serving.refresh();
      problems.replaceChildren();
    },
    (error) => problems.replaceChildren(problem(error)),
  );
  return { onModels: refresh };
};

function aliasBadges(aliases: Readonly<Record<string, number>>): HTMLElement {
  const entries = Object.entries(aliases);
  if (entries.length === 0) return h('p', { class: 'muted small' }, 'no aliases');
  return h(
    'ul',
    { class: 'aliases' },
    entries.map(([alias, v]) =>
      h('li', { 'data-alias': alias }, h('span', { class: 'alias-name' }, alias), ` v${v}`),
    ),
  );
}

/** Hyperparameters in one line, and what differs from production. */
function trainedWith(v: VersionView): HTMLElement | string {
  const rows = v.lineage?.rows.filter((r) => r.key.startsWith('hp.') && r.candidate !== null) ?? [];
  if (rows.length === 0) return '–';
  const changed = v.lineage?.changed ?? [];
  const production = v.lineage?.productionVersion;
  const differs =
    production === null || production === undefined || production === v.version
      ? null
      : changed.length === 0
        ? h('span', { class: 'muted small' }, `same as production v${production}`)
        : h(
            'span',
            { class: 'differs', 'data-differs': changed.map((r) => r.key).join(' ') },
            `vs production v${production}: `,
            changed.map((r) => `${r.label} ${r.production ?? '–'} → ${r.candidate ?? '–'}`).join(', '),
          );
  return h(
    'span',
    {},
    differs,
    differs ? h('br', {}) : null,
    h('span', { class: 'mono small' }, rows.map((r) => `${r.label}=${r.candidate}`).join(' ')),
  );
}

/** Whether `slipway verify` rebuilt this version bit for bit, and when; nothing when never verified. */
function verificationTag(v: VersionView): HTMLElement | string {
  const check = v.verification;
  if (!check) return '';
  return h(
    'span',
    {
      class: check.outcome === 'reproducible' ? 'alias-tag verified-tag' : 'rejected-tag verified-tag',
      title: `slipway verify, ${check.at} by ${check.by} (${check.where}): ${check.summary}`,
      'data-verification': check.outcome,
    },
    check.outcome === 'reproducible' ? 'verified' : check.outcome,
  );
}

function versionRow(v: VersionView): HTMLTableRowElement {
  const commit = [v.gitCommit ? v.gitCommit.slice(0, 8) : '', v.pullRequest ? `#${v.pullRequest}` : '']
    .filter(Boolean)
    .join(' ');
  return h(
    'tr',
    { 'data-version': v.version, class: v.rejected ? 'rejected' : '' },
    h(
      'th',
      { scope: 'row', 'data-label': 'Version' },
      h(
        'span',
        {},
        `v${v.version}`,
        v.aliases.map((a) => h('span', { class: 'alias-tag', 'data-alias': a }, a)),
        v.rejected
          ? h(
              'span',
              {
                class: 'rejected-tag',
                title: `rejected by ${v.rejected.by || 'an unknown decider'} at ${v.rejected.at}${v.rejected.reason ? `: ${v.rejected.reason}` : ''}`,
                'data-rejected': '',
              },
              'rejected',
            )
          : '',
        verificationTag(v),
      ),
    ),
    h(
      'td',
      { 'data-label': 'Created' },
      h(
        'span',
        {},
        time(v.createdAt),
        v.trainingDurationMs !== null
          ? h('span', { class: 'muted small' }, ` trained in ${duration(v.trainingDurationMs)}`)
          : '',
      ),
    ),
    h('td', { 'data-label': 'Accuracy' }, pct(v.accuracy)),
    h('td', { 'data-label': 'Macro-F1' }, pct(v.macroF1)),
    h('td', { 'data-label': 'Trained with' }, trainedWith(v)),
    h(
      'td',
      { 'data-label': 'Dataset' },
      v.dataset ? `${v.dataset.name} ${v.dataset.sha256.slice(0, 8)}` : '–',
    ),
    h('td', { 'data-label': 'Commit / PR' }, commit || '–'),
    h(
      'td',
      { 'data-label': 'Execution' },
      v.executionId
        ? h('a', { href: `/executions/${encodeURIComponent(v.executionId)}` }, v.executionId)
        : '–',
    ),
    v.problem ? h('td', { class: 'problem' }, v.problem) : null,
  );
}

function aliasBlock(model: string, a: AliasView, changed: () => void): HTMLElement {
  const headingId = uid('alias');
  const reasonId = uid('reason');
  const status = h('p', { role: 'status', class: 'status-line' });
  const reason = h('input', { id: reasonId, type: 'text', name: 'reason', autocomplete: 'off' });
  const confirm = h('button', { type: 'submit', class: 'danger' }, `Roll back to v${a.rollbackTo ?? '?'}`);
  const form = h(
    'form',
    {
      class: 'rollback',
      'aria-label': `Roll back ${a.alias}`,
      onsubmit: async (e: Event) => {
        e.preventDefault();
        confirm.disabled = true;
        try {
          const moved = await post<{ version: number }>(
            `/api/models/${encodeURIComponent(model)}/aliases/${encodeURIComponent(a.alias)}/rollback`,
            {
              expected: a.version,
              reason: reason.value,
            },
          );
          status.textContent = `${a.alias} now points at v${moved.version}.`;
          changed();
        } catch (error) {
          status.replaceChildren(problem(error));
          confirm.disabled = false;
        }
      },
    },
    h('label', { for: reasonId }, `Why roll ${a.alias} back from v${a.version} to v${a.rollbackTo ?? '?'}?`),
    reason,
    confirm,
  );
  return h(
    'section',
    { class: 'panel alias', 'data-alias': a.alias, 'aria-labelledby': headingId },
    h(
      'h3',
      { id: headingId },
      h('span', { class: 'alias-name' }, a.alias),
      ' → ',
      h('span', { 'data-version': a.version }, `v${a.version}`),
    ),
    h(
      'p',
      { class: 'muted small' },
      `moved ${time(a.updatedAt)} by ${a.updatedBy}${a.reason ? `: ${a.reason}` : ''}`,
    ),
    a.rollbackTo !== null ? form : h('p', { class: 'muted small' }, 'No earlier version to roll back to.'),
    status,
    h(
      'details',
      {},
      h('summary', {}, `History (${a.history.length} moves)`),
      h(
        'ol',
        { class: 'history' },
        a.history.map((m) =>
          h(
            'li',
            {},
            h('time', { datetime: m.updatedAt }, time(m.updatedAt)),
            ` ${m.action} ${m.previous === null ? '–' : `v${m.previous}`} → ${m.version === null ? '(unset)' : `v${m.version}`} by ${m.updatedBy}`,
            m.reason ? `: ${m.reason}` : '',
            m.forcedOverRejection
              ? h(
                  'span',
                  { class: 'rejected-tag', 'data-forced': '' },
                  `forced over a rejection by ${m.forcedOverRejection.by || 'an unknown decider'}${m.forcedOverRejection.reason ? `: ${m.forcedOverRejection.reason}` : ''}`,
                )
              : '',
          ),
        ),
      ),
    ),
  );
}

/**
 * Where each model is served: this console's endpoints (one per model, each on its own port) and the
 * `slipway serve` processes that announce themselves in the store; a box to try the console's
 * endpoints, and an offer to serve production where the console serves nothing yet.
 */
function servingPanel(model: string | null): {
  readonly el: HTMLElement;
  setModels(models: readonly ModelSummary[]): void;
  refresh(): Promise<void>;
} {
  const headingId = uid('serving');
  const textId = uid('text');
  const targetId = uid('target');
  const state = h('div', { 'data-serving': '' });
  const serveBox = h('div', {});
  const text = h('textarea', { id: textId, rows: 3, name: 'text', maxlength: 5000 });
  const target = h('select', { id: targetId, name: 'model' });
  const targetField = h('div', { class: 'field' }, h('label', { for: targetId }, 'Model'), target);
  let example: string | null = null;
  let examples = new Map<string, string | null>();
  const predict = h('button', { type: 'submit', class: 'primary' }, 'Predict');
  const result = h('div', { role: 'status', class: 'prediction' });
  const form = h(
    'form',
    {
      class: 'try',
      'aria-label': 'Try the served model',
      hidden: true,
      onsubmit: async (e: Event) => {
        e.preventDefault();
        const texts = text.value
          .split('\n')
          .map((t) => t.trim())
          .filter(Boolean);
        if (texts.length === 0) return;
        predict.disabled = true;
        try {
          const answer = await post<{
            model: { name: string; version: number };
            predictions: { label: string; probabilities: Record<string, number> }[];
          }>('/api/predict', { model: target.value, texts });
          fill(
            result,
            h('p', { class: 'muted small' }, `${answer.model.name} v${answer.model.version} says:`),
            h(
              'ol',
              {},
              answer.predictions.map((p, i) =>
                h(
                  'li',
                  {},
                  h('strong', { 'data-label': p.label }, p.label),
                  ` (${Object.entries(p.probabilities)
                    .map(([l, x]) => `${l} ${pct(x)}`)
                    .join(', ')})`,
                  h('span', { class: 'muted small' }, ` — ${texts[i] ?? ''}`),
                ),
              ),
            ),
          );
        } catch (error) {
          fill(result, problem(error));
        } finally {
          predict.disabled = false;
        }
      },
    },
    targetField,
    h('label', { for: textId }, 'Text to classify (one per line)'),
    text,
    predict,
  );
  const useExample = () => {
    const next = examples.get(target.value) ?? null;
    // The served model's own text, until the reader types something else.
    if (next && (text.value === '' || text.value === example)) text.value = next;
    example = next;
  };
  target.addEventListener('change', useExample);
  let models: readonly ModelSummary[] = [];
  const el = h(
    'section',
    { class: 'panel serving', 'aria-labelledby': headingId },
    h('h2', { id: headingId }, model === null ? 'Served models' : 'Served'),
    state,
    serveBox,
    form,
    result,
  );
  const where = (e: EndpointView) =>
    e.by === 'console'
      ? 'by this console'
      : `by process ${e.pid} on ${e.host} (${e.workers && e.workers > 1 ? `${e.workers} workers, ` : ''}alias ${e.alias}, seen ${e.updatedAt ? time(e.updatedAt) : '?'})`;
  const panel = {
    el,
    setModels(list: readonly ModelSummary[]) {
      models = list;
    },
    async refresh() {
      const query = model === null ? '' : `?model=${encodeURIComponent(model)}`;
      const view = await get<ServingView>(`/api/serving${query}`);
      fill(
        state,
        view.endpoints.length === 0
          ? h('p', {}, view.note ?? 'Nothing is served.')
          : h(
              'ul',
              { class: 'endpoints' },
              view.endpoints.map((e) =>
                h(
                  'li',
                  { 'data-endpoint': e.url, 'data-by': e.by },
                  h(
                    'strong',
                    { 'data-served': `${e.model}@${e.version ?? ''}` },
                    `${e.model} ${e.version === null ? '(loading)' : `v${e.version}`}`,
                  ),
                  ' at ',
                  h('code', {}, e.url),
                  h('span', { class: 'muted small' }, ` ${where(e)}`),
                ),
              ),
            ),
      );
      const own = view.endpoints.filter((e) => e.by === 'console');
      examples = new Map(own.map((e) => [e.model, e.example]));
      const chosen = own.some((e) => e.model === target.value) ? target.value : own[0]?.model;
      fill(
        target,
        own.map((e) => h('option', { value: e.model }, e.model)),
      );
      if (chosen) target.value = chosen;
      targetField.hidden = own.length < 2;
      form.hidden = own.length === 0;
      useExample();
      const servable = models.filter(
        (m) =>
          m.aliases.production !== undefined &&
          (model === null || m.name === model) &&
          !own.some((e) => e.model === m.name),
      );
      fill(
        serveBox,
        view.canServe
          ? servable.map((m) =>
              h(
                'button',
                {
                  type: 'button',
                  onclick: async (e: Event) => {
                    const button = e.currentTarget as HTMLButtonElement;
                    button.disabled = true;
                    try {
                      await post('/api/serving', { model: m.name });
                      await panel.refresh();
                    } catch (error) {
                      serveBox.append(problem(error));
                      button.disabled = false;
                    }
                  },
                },
                `Serve ${m.name} production (v${m.aliases.production})`,
              ),
            )
          : null,
      );
    },
  };
  return panel;
}

const CHART = { width: 640, height: 220, left: 44, right: 16, top: 16, bottom: 34 };

/**
 * Accuracy and macro-F1 of each version on this page, oldest to newest, drawn as SVG by the page:
 * versions production moved to are marked with a ring and a dashed line, rejected ones with a cross.
 * Each version's figures are in its point's tooltip and in the table below.
 */
function trendChart(detail: ModelDetail): HTMLElement {
  const versions = detail.versions.filter((v) => v.accuracy !== null || v.macroF1 !== null).reverse();
  if (versions.length === 0) return h('p', { class: 'muted' }, 'No version with figures yet.');
  const production = detail.aliases.find((a) => a.alias === PRODUCTION_ALIAS);
  const promoted = new Set(
    (production?.history ?? []).map((m) => m.version).filter((v): v is number => v !== null),
  );
  const values = versions.flatMap((v) => [v.accuracy, v.macroF1]).filter((x): x is number => x !== null);
  // The axis starts a little under the lowest figure, in steps of 10 points, so changes are visible.
  const floor = Math.max(0, Math.floor((Math.min(...values) - 0.02) * 10) / 10);
  const { width, height, left, right, top, bottom } = CHART;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const x = (i: number) => left + (versions.length === 1 ? plotW / 2 : (i * plotW) / (versions.length - 1));
  const y = (value: number) => top + plotH - ((value - floor) / (1 - floor)) * plotH;
  const ticks = Array.from({ length: Math.round((1 - floor) * 10) + 1 }, (_, i) => floor + i / 10);
  const series = (key: 'accuracy' | 'macroF1', cls: string) =>
    svg('polyline', {
      class: `line ${cls}`,
      points: versions
        .map((v, i) => (v[key] === null ? null : `${x(i).toFixed(1)},${y(v[key] as number).toFixed(1)}`))
        .filter((p): p is string => p !== null)
        .join(' '),
    });
  const marks = versions.map((v, i) => {
    const label = `v${v.version}: accuracy ${pct(v.accuracy)}, macro-F1 ${pct(v.macroF1)}${
      promoted.has(v.version) ? ', production moved here' : ''
    }${v.version === production?.version ? ' (production now)' : ''}${v.rejected ? `, rejected: ${v.rejected.reason}` : ''}`;
    const cx = x(i);
    const parts: SVGElement[] = [svg('title', {}, label)];
    if (promoted.has(v.version)) {
      parts.push(
        svg('line', { class: 'promoted', x1: cx, x2: cx, y1: top, y2: top + plotH }),
        svg('circle', {
          class: `ring${v.version === production?.version ? ' current' : ''}`,
          cx,
          cy: y(v.accuracy ?? v.macroF1 ?? floor),
          r: 7,
        }),
      );
    }
    for (const [key, cls] of [
      ['accuracy', 'accuracy'],
      ['macroF1', 'macro-f1'],
    ] as const) {
      const value = v[key];
      if (value === null) continue;
      const cy = y(value);
      parts.push(
        v.rejected
          ? svg('path', {
              class: `cross ${cls}`,
              d: `M${cx - 4},${cy - 4} L${cx + 4},${cy + 4} M${cx - 4},${cy + 4} L${cx + 4},${cy - 4}`,
            })
          : svg('circle', { class: `dot ${cls}`, cx, cy, r: 3.5 }),
      );
    }
    parts.push(svg('text', { x: cx, y: height - bottom + 16, class: 'x-label' }, `v${v.version}`));
    if (v.rejected) parts.push(svg('text', { x: cx, y: height - 4, class: 'x-note rejected' }, 'rejected'));
    else if (v.version === production?.version)
      parts.push(svg('text', { x: cx, y: height - 4, class: 'x-note production' }, PRODUCTION_ALIAS));
    return svg(
      'g',
      { class: 'version-mark', 'data-version': v.version, 'data-rejected': v.rejected ? 'true' : 'false' },
      parts,
    );
  });
  const chart = svg(
    'svg',
    {
      viewBox: `0 0 ${width} ${height}`,
      role: 'img',
      'aria-label': `Accuracy and macro-F1 of versions v${versions[0]?.version} to v${versions.at(-1)?.version}; the versions table lists the same figures`,
      class: 'trend-chart',
    },
    ticks.map((t) =>
      svg(
        'g',
        { class: 'tick' },
        svg('line', { x1: left, x2: width - right, y1: y(t), y2: y(t) }),
        svg('text', { x: left - 6, y: y(t) + 4 }, `${Math.round(t * 100)}%`),
      ),
    ),
    series('accuracy', 'accuracy'),
    series('macroF1', 'macro-f1'),
    marks,
  );
  return h(
    'figure',
    { class: 'trend-figure' },
    chart,
    h(
      'figcaption',
      { class: 'legend' },
      h('span', { class: 'key accuracy' }, 'accuracy'),
      h('span', { class: 'key macro-f1' }, 'macro-F1'),
      h('span', { class: 'key ring' }, 'production moved here'),
      h('span', { class: 'key cross' }, 'rejected'),
    ),
  );
}

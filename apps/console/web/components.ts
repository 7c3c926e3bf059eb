import type {
  ExecutionDetail,
  GraphLayout,
  LineageComparison,
  LineageRow,
  Phase,
  StateView,
} from '../src/api-types.js';
import { ApiCallError, post } from './api.js';
import { fill, h, s, uid } from './dom.js';
import { duration, pct, phaseLabel, points } from './format.js';

/** A status badge: the word and its color (never color alone). */
export function badge(phase: Phase | string, text?: string): HTMLSpanElement {
  return h('span', { class: `badge phase-${phase}` }, text ?? phaseLabel(phase));
}

/** Says what went wrong, to screen readers too. */
export function problem(error: unknown): HTMLElement {
  const message = error instanceof ApiCallError || error instanceof Error ? error.message : String(error);
  return h('p', { class: 'problem', role: 'alert' }, message);
}

/**
 * Where the candidate came from beside production: dataset, commit, pull request, trainer and the
 * hyperparameters that differ (the others folded away). Changed rows say so in words, not colour alone.
 */
export function lineageTable(comparison: LineageComparison): HTMLElement {
  const hasProduction = comparison.productionVersion !== null;
  const isHp = (r: LineageRow) => r.key.startsWith('hp.');
  const shown = comparison.rows.filter((r) => !isHp(r) || r.changed);
  const folded = comparison.rows.filter((r) => isHp(r) && !r.changed);
  const row = (r: LineageRow) =>
    h(
      'tr',
      { class: r.changed ? 'changed' : '', 'data-key': r.key },
      h('th', { scope: 'row' }, r.label, r.changed ? h('span', { class: 'tag' }, 'changed') : ''),
      h('td', { class: 'mono' }, r.candidate ?? '–'),
      hasProduction ? h('td', { class: 'mono' }, r.production ?? '–') : null,
    );
  const table = (rows: readonly LineageRow[], caption: string) =>
    h(
      'table',
      { class: 'lineage' },
      h('caption', { class: 'visually-hidden' }, caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, ''),
          h(
            'th',
            { scope: 'col' },
            comparison.candidateVersion ? `Candidate v${comparison.candidateVersion}` : 'Candidate',
          ),
          hasProduction ? h('th', { scope: 'col' }, `Production v${comparison.productionVersion}`) : null,
        ),
      ),
      h('tbody', {}, rows.map(row)),
    );
  return h(
    'div',
    { class: 'lineage-box' },
    h(
      'p',
      { class: 'small', 'data-lineage-summary': '' },
      !hasProduction
        ? 'No production model to compare with.'
        : comparison.changed.length === 0
          ? `Same dataset, commit and hyperparameters as production v${comparison.productionVersion}.`
          : `Differs from production v${comparison.productionVersion} in: ${comparison.changed.map((r) => r.label).join(', ')}.`,
    ),
    h('div', { class: 'table-wrap' }, table(shown, 'Dataset, commit and changed hyperparameters')),
    folded.length > 0
      ? h(
          'details',
          {},
          h(
            'summary',
            {},
            `${folded.length} hyperparameters${hasProduction ? ' the same as production' : ''}`,
          ),
          h('div', { class: 'table-wrap' }, table(folded, 'Other hyperparameters')),
        )
      : null,
  );
}

/** The approve/reject panel of an execution waiting at Approval. */
export function approvalPanel(
  executionId: string,
  actor: string,
  options: { readonly reportLink: boolean; readonly details?: boolean },
): { readonly el: HTMLElement; update(detail: ExecutionDetail): void } {
  const headingId = uid('approval');
  const commentId = uid('comment');
  const reasonId = uid('reason');
  const heading = h('h2', { id: headingId }, 'Approval');
  const what = h('p', {});
  const summary = h('p', { class: 'muted' });
  const figures = h('div', { class: 'figures' });
  const lineage = h('div', {});
  const status = h('p', { role: 'status', class: 'status-line' });
  const comment = h('textarea', { id: commentId, name: 'comment', rows: 2, maxlength: 2000 });
  const reason = h('textarea', { id: reasonId, name: 'reason', rows: 2, maxlength: 2000, required: true });
  const approve = h('button', { type: 'submit', class: 'primary' }, 'Approve');
  const reject = h('button', { type: 'submit', class: 'danger' }, 'Reject');
  const decide = async (
    button: HTMLButtonElement,
    action: 'approve' | 'reject',
    body: Record<string, string>,
  ): Promise<void> => {
    approve.disabled = true;
    reject.disabled = true;
    status.textContent = action === 'approve' ? 'Approving…' : 'Rejecting…';
    try {
      await post(`/api/executions/${encodeURIComponent(executionId)}/${action}`, body);
      status.textContent = action === 'approve' ? `Approved by ${actor}.` : `Rejected by ${actor}.`;
    } catch (error) {
      status.replaceChildren(problem(error));
      approve.disabled = false;
      reject.disabled = false;
      button.focus();
    }
  };
  const approveForm = h(
    'form',
    {
      class: 'decide',
      'aria-label': 'Approve',
      onsubmit: (e: Event) => {
        e.preventDefault();
        void decide(approve, 'approve', { comment: comment.value });
      },
    },
    h('label', { for: commentId }, 'Comment (optional)'),
    comment,
    approve,
  );
  const rejectForm = h(
    'form',
    {
      class: 'decide',
      'aria-label': 'Reject',
      onsubmit: (e: Event) => {
        e.preventDefault();
        void decide(reject, 'reject', { reason: reason.value });
      },
    },
    h('label', { for: reasonId }, 'Reason for rejecting'),
    reason,
    reject,
  );
  const forms = h('div', { class: 'decide-row' }, approveForm, rejectForm);
  const decisions = h('ul', { class: 'decisions' });
  const el = h(
    'section',
    { class: 'panel approval', 'aria-labelledby': headingId, hidden: true },
    heading,
    what,
    figures,
    lineage,
    summary,
    options.reportLink
      ? h(
          'p',
          {},
          h(
            'a',
            { href: `/executions/${encodeURIComponent(executionId)}/report` },
            'Read the evaluation report',
          ),
        )
      : null,
    forms,
    status,
    decisions,
  );
  return {
    el,
    update(detail) {
      const { approval } = detail;
      const decided = approval.decisions.length > 0;
      el.hidden = !approval.waiting && !decided;
      el.classList.toggle('waiting', approval.waiting);
      what.textContent = approval.waiting
        ? `Candidate ${detail.model ?? ''} v${approval.version ?? '?'} waits for your decision. You decide as ${actor}.`
        : `Candidate ${detail.model ?? ''} v${approval.version ?? '?'}`;
      summary.textContent = approval.summary ? `Gate: ${approval.summary}` : '';
      // The report page shows figures and lineage in full below the panel.
      const f = options.details === false ? null : approval.figures;
      fill(
        figures,
        f
          ? h(
              'table',
              { class: 'compare small-table' },
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  h('th', { scope: 'col' }, ''),
                  h('th', { scope: 'col' }, 'Candidate'),
                  h(
                    'th',
                    { scope: 'col' },
                    f.production ? `Production v${f.production.version}` : 'Production',
                  ),
                  h('th', { scope: 'col' }, 'Change'),
                ),
              ),
              h(
                'tbody',
                {},
                (['accuracy', 'macroF1'] as const).map((key) =>
                  h(
                    'tr',
                    {},
                    h('th', { scope: 'row' }, key === 'accuracy' ? 'Accuracy' : 'Macro-F1'),
                    h('td', {}, pct(f.candidate[key])),
                    h('td', {}, f.production ? pct(f.production[key]) : 'none yet'),
                    h('td', {}, f.production ? points(f.candidate[key] - f.production[key]) : ''),
                  ),
                ),
              ),
            )
          : null,
      );
      fill(lineage, approval.lineage && options.details !== false ? lineageTable(approval.lineage) : null);
      forms.hidden = !approval.waiting;
      if (
        approval.waiting &&
        !status.textContent?.startsWith('Approving') &&
        !status.textContent?.startsWith('Rejecting')
      ) {
        approve.disabled = false;
        reject.disabled = false;
      }
      fill(
        decisions,
        approval.decisions.map((d) =>
          h(
            'li',
            {},
            badge(
              d.decision === 'approve' ? 'succeeded' : 'failed',
              d.decision === 'approve' ? 'approved' : 'rejected',
            ),
            ` by ${d.by || 'someone'}`,
            d.comment ? `: “${d.comment}”` : '',
          ),
        ),
      );
    },
  };
}

/** The state machine as drawn from its definition; states are colored by `update`. */
export function stateGraph(layout: GraphLayout): {
  readonly el: HTMLElement;
  update(states: Record<string, StateView>): void;
} {
  const nodes = new Map<string, { g: SVGElement; title: SVGElement; status: SVGElement }>();
  const defs = s(
    'defs',
    {},
    s(
      'marker',
      {
        id: 'arrow',
        viewBox: '0 0 10 10',
        refX: 9,
        refY: 5,
        markerWidth: 7,
        markerHeight: 7,
        orient: 'auto-start-reverse',
      },
      s('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrowhead' }),
    ),
  );
  const edges = layout.edges.map((e) => {
    const d = e.points
      .map(([x, y], i) => {
        if (i === 0) return `M${x},${y}`;
        const [px, py] = e.points[i - 1] as readonly [number, number];
        const my = (py + y) / 2;
        return `C${px},${my} ${x},${my} ${x},${y}`;
      })
      .join(' ');
    return s(
      'path',
      { d, class: `edge edge-${e.kind}`, 'marker-end': 'url(#arrow)' },
      s('title', {}, `${e.from} → ${e.to}${e.label ? ` (${e.label})` : ''}`),
    );
  });
  const drawn = layout.nodes.map((n) => {
    const title = s('title', {}, n.id);
    const status = s('text', { x: n.x + n.width / 2, y: n.y + n.height - 7, class: 'node-status' }, '');
    const g = s(
      'g',
      {
        class: `node node-${n.type.toLowerCase()} phase-not-run`,
        'data-state': n.id,
        'data-phase': 'not-run',
      },
      title,
      s('rect', { x: n.x, y: n.y, width: n.width, height: n.height, rx: n.type === 'Choice' ? 14 : 6 }),
      s('text', { x: n.x + n.width / 2, y: n.y + 15, class: 'node-name' }, n.id),
      status,
    );
    nodes.set(n.id, { g, title, status });
    return g;
  });
  const svg = s(
    'svg',
    {
      viewBox: `0 0 ${layout.width} ${layout.height}`,
      width: layout.width,
      height: layout.height,
      role: 'img',
      'aria-label': 'State machine graph; the table below lists the same states with their status',
    },
    defs,
    edges,
    drawn,
  );
  const el = h('div', {
    class: 'graph',
    tabindex: 0,
    role: 'region',
    'aria-label': 'State machine graph (scrollable)',
  });
  el.append(svg);
  return {
    el,
    update(states) {
      for (const [name, node] of nodes) {
        const view = states[name];
        const phase = view?.phase ?? 'not-run';
        node.g.setAttribute(
          'class',
          node.g.getAttribute('class')?.replace(/phase-[a-z-]+/, `phase-${phase}`) ?? '',
        );
        node.g.setAttribute('data-phase', phase);
        const timing =
          view?.durationMs !== null && view?.durationMs !== undefined
            ? ` · ${duration(view.durationMs)}`
            : '';
        node.status.textContent = phase === 'not-run' ? '' : `${phaseLabel(phase)}${timing}`;
        node.title.textContent = `${name}: ${phaseLabel(phase)}${timing}${view?.error ? ` (${view.error})` : ''}`;
      }
    },
  };
}

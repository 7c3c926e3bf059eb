import type { ExecutionDetail, GraphLayout, StateView } from '../../src/api-types.js';
import { get } from '../api.js';
import { approvalPanel, badge, problem, stateGraph } from '../components.js';
import { fill, h } from '../dom.js';
import { duration, elapsed, phaseLabel, time } from '../format.js';
import { type PageFactory, reloader } from '../page.js';

let layout: Promise<GraphLayout> | undefined;
/** The definition's drawing: the same for every execution, fetched once. */
function graphLayout(): Promise<GraphLayout> {
  layout ??= get<GraphLayout>('/api/definition');
  return layout;
}

/** One execution: its graph colored by status, approval, timings, history and training logs. */
export const executionPage: PageFactory = (main, [id = ''], context) => {
  const path = `/api/executions/${encodeURIComponent(id)}`;
  const title = h('h1', { tabindex: -1 }, 'Execution ', h('span', { class: 'mono' }, id));
  const status = h('span', { class: 'heading-badge' });
  const meta = h('dl', { class: 'meta' });
  const failure = h('div', {});
  const approval = approvalPanel(id, context.info.actor, { reportLink: true });
  const graphBox = h('div', {});
  const reportLink = h(
    'p',
    { hidden: true },
    h(
      'a',
      { href: `/executions/${encodeURIComponent(id)}/report` },
      'Evaluation report: candidate vs production',
    ),
  );
  const statesBody = h('tbody', {});
  const historyList = h('ol', { class: 'history' });
  const logsBox = h('div', {});
  const problems = h('div', {});
  let graph: ReturnType<typeof stateGraph> | undefined;
  let last: ExecutionDetail | undefined;
  const openLogs = new Map<string, HTMLPreElement>();

  main.append(
    h('p', { class: 'crumbs' }, h('a', { href: '/' }, 'Executions')),
    h('div', { class: 'heading' }, title, status),
    problems,
    meta,
    failure,
    approval.el,
    h(
      'section',
      { 'aria-labelledby': 'graph-h' },
      h('h2', { id: 'graph-h' }, 'State machine'),
      legend(),
      graphBox,
      reportLink,
    ),
    h(
      'section',
      { 'aria-labelledby': 'states-h' },
      h('h2', { id: 'states-h' }, 'States and timings'),
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'states' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['State', 'Status', 'Entered', 'Duration', 'Retries', 'Error'].map((c) =>
                h('th', { scope: 'col' }, c),
              ),
            ),
          ),
          statesBody,
        ),
      ),
    ),
    h('section', { 'aria-labelledby': 'logs-h' }, h('h2', { id: 'logs-h' }, 'Training logs'), logsBox),
    h(
      'section',
      { 'aria-labelledby': 'history-h' },
      h('h2', { id: 'history-h' }, 'Event history'),
      historyList,
    ),
  );

  void graphLayout()
    .then((l) => {
      graph = stateGraph(l);
      graphBox.replaceChildren(graph.el);
      if (last) graph.update(last.states as Record<string, StateView>);
    })
    .catch((error) => graphBox.replaceChildren(problem(error)));

  const show = (d: ExecutionDetail) => {
    last = d;
    fill(status, badge(d.phase, d.phase === 'waiting' ? 'waiting for approval' : undefined));
    main.dataset.phase = d.phase;
    const pr = d.git.pullRequest ? `#${d.git.pullRequest}` : '–';
    fill(
      meta,
      [
        ['Model', d.model ?? '–'],
        ['Dataset', d.dataset ? `${d.dataset.name} (${d.dataset.sha256.slice(0, 12)})` : '–'],
        ['Started', time(d.startedAt)],
        ['Duration', duration(elapsed(d.startedAt, d.stoppedAt))],
        ['Now at', d.currentState ?? '–'],
        ['Commit', d.git.commit ? d.git.commit.slice(0, 12) : '–'],
        ['Pull request', pr],
        ['Trigger', d.trigger ?? '–'],
      ].flatMap(([k, v]) => [h('dt', {}, k as string), h('dd', {}, v as string)]),
    );
    // The whole cause once, here; the tables below show its first line and do not repeat it.
    fill(
      failure,
      d.error
        ? h(
            'div',
            { class: 'problem', role: 'status' },
            h('strong', {}, d.error),
            d.cause && d.cause !== d.error
              ? d.cause.includes('\n') || d.cause.length > 200
                ? h('pre', { class: 'cause' }, d.cause)
                : `: ${d.cause}`
              : '',
          )
        : null,
    );
    approval.update(d);
    graph?.update(d.states as Record<string, StateView>);
    reportLink.hidden = d.states.Evaluate?.phase !== 'succeeded';
    fill(
      statesBody,
      Object.values(d.states)
        .filter((s) => s.phase !== 'not-run')
        .sort((a, b) => ((a.enteredAt ?? '') < (b.enteredAt ?? '') ? -1 : 1))
        .map((s) =>
          h(
            'tr',
            { 'data-state': s.name, 'data-phase': s.phase },
            h('th', { scope: 'row', 'data-label': 'State' }, s.name),
            h('td', { 'data-label': 'Status' }, badge(s.phase)),
            h('td', { 'data-label': 'Entered' }, time(s.enteredAt)),
            h(
              'td',
              { 'data-label': 'Duration' },
              duration(
                s.durationMs ??
                  (s.phase === 'running' || s.phase === 'waiting' ? elapsed(s.enteredAt, null) : null),
              ),
            ),
            h('td', { 'data-label': 'Retries' }, String(s.retries)),
            h(
              'td',
              { 'data-label': 'Error', title: s.cause ?? '' },
              s.error ? `${s.error}${s.cause ? `: ${brief(s.cause)}` : ''}` : '',
            ),
          ),
        ),
    );
    let lastCause = '';
    fill(
      historyList,
      d.events.map((e) => {
        const cause = e.cause ? brief(e.cause) : '';
        const repeated = cause !== '' && cause === lastCause;
        if (cause !== '') lastCause = cause;
        return h(
          'li',
          { 'data-seq': e.seq },
          h('span', { class: 'seq' }, String(e.seq)),
          h('time', { datetime: e.timestamp }, new Date(e.timestamp).toLocaleTimeString()),
          ' ',
          h('span', { class: 'event-type' }, e.type),
          e.state ? h('span', { class: 'event-state' }, ` ${e.state}`) : '',
          e.message ? ` — ${e.message}` : '',
          e.error ? ` — ${e.error}${cause ? `: ${repeated ? '(same cause as above)' : cause}` : ''}` : '',
        );
      }),
    );
    for (const job of d.jobs) {
      if (openLogs.has(job)) continue;
      const pre = h('pre', { class: 'log', tabindex: 0, 'aria-label': `Log of ${job}` });
      const details = h('details', {}, h('summary', {}, job), pre);
      details.addEventListener('toggle', () => {
        if (details.open) void loadLog(job, pre);
      });
      openLogs.set(job, pre);
      logsBox.append(details);
    }
    if (d.jobs.length === 0)
      fill(
        logsBox,
        h(
          'p',
          { class: 'muted' },
          context.info.source === 'aws'
            ? 'Training logs are in CloudWatch.'
            : 'No training job has logged yet.',
        ),
      );
    else logsBox.querySelector('p.muted')?.remove();
    // Open logs follow the job while it runs.
    for (const [job, pre] of openLogs)
      if ((pre.parentElement as HTMLDetailsElement | null)?.open) void loadLog(job, pre);
  };

  const loadLog = async (job: string, pre: HTMLPreElement) => {
    try {
      const { text } = await get<{ text: string }>(`${path}/logs/${encodeURIComponent(job)}`);
      pre.textContent = text || '(empty)';
    } catch (error) {
      pre.textContent = (error as Error).message;
    }
  };

  const refresh = reloader(
    async () => {
      show(await get<ExecutionDetail>(path));
      problems.replaceChildren();
    },
    (error) => problems.replaceChildren(problem(error)),
  );
  const ticker = setInterval(() => {
    if (last && !last.stoppedAt) {
      const dd = meta.querySelectorAll('dd')[3];
      if (dd) dd.textContent = duration(elapsed(last.startedAt, null));
      // A training job logs between state changes: open logs follow it while the execution runs.
      for (const [job, pre] of openLogs)
        if ((pre.parentElement as HTMLDetailsElement | null)?.open) void loadLog(job, pre);
    }
  }, 1000);

  return {
    onExecution(e) {
      if (e.id === id) refresh();
    },
    dispose() {
      clearInterval(ticker);
    },
  };
};

function legend(): HTMLElement {
  const phases = ['running', 'waiting', 'succeeded', 'failed', 'not-run'];
  return h(
    'ul',
    { class: 'legend', 'aria-label': 'Colors' },
    phases.map((p) => h('li', {}, h('span', { class: `swatch phase-${p}` }), phaseLabel(p))),
  );
}

/** A cause's first line, cut at 200 characters: tables and lists stay readable; the failure box has it whole. */
function brief(cause: string): string {
  const first = cause.split('\n').find((l) => l.trim() !== '') ?? '';
  return first.length > 200 ? `${first.slice(0, 199)}…` : first;
}

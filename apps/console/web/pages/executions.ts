import { MODEL_NAME_PATTERN } from '@slipway/contracts';
import type { ConsoleInfo, ExecutionSummary } from '../../src/api-types.js';
import { get, post } from '../api.js';
import { badge, problem } from '../components.js';
import { fill, h, uid } from '../dom.js';
import { duration, elapsed, time } from '../format.js';
import type { PageFactory } from '../page.js';

const COLUMNS = ['Execution', 'Status', 'Started', 'Duration', 'Dataset', 'Commit / PR', 'Trigger'] as const;

/** The executions list, updated live, with a form to start a run. */
export const executionsPage: PageFactory = (main, _params, context) => {
  const rows = new Map<string, HTMLTableRowElement>();
  const data = new Map<string, ExecutionSummary>();
  const tbody = h('tbody', {});
  const empty = h(
    'p',
    { class: 'muted', hidden: true },
    'No executions yet. Start a run here, or with `slipway run`.',
  );
  const status = h('div', { role: 'status' });

  const row = (e: ExecutionSummary): HTMLTableRowElement => {
    const tr = rows.get(e.id) ?? h('tr', {});
    tr.dataset.id = e.id;
    tr.dataset.phase = e.phase;
    // One child per cell: on narrow screens each cell is a label/value grid.
    const cell = (i: number, ...content: (Node | string)[]) =>
      h('td', { 'data-label': COLUMNS[i] }, h('span', {}, ...content));
    const pr = e.git.pullRequest ? `#${e.git.pullRequest}` : '';
    const commit = e.git.commit ? e.git.commit.slice(0, 8) : '';
    fill(
      tr,
      cell(
        0,
        h('a', { href: `/executions/${encodeURIComponent(e.id)}` }, e.id),
        e.model ? h('span', { class: 'muted small' }, ` ${e.model}`) : '',
      ),
      cell(
        1,
        badge(e.phase),
        e.currentState && e.phase !== 'succeeded' ? h('span', { class: 'small' }, ` ${e.currentState}`) : '',
      ),
      cell(2, time(e.startedAt)),
      cell(3, h('span', { 'data-duration': '' }, duration(elapsed(e.startedAt, e.stoppedAt)))),
      cell(4, e.dataset ? `${e.dataset.name} ${e.dataset.sha256.slice(0, 8)}` : '–'),
      cell(5, [commit, pr].filter(Boolean).join(' ') || '–'),
      cell(6, e.trigger ?? '–'),
    );
    rows.set(e.id, tr);
    data.set(e.id, e);
    return tr;
  };

  const sortRows = () => {
    const sorted = [...data.values()].sort((a, b) => (a.startedAt < b.startedAt ? 1 : -1));
    fill(
      tbody,
      sorted.map((e) => rows.get(e.id) as HTMLTableRowElement),
    );
    empty.hidden = sorted.length > 0;
  };

  const form = context.info.canStart ? startForm(context.navigate, context.info) : null;
  const table = h(
    'table',
    { class: 'executions' },
    h('caption', { class: 'visually-hidden' }, 'Executions, newest first'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        COLUMNS.map((c) => h('th', { scope: 'col' }, c)),
      ),
    ),
    tbody,
  );
  main.append(
    h('h1', { tabindex: -1 }, 'Executions'),
    h(
      'p',
      { class: 'muted' },
      context.info.source === 'aws'
        ? 'Executions of the deployed state machine.'
        : `Store ${context.info.store ?? ''}`,
    ),
    form ?? '',
    status,
    h('div', { class: 'table-wrap' }, table),
    empty,
  );

  void get<{ executions: ExecutionSummary[] }>('/api/executions')
    .then(({ executions }) => {
      for (const e of executions) if (!data.has(e.id)) row(e);
      sortRows();
    })
    .catch((error) => status.replaceChildren(problem(error)));

  // Running executions' durations tick without a request.
  const ticker = setInterval(() => {
    for (const [id, e] of data) {
      if (e.stoppedAt) continue;
      const span = rows.get(id)?.querySelector('[data-duration]');
      if (span) span.textContent = duration(elapsed(e.startedAt, null));
    }
  }, 1000);

  return {
    onExecution(e) {
      const known = rows.has(e.id);
      row(e);
      if (!known) sortRows();
    },
    dispose() {
      clearInterval(ticker);
    },
  };
};

/** The value of the dataset choice that asks for the person's own files. */
const OWN_FILES = 'upload:';
const ACCEPT = '.csv,.jsonl,.ndjson,.json-lines';

interface Uploaded {
  readonly dataset: { readonly name: string; readonly sha256: string };
  readonly rows: { readonly train: number; readonly test: number };
  readonly classes: readonly string[];
  readonly warning: string | null;
}

function startForm(navigate: (path: string) => void, info: ConsoleInfo): HTMLElement {
  const datasetId = uid('dataset');
  const modelId = uid('model');
  const trainId = uid('train-file');
  const testId = uid('test-file');
  const nameId = uid('dataset-name');
  const dataset = h(
    'select',
    { id: datasetId, name: 'dataset' },
    info.datasets.map((d) => h('option', { value: d }, d.replace(/^builtin:/, ''))),
    h('option', { value: OWN_FILES }, 'your own files…'),
  );
  const trainFile = h('input', { id: trainId, name: 'train', type: 'file', accept: ACCEPT });
  const testFile = h('input', { id: testId, name: 'test', type: 'file', accept: ACCEPT });
  const datasetName = h('input', {
    id: nameId,
    name: 'dataset-name',
    type: 'text',
    placeholder: 'the train file’s name',
    autocomplete: 'off',
    maxlength: 100,
  });
  const files = h(
    'fieldset',
    { class: 'fields upload', hidden: true },
    h('legend', {}, 'Your data: CSV with a header text,label, or JSON Lines {"text","label"}'),
    h('div', { class: 'field' }, h('label', { for: trainId }, 'Train file'), trainFile),
    h(
      'div',
      { class: 'field' },
      h('label', { for: testId }, 'Test file (optional: else 20% of each class)'),
      testFile,
    ),
    h('div', { class: 'field' }, h('label', { for: nameId }, 'Dataset name (optional)'), datasetName),
  );
  dataset.addEventListener('change', () => {
    files.hidden = dataset.value !== OWN_FILES;
  });
  const model = h('input', {
    id: modelId,
    name: 'model',
    type: 'text',
    pattern: MODEL_NAME_PATTERN,
    placeholder: 'same as the dataset',
    autocomplete: 'off',
  });
  const button = h('button', { type: 'submit', class: 'primary' }, 'Start run');
  const status = h('div', { role: 'status', class: 'status-line' });

  /** Sends the chosen files to be checked and stored; the stored dataset, or an error shown by the caller. */
  const upload = async (): Promise<Uploaded> => {
    const train = trainFile.files?.[0];
    const test = testFile.files?.[0];
    if (!train) throw new Error('Choose a train file (CSV or JSON Lines), or pick a built-in dataset.');
    const size = train.size + (test?.size ?? 0);
    if (size > info.maxUploadBytes) {
      throw new Error(
        `The files are ${mb(size)}; the console takes up to ${mb(info.maxUploadBytes)}. Store larger data with \`slipway run --data <file>\`.`,
      );
    }
    status.textContent = `Checking and storing ${train.name}${test ? ` and ${test.name}` : ''}…`;
    return post<Uploaded>('/api/datasets', {
      ...(datasetName.value.trim() ? { name: datasetName.value.trim() } : {}),
      train: { name: train.name, content: await base64(train) },
      ...(test ? { test: { name: test.name, content: await base64(test) } } : {}),
    });
  };

  return h(
    'form',
    {
      class: 'panel start',
      'aria-label': 'Start a run',
      onsubmit: async (event: Event) => {
        event.preventDefault();
        button.disabled = true;
        status.textContent = 'Starting…';
        try {
          let chosen: string | Uploaded['dataset'] = dataset.value;
          if (dataset.value === OWN_FILES) {
            const stored = await upload();
            chosen = stored.dataset;
            fill(
              status,
              h(
                'p',
                { 'data-stored': `${stored.dataset.name}@${stored.dataset.sha256}` },
                `Stored ${stored.dataset.name} ${stored.dataset.sha256.slice(0, 12)}: ${stored.rows.train} train / ${stored.rows.test} test rows, ${stored.classes.length} classes. Starting…`,
              ),
              stored.warning ? h('p', { class: 'warning' }, stored.warning) : null,
            );
          }
          const { id } = await post<{ id: string }>('/api/executions', {
            dataset: chosen,
            ...(model.value.trim() ? { model: model.value.trim() } : {}),
          });
          navigate(`/executions/${encodeURIComponent(id)}`);
        } catch (error) {
          status.replaceChildren(problem(error));
          button.disabled = false;
        }
      },
    },
    h('h2', {}, 'Start a run'),
    h(
      'div',
      { class: 'fields' },
      h('div', { class: 'field' }, h('label', { for: datasetId }, 'Dataset'), dataset),
      h('div', { class: 'field' }, h('label', { for: modelId }, 'Model name (optional)'), model),
      button,
    ),
    files,
    status,
  );
}

/** A file's bytes as base64 (the API is JSON; the server checks the bytes as the CLI checks a file). */
async function base64(file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

import './styles.css';
import type { ConsoleEvent, ConsoleInfo } from '../src/api-types.js';
import { get } from './api.js';
import { h } from './dom.js';
import type { Context, Page, PageFactory } from './page.js';
import { executionPage } from './pages/execution.js';
import { executionsPage } from './pages/executions.js';
import { modelPage, modelsPage } from './pages/models.js';
import { reportPage } from './pages/report.js';

const routes: [RegExp, PageFactory, string][] = [
  [/^\/$/, executionsPage, 'executions'],
  [/^\/executions\/([^/]+)$/, executionPage, 'executions'],
  [/^\/executions\/([^/]+)\/report$/, reportPage, 'executions'],
  [/^\/models$/, modelsPage, 'models'],
  [/^\/models\/([^/]+)$/, modelPage, 'models'],
];

let current: Page | undefined;
let info: ConsoleInfo | undefined;

function render(focus: boolean): void {
  const main = document.getElementById('main') as HTMLElement;
  current?.dispose?.();
  current = undefined;
  const path = location.pathname;
  const match = routes.find(([pattern]) => pattern.test(path));
  for (const link of document.querySelectorAll<HTMLAnchorElement>('[data-nav]')) {
    if (match && link.dataset.nav === match[2]) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  if (!match || !info) {
    main.replaceChildren(
      h('h1', { tabindex: -1 }, 'Not found'),
      h('p', {}, h('a', { href: '/' }, 'Executions')),
    );
    return;
  }
  const params = (match[0].exec(path) ?? []).slice(1).map((p) => decodeURIComponent(p));
  main.replaceChildren();
  current = match[1](main, params, context);
  if (focus) main.querySelector<HTMLElement>('h1')?.focus();
}

const context: Context = {
  get info(): ConsoleInfo {
    return info as ConsoleInfo;
  },
  navigate(path: string): void {
    history.pushState(null, '', path);
    render(true);
  },
};

// Same-origin links navigate in the page; modified clicks open tabs as usual.
document.addEventListener('click', (event) => {
  const link = (event.target as Element | null)?.closest?.('a');
  if (!link || event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey || link.target) return;
  const url = new URL(link.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith('/api/')) return;
  event.preventDefault();
  if (url.pathname !== location.pathname) context.navigate(url.pathname);
});
window.addEventListener('popstate', () => render(true));

/** One live stream for the whole app; the page on screen gets what concerns it. */
function connect(): void {
  const live = document.getElementById('live') as HTMLElement;
  const stream = new EventSource('/api/events');
  stream.addEventListener('open', () => {
    live.textContent = 'live';
    live.dataset.state = 'live';
  });
  stream.addEventListener('error', () => {
    live.textContent = 'reconnecting…';
    live.dataset.state = 'down';
  });
  stream.addEventListener('execution', (message) => {
    const event = JSON.parse((message as MessageEvent<string>).data) as ConsoleEvent;
    if (event.type === 'execution') current?.onExecution?.(event.execution);
  });
  stream.addEventListener('models', () => current?.onModels?.());
}

async function boot(): Promise<void> {
  info = await get<ConsoleInfo>('/api/info');
  render(false);
  connect();
}

void boot();

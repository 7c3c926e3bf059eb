import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { ConsoleStartError } from './errors.js';

/** A file the console serves, with its gzip form. */
interface Asset {
  readonly path: string;
  readonly contentType: string;
  readonly body: Buffer;
  readonly gzip: Buffer;
}

/** The browser bundle: a hashed script and stylesheet, served from memory. */
export interface Bundle {
  readonly script: Asset;
  readonly style: Asset;
}

/** The front end's entry point (TypeScript; the same path from src/ and from dist/). */
const WEB_ENTRY = fileURLToPath(new URL('../web/main.ts', import.meta.url));

let cached: Promise<Bundle> | undefined;

/**
 * Bundles and minifies the front end with esbuild, in memory, once per process. Built at start rather
 * than shipped prebuilt so the page always matches the sources, with no build step to forget.
 */
export function loadBundle(): Promise<Bundle> {
  cached ??= build().catch((error) => {
    cached = undefined;
    throw error;
  });
  return cached;
}

async function build(): Promise<Bundle> {
  const esbuild = await import('esbuild');
  let result: Awaited<ReturnType<typeof esbuild.build>>;
  try {
    result = await esbuild.build({
      entryPoints: [WEB_ENTRY],
      bundle: true,
      minify: true,
      format: 'esm',
      target: ['es2022'],
      write: false,
      outdir: 'out',
      logLevel: 'silent',
      legalComments: 'none',
    });
  } catch (cause) {
    throw new ConsoleStartError(
      `the console's front end (${WEB_ENTRY}) does not build: ${(cause as Error).message}; run \`npm run build\` to see the type errors`,
      { cause },
    );
  }
  const find = (ext: string) => (result.outputFiles ?? []).find((f) => f.path.endsWith(ext));
  const js = find('.js');
  const css = find('.css');
  if (!js || !css)
    throw new ConsoleStartError(`esbuild produced no ${js ? 'stylesheet' : 'script'} for ${WEB_ENTRY}`);
  return {
    script: asset('app', 'js', 'text/javascript; charset=utf-8', Buffer.from(js.contents)),
    style: asset('app', 'css', 'text/css; charset=utf-8', Buffer.from(css.contents)),
  };
}

function asset(name: string, ext: string, contentType: string, body: Buffer): Asset {
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  return { path: `/assets/${name}-${hash}.${ext}`, contentType, body, gzip: gzipSync(body, { level: 9 }) };
}

const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/** The one HTML page; every route renders into its <main>. The token is the page's, for state changes. */
export function renderPage(bundle: Bundle, token: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="slipway-token" content="${escapeAttr(token)}">
<title>slipway console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${bundle.style.path}">
<script type="module" src="${bundle.script.path}"></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<a class="brand" href="/">slipway</a>
<nav aria-label="Main"><a href="/" data-nav="executions">Executions</a><a href="/models" data-nav="models">Models</a></nav>
<span class="live" id="live" role="status" aria-live="polite">connecting…</span>
</header>
<main id="main" tabindex="-1"><p class="muted">Loading…</p></main>
</body>
</html>
`;
}

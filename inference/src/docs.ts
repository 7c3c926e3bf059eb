import { curlCommand } from './openapi.js';

type Json = Record<string, unknown>;

/** The `/docs` page and its two assets, rendered once from the OpenAPI document. */
export interface DocsPage {
  readonly html: string;
  readonly css: string;
  readonly js: string;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/**
 * Renders the OpenAPI document as a static, readable page. Everything is generated here and served
 * by the service itself (relative links, so it also works behind an API Gateway stage prefix).
 */
export function renderDocs(openApi: Json): DocsPage {
  const info = asObject(openApi.info);
  const paths = asObject(openApi.paths);
  const schemas = asObject(asObject(openApi.components).schemas);
  const title = String(info.title ?? 'API');

  const operations: string[] = [];
  const toc: string[] = [];
  for (const [path, item] of Object.entries(paths)) {
    for (const method of METHODS) {
      const op = asObject(asObject(item)[method]);
      if (Object.keys(op).length === 0) continue;
      const id = String(op.operationId ?? `${method}${path}`);
      toc.push(
        `<li><a href="#op-${esc(id)}"><span class="m m-${method}">${method.toUpperCase()}</span> ${esc(path)}</a></li>`,
      );
      operations.push(renderOperation(id, method, path, op, schemas));
    }
  }
  const schemaSections = Object.entries(schemas).map(
    ([name, schema]) =>
      `<section class="schema" id="schema-${esc(name)}"><h3>${esc(name)}</h3>${renderSchema(asObject(schema))}</section>`,
  );

  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="docs/assets/docs.css">
<script src="docs/assets/docs.js" defer></script>
</head>
<body>
<header>
<h1>${esc(title)} <small>API ${esc(String(info.version ?? ''))} · OpenAPI ${esc(String(openApi.openapi ?? ''))}</small></h1>
<p class="summary">${inline(String(info.summary ?? ''))}</p>
<p>${inline(String(info.description ?? ''))}</p>
<p>Machine-readable: <a href="openapi.json">openapi.json</a></p>
</header>
<nav><h2>Routes</h2><ul>${toc.join('')}</ul></nav>
<main>
<section id="try">
<h2>Try it</h2>
<form id="try-form">
<label for="try-text">Text (one per line for a batch)</label>
<textarea id="try-text" rows="3">${esc(tryText(schemas))}</textarea>
<button type="submit">POST /predict</button>
</form>
<pre id="try-out" aria-live="polite"></pre>
</section>
<h2>Operations</h2>
${operations.join('\n')}
<h2>Schemas</h2>
${schemaSections.join('\n')}
</main>
</body>
</html>
`;
  return { html, css: CSS, js: JS };
}

function renderOperation(id: string, method: string, path: string, op: Json, schemas: Json): string {
  const body = asObject(asObject(asObject(op.requestBody).content)['application/json']);
  const bodySchema = asObject(body.schema);
  let request = '';
  if (Object.keys(bodySchema).length > 0) {
    const example = firstExample(bodySchema, schemas);
    const curl =
      example === undefined
        ? ''
        : `<pre class="curl">${esc(curlCommand(`http://127.0.0.1:8080${path}`, example))}</pre>`;
    request = `<h4>Request body</h4>${renderSchema(bodySchema)}${curl}`;
  }
  const rows = Object.entries(asObject(op.responses)).map(([code, response]) => {
    const r = asObject(response);
    const content = asObject(r.content);
    const types = Object.entries(content).map(([type, media]) => {
      const schema = asObject(asObject(media).schema);
      return `${esc(type)}${schema.$ref ? ` ${refLink(String(schema.$ref))}` : ''}`;
    });
    return `<tr><td class="code c${esc(code[0] ?? '')}">${esc(code)}</td><td>${inline(String(r.description ?? ''))}</td><td>${types.join('<br>')}</td></tr>`;
  });
  return `<section class="op" id="op-${esc(id)}">
<h3><span class="m m-${method}">${method.toUpperCase()}</span> <code>${esc(path)}</code> — ${esc(String(op.summary ?? ''))}</h3>
${op.description ? `<p>${inline(String(op.description))}</p>` : ''}
${request}
<h4>Responses</h4>
<table><thead><tr><th>Status</th><th>Meaning</th><th>Body</th></tr></thead><tbody>${rows.join('')}</tbody></table>
</section>`;
}

function renderSchema(schema: Json): string {
  if (typeof schema.$ref === 'string') return `<p>${refLink(schema.$ref)}</p>`;
  const alternatives = Array.isArray(schema.anyOf)
    ? schema.anyOf
    : Array.isArray(schema.oneOf)
      ? schema.oneOf
      : null;
  const head = `${schema.description ? `<p>${inline(String(schema.description))}</p>` : ''}${
    Array.isArray(schema.examples) && schema.examples.length > 0
      ? `<p>Example: <code>${esc(JSON.stringify(schema.examples[0]))}</code></p>`
      : ''
  }`;
  if (alternatives && !isNullable(schema)) {
    return `${head}<p>One of:</p><ol class="alt">${alternatives
      .map((alt) => {
        const a = asObject(alt);
        return `<li>${a.title ? `<strong>${esc(String(a.title))}</strong>` : ''}${renderSchema(a)}</li>`;
      })
      .join('')}</ol>`;
  }
  if (schema.type === 'object' && schema.properties) return `${head}${fieldTable(schema)}`;
  return `${head}<p><code>${esc(typeOf(schema))}</code>${constraints(schema)}</p>`;
}

function fieldTable(schema: Json): string {
  const required = new Set(Array.isArray(schema.required) ? schema.required.map(String) : []);
  const rows = Object.entries(asObject(schema.properties)).map(([name, value]) => {
    const field = asObject(value);
    const nested = field.type === 'object' && field.properties ? fieldTable(field) : '';
    return `<tr><td><code>${esc(name)}</code>${required.has(name) ? '' : ' <em>optional</em>'}</td><td><code>${esc(typeOf(field))}</code>${constraints(field)}</td><td>${inline(String(field.description ?? ''))}${nested}</td></tr>`;
  });
  const extra =
    schema.additionalProperties === false
      ? '<p class="note">No other fields are accepted.</p>'
      : schema.additionalProperties === undefined || schema.additionalProperties === true
        ? '<p class="note">Other fields are allowed.</p>'
        : '';
  return `<table><thead><tr><th>Field</th><th>Type</th><th>Description</th></tr></thead><tbody>${rows.join('')}</tbody></table>${extra}`;
}

function typeOf(schema: Json): string {
  if (typeof schema.$ref === 'string') return schema.$ref.split('/').pop() ?? 'object';
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  const alternatives = Array.isArray(schema.anyOf)
    ? schema.anyOf
    : Array.isArray(schema.oneOf)
      ? schema.oneOf
      : null;
  if (alternatives) return alternatives.map((a) => typeOf(asObject(a))).join(' | ');
  if (schema.type === 'array') return `${typeOf(asObject(schema.items))}[]`;
  if (schema.type === 'object' && typeof schema.additionalProperties === 'object' && !schema.properties) {
    return `{ [key: string]: ${typeOf(asObject(schema.additionalProperties))} }`;
  }
  if (Array.isArray(schema.type)) return schema.type.join(' | ');
  return typeof schema.type === 'string' ? schema.type : 'any';
}

function constraints(schema: Json): string {
  const parts: string[] = [];
  if (typeof schema.maxLength === 'number') parts.push(`at most ${schema.maxLength} characters`);
  if (typeof schema.maxItems === 'number') parts.push(`at most ${schema.maxItems} items`);
  if (typeof schema.minimum === 'number') parts.push(`≥ ${schema.minimum}`);
  if (typeof schema.maximum === 'number') parts.push(`≤ ${schema.maximum}`);
  const items = asObject(schema.items);
  if (typeof items.maxLength === 'number') parts.push(`each at most ${items.maxLength} characters`);
  return parts.length === 0 ? '' : ` <span class="limits">(${esc(parts.join(', '))})</span>`;
}

function isNullable(schema: Json): boolean {
  const alternatives = (schema.anyOf ?? schema.oneOf) as unknown[];
  return alternatives.length === 2 && alternatives.some((a) => asObject(a).type === 'null');
}

function firstExample(schema: Json, schemas: Json): unknown {
  const resolved =
    typeof schema.$ref === 'string' ? asObject(schemas[schema.$ref.split('/').pop() ?? '']) : schema;
  if (Array.isArray(resolved.examples) && resolved.examples.length > 0) return resolved.examples[0];
  const alternatives = Array.isArray(resolved.anyOf) ? resolved.anyOf : [];
  for (const alt of alternatives) {
    const example = firstExample(asObject(alt), schemas);
    if (example !== undefined) return example;
  }
  return undefined;
}

/** The "Try it" box's text: the first example of a single-text request (the model's own, when served). */
function tryText(schemas: Json): string {
  const example = asObject(firstExample({ $ref: '#/components/schemas/PredictRequest' }, schemas));
  return typeof example.text === 'string' ? example.text : '';
}

function refLink(ref: string): string {
  const name = ref.split('/').pop() ?? ref;
  return `<a href="#schema-${esc(name)}">${esc(name)}</a>`;
}

function asObject(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

/** Escapes text for HTML, then turns `backticks` into <code>. */
function inline(text: string): string {
  return esc(text).replace(/`([^`]+)`/g, '<code>$1</code>');
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const CSS = `:root{color-scheme:light dark;--fg:#1d2330;--muted:#5b6577;--bg:#fff;--card:#f6f8fb;--line:#dde3ec;--accent:#2157d3}
@media (prefers-color-scheme:dark){:root{--fg:#e6e9ef;--muted:#a3acbd;--bg:#12151b;--card:#1b2029;--line:#2c3440;--accent:#7aa2ff}}
*{box-sizing:border-box}body{margin:0;font:16px/1.55 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg);display:grid;grid-template-columns:16rem 1fr;grid-template-areas:"head head" "nav main"}
header{grid-area:head;padding:1.5rem 2rem;border-bottom:1px solid var(--line)}header h1{margin:0 0 .5rem}header small{font-size:.9rem;color:var(--muted);font-weight:400}
nav{grid-area:nav;padding:1rem 1.5rem;border-right:1px solid var(--line)}nav ul{list-style:none;padding:0;margin:0}nav li{margin:.35rem 0}nav a{text-decoration:none;color:var(--fg)}
main{grid-area:main;padding:1rem 2rem 4rem;max-width:72rem}a{color:var(--accent)}
.op,.schema,#try{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:1rem 1.25rem;margin:1rem 0}
.m{display:inline-block;min-width:3.6rem;text-align:center;font:600 .75rem/1.6 ui-monospace,monospace;border-radius:4px;color:#fff;padding:0 .3rem}.m-get{background:#1f8a4c}.m-post{background:#2157d3}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{text-align:left;vertical-align:top;border-bottom:1px solid var(--line);padding:.4rem .5rem}th{color:var(--muted);font-weight:600}
td table{margin:.5rem 0 0}code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9em}pre{background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:.75rem;overflow:auto;white-space:pre-wrap;word-break:break-all}
.code{font-weight:700}.c2{color:#1f8a4c}.c4{color:#b25d00}.c5{color:#c0262d}.limits,.note,em{color:var(--muted);font-size:.9em}
#try-out:empty{display:none}
textarea{width:100%;font:inherit;padding:.5rem;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg)}label{display:block;margin-bottom:.35rem}
button{margin-top:.5rem;font:inherit;padding:.4rem 1rem;border-radius:6px;border:1px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer}
@media (max-width:800px){body{grid-template-columns:1fr;grid-template-areas:"head" "nav" "main"}nav{border-right:0}}
`;

const JS = `'use strict';
document.addEventListener('DOMContentLoaded', () => {
  // The examples name the default local address; show the one this page was served from.
  const base = new URL('.', location.href).href.replace(/\\/$/, '');
  for (const pre of document.querySelectorAll('pre.curl')) {
    pre.textContent = pre.textContent.replace('http://127.0.0.1:8080', base);
  }
  const form = document.getElementById('try-form');
  const text = document.getElementById('try-text');
  const out = document.getElementById('try-out');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const lines = text.value.split('\\n').filter((line) => line.length > 0);
    const body = lines.length === 1 ? { text: lines[0] } : { texts: lines };
    out.textContent = '…';
    try {
      const response = await fetch('predict', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      out.textContent = response.status + ' ' + JSON.stringify(await response.json(), null, 2);
    } catch (error) {
      out.textContent = String(error);
    }
  });
});
`;

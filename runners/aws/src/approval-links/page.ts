const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

/** A complete small page; `title` is text, `html` is already escaped markup. */
export function page(title: string, html: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${escapeHtml(title)} - slipway</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 36rem; margin: 2rem auto; padding: 0 1rem; color: #1b1f24; }
h1 { font-size: 1.4rem; }
table { border-collapse: collapse; margin: 1rem 0; }
td, th { padding: .3rem .8rem; border-bottom: 1px solid #d0d7de; text-align: left; }
label { display: block; margin: .8rem 0; }
input, textarea { display: block; width: 100%; box-sizing: border-box; padding: .4rem; font: inherit; }
textarea { min-height: 4rem; }
button { padding: .6rem 1.2rem; font: inherit; border: 0; border-radius: 6px; color: #fff; cursor: pointer; }
.approve { background: #1a7f37; }
.reject { background: #cf222e; }
code { overflow-wrap: anywhere; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
${html}
</body>
</html>
`;
}

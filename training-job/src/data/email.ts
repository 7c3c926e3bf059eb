import { decodeCharset } from './charset.js';
import { htmlToText } from './html.js';

/** A message or MIME part as a binary string (one char per byte): headers by lowercased name, raw body. */
interface Entity {
  readonly headers: ReadonlyMap<string, string>;
  readonly body: string;
}

interface Texts {
  readonly plain: string[];
  readonly html: string[];
}

const MAX_DEPTH = 20;
const META_CHARSET = /<meta[^>]*charset\s*=\s*["']?([A-Za-z0-9_.:-]+)/i;

/**
 * Text of a raw RFC 5322 email for classification: the decoded Subject, a blank line, then the body.
 * Multipart messages give their text/plain parts (else their text/html parts, tags stripped);
 * quoted-printable and base64 are decoded, then the declared charset. Never throws: whatever cannot
 * be parsed degrades to the raw body.
 */
export function emailToText(raw: Uint8Array): string {
  // Line ends are normalised once so the parser only ever deals with "\n".
  const bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1');
  const binary = bytes.includes('\r') ? bytes.replace(/\r\n?/g, '\n') : bytes;
  let subject = '';
  let body = '';
  let entity: Entity | undefined;
  let parsed = false;
  try {
    entity = parseEntity(binary);
    // Raw 8-bit subjects are usually in the charset the message declares for its text.
    const declared = contentType(entity).params.get('charset');
    subject = decodeHeader(entity.headers.get('subject') ?? '', declared)
      .replace(/\s+/g, ' ')
      .trim();
    const texts: Texts = { plain: [], html: [] };
    collect(entity, 0, undefined, texts);
    body = (texts.plain.length > 0 ? texts.plain : texts.html.map(htmlToText)).join('\n\n').trim();
    parsed = true;
  } catch {
    // Degrade below: a broken message still has bytes worth classifying.
  }
  // A message whose only text is its subject (an image-only mail) keeps just the subject.
  if (!parsed || (body === '' && subject === '')) {
    body = decodeCharset(entity?.body ?? binary, undefined).trim() || decodeCharset(binary, undefined).trim();
  }
  return subject === '' ? body : body === '' ? subject : `${subject}\n\n${body}`;
}

/** Splits headers from body (at the first empty line) and unfolds the few headers the parser reads. */
function parseEntity(s: string): Entity {
  let head: string;
  let body: string;
  if (s.startsWith('\n')) {
    head = '';
    body = s.slice(1);
  } else if (!/^(?:[!-9;-~]+[ \t]*:|From )/.test(s)) {
    // No header block at all (a sloppy MIME part): all of it is body, not a paragraph to drop.
    head = '';
    body = s;
  } else {
    const separator = s.indexOf('\n\n');
    head = separator === -1 ? s : s.slice(0, separator);
    body = separator === -1 ? '' : s.slice(separator + 2);
  }
  const headers = new Map<string, string>();
  let name: string | undefined;
  let value = '';
  const flush = () => {
    if (name !== undefined && !headers.has(name)) headers.set(name, value.trim());
    name = undefined;
  };
  for (const line of head.split('\n')) {
    const first = line.charCodeAt(0);
    if (first === 32 || first === 9) {
      // Unfolding (RFC 5322 2.2.3): a line starting with white space continues the previous field.
      if (name !== undefined) value += line;
      continue;
    }
    flush();
    // Only Subject and Content-* matter here; skipping the rest (Received: ...) early saves time.
    if (first !== 83 && first !== 115 && first !== 67 && first !== 99) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? '' : line.slice(0, colon).trimEnd().toLowerCase();
    if (field === 'subject' || field.startsWith('content-')) {
      name = field;
      value = line.slice(colon + 1);
    }
  }
  flush();
  return { headers, body };
}

function contentType(entity: Entity): { type: string; params: Map<string, string> } {
  const value = entity.headers.get('content-type') ?? '';
  const params = new Map<string, string>();
  for (const m of value.matchAll(/;\s*([^\s=;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))/g)) {
    const key = (m[1] ?? '').toLowerCase();
    if (!params.has(key)) params.set(key, m[2]?.replace(/\\(.)/g, '$1') ?? m[3] ?? '');
  }
  return { type: (value.split(';')[0] ?? '').trim().toLowerCase(), params };
}

/**
 * Gathers the text parts of an entity. `inherited` is the nearest enclosing charset: parts that name
 * none (common in spam sent from GB2312 or Big5 mailers) are tried in it after UTF-8.
 */
function collect(entity: Entity, depth: number, inherited: string | undefined, out: Texts): void {
  if (depth > MAX_DEPTH) return;
  const { type, params } = contentType(entity);
  const charset = params.get('charset');
  const text = () => {
    const bytes = decodeTransfer(entity);
    // An HTML part that names no charset often declares it in a <meta> tag instead.
    const meta = charset === undefined && type === 'text/html' ? META_CHARSET.exec(bytes)?.[1] : undefined;
    return toLf(decodeCharset(bytes, charset ?? meta, inherited));
  };
  if (type.startsWith('multipart/')) {
    const parts = splitMultipart(entity.body, params.get('boundary'));
    if (parts === undefined) {
      out.plain.push(text());
      return;
    }
    if (type === 'multipart/alternative') {
      // Alternatives say the same thing twice: keep the best one, not both.
      const options = parts.map((part) => {
        const texts: Texts = { plain: [], html: [] };
        collect(parseEntity(part), depth + 1, charset ?? inherited, texts);
        return texts;
      });
      const plain = options.find((t) => t.plain.length > 0);
      const html = options.find((t) => t.html.length > 0);
      if (plain !== undefined) out.plain.push(...plain.plain);
      else if (html !== undefined) out.html.push(...html.html);
      return;
    }
    for (const part of parts) collect(parseEntity(part), depth + 1, charset ?? inherited, out);
    return;
  }
  if (type === 'message/rfc822') {
    collect(parseEntity(toLf(decodeTransfer(entity))), depth + 1, inherited, out);
    return;
  }
  if (/^\s*attachment/i.test(entity.headers.get('content-disposition') ?? '')) return;
  if (type === 'text/html') out.html.push(text());
  else if (type === '' || type === 'text/plain' || type === 'text') out.plain.push(text());
}

/** Decoded parts (base64 of a Windows mailer) may carry CRLF again; the text uses "\n" throughout. */
function toLf(s: string): string {
  return s.includes('\r') ? s.replace(/\r\n?/g, '\n') : s;
}

/** Parts between `--boundary` lines, up to `--boundary--`; undefined when no boundary line is found. */
function splitMultipart(body: string, boundary: string | undefined): string[] | undefined {
  if (boundary === undefined || boundary === '') return undefined;
  const delimiter = `--${boundary}`;
  const parts: string[] = [];
  let partStart = -1;
  // Scan for delimiter lines with indexOf: splitting into lines would copy every attachment line.
  for (let at = body.startsWith(delimiter) ? 0 : body.indexOf(`\n${delimiter}`); at !== -1; ) {
    const lineStart = body[at] === '\n' ? at + 1 : at;
    let lineEnd = body.indexOf('\n', lineStart);
    if (lineEnd === -1) lineEnd = body.length;
    const rest = body.slice(lineStart + delimiter.length, lineEnd);
    const closing = rest.startsWith('--');
    if (closing || rest.trim() === '') {
      if (partStart !== -1) parts.push(body.slice(partStart, Math.max(partStart, lineStart - 1)));
      if (closing) return parts;
      partStart = lineEnd + 1;
    }
    at = body.indexOf(`\n${delimiter}`, lineEnd);
  }
  if (partStart === -1) return undefined;
  parts.push(body.slice(Math.min(partStart, body.length)));
  return parts;
}

function decodeTransfer(entity: Entity): string {
  const encoding = (entity.headers.get('content-transfer-encoding') ?? '').trim().toLowerCase();
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(entity.body);
  if (encoding === 'base64') {
    return Buffer.from(entity.body.replace(/[^A-Za-z0-9+/]/g, ''), 'base64').toString('latin1');
  }
  return entity.body;
}

/**
 * Quoted-printable (RFC 2045 6.7) on a binary string: `=XX` bytes and `=` soft line breaks; a `=`
 * that starts neither is kept. A byte loop: this runs over every QP body of the corpus.
 */
function decodeQuotedPrintable(s: string): string {
  if (!s.includes('=')) return s;
  const out = Buffer.allocUnsafe(s.length);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 61 /* = */) {
      const hi = hexValue(s.charCodeAt(i + 1));
      const lo = hexValue(s.charCodeAt(i + 2));
      if (hi >= 0 && lo >= 0) {
        out[n++] = hi * 16 + lo;
        i += 2;
        continue;
      }
      let k = i + 1;
      while (s.charCodeAt(k) === 32 || s.charCodeAt(k) === 9) k++;
      if (s.charCodeAt(k) === 10 || k === s.length) {
        i = k;
        continue;
      }
    }
    out[n++] = c & 0xff;
  }
  return out.toString('latin1', 0, n);
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/**
 * RFC 2047 encoded-words (`=?charset?B|Q?...?=`) in a header. Raw 8-bit text around them is read as
 * UTF-8, else in `fallback` (the message's declared charset), else windows-1252.
 */
function decodeHeader(value: string, fallback?: string): string {
  let out = '';
  let last = 0;
  let pending: { charset: string; bytes: string } | undefined;
  const flush = () => {
    if (pending !== undefined) out += decodeCharset(pending.bytes, pending.charset);
    pending = undefined;
  };
  for (const m of value.matchAll(/=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=/g)) {
    const between = value.slice(last, m.index);
    last = m.index + m[0].length;
    const charset = (m[1] ?? '').split('*')[0] ?? '';
    const text = m[3] ?? '';
    const bytes =
      m[2]?.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('latin1')
        : decodeQuotedPrintable(text.replace(/_/g, ' '));
    // White space between adjacent encoded-words is not part of the text (RFC 2047 6.2); joining
    // their bytes first keeps a multi-byte character split across two words intact.
    if (pending !== undefined && /^[ \t\r\n]*$/.test(between)) {
      if (pending.charset.toLowerCase() === charset.toLowerCase()) {
        pending.bytes += bytes;
        continue;
      }
      flush();
    } else {
      flush();
      out += decodeCharset(between, undefined, fallback);
    }
    pending = { charset, bytes };
  }
  flush();
  return out + decodeCharset(value.slice(last), undefined, fallback);
}

import { TextDecoder } from 'node:util';

// WHATWG index-windows-1252 for bytes 0x80..0x9F (the rest equals ISO-8859-1).
const C1 =
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
  '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

/**
 * windows-1252 (what WHATWG calls "latin1"). Done here, not with TextDecoder: Node 20.18.3+ and
 * 22.13+ decode it as ISO-8859-1 (nodejs/node#60888) while older ones follow the standard, and the
 * builtin datasets must come out the same on every Node version.
 */
export function decodeWindows1252(bytes: Uint8Array): string {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  return /[\x80-\x9f]/.test(text)
    ? text.replace(/[\x80-\x9f]/g, (c) => C1[c.charCodeAt(0) - 0x80] ?? c)
    : text;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const decoders = new Map<string, TextDecoder | 'utf-8' | 'windows-1252' | undefined>();
// Labels mail uses for "no particular charset"; their 8-bit bytes are tried as UTF-8 first.
const UNSAID = new Set(['', 'default', 'default_charset', 'unknown-8bit', 'x-unknown']);

function decoderFor(label: string) {
  if (!decoders.has(label)) {
    let decoder: TextDecoder | 'utf-8' | 'windows-1252' | undefined;
    try {
      const candidate = new TextDecoder(label);
      // TextDecoder resolves every alias (latin1, iso-8859-1, us-ascii, cp1252...) to its encoding name.
      decoder =
        candidate.encoding === 'utf-8' || candidate.encoding === 'windows-1252'
          ? candidate.encoding
          : candidate;
    } catch {
      decoder = UNSAID.has(label) ? 'utf-8' : undefined;
    }
    decoders.set(label, decoder);
  }
  return decoders.get(label);
}

/**
 * Bytes (as a binary string, one char per byte) to text in the declared charset. UTF-8, US-ASCII and
 * unnamed charsets: UTF-8 when the bytes are valid UTF-8, else windows-1252 (mail often mislabels
 * 8-bit text). Any other charset TextDecoder knows: that one (invalid bytes become U+FFFD). Unknown
 * charsets: windows-1252. `fallback` is tried when the charset is unnamed (e.g. the message's own).
 */
export function decodeCharset(binary: string, charset: string | undefined, fallback?: string): string {
  let label = normaliseLabel(charset);
  // ASCII bytes read the same in every ASCII-compatible charset; only the 7-bit ISO-2022 and UTF-16 are not.
  if (!/[\x80-\xff]/.test(binary) && !label.startsWith('iso-2022') && !label.startsWith('utf-16'))
    return binary;
  const bytes = Buffer.from(binary, 'latin1');
  if (label === '' && fallback !== undefined) label = normaliseLabel(fallback);
  const decoder = decoderFor(label);
  if (decoder === 'utf-8' || (decoder === 'windows-1252' && /ascii/.test(label))) {
    try {
      return strictUtf8.decode(bytes);
    } catch {
      return decodeWindows1252(bytes);
    }
  }
  if (decoder === undefined || decoder === 'windows-1252') return decodeWindows1252(bytes);
  return decoder.decode(bytes);
}

function normaliseLabel(charset: string | undefined): string {
  return (charset ?? '')
    .trim()
    .replace(/^["']|["']$/g, '')
    .toLowerCase();
}

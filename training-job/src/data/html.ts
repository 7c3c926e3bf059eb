import { decodeWindows1252 } from './charset.js';

// HTML 4 names for U+00A0..U+00FF, in code point order.
const LATIN1_NAMES =
  'nbsp iexcl cent pound curren yen brvbar sect uml copy ordf laquo not shy reg macr deg plusmn sup2 sup3 acute micro para middot cedil sup1 ordm raquo frac14 frac12 frac34 iquest Agrave Aacute Acirc Atilde Auml Aring AElig Ccedil Egrave Eacute Ecirc Euml Igrave Iacute Icirc Iuml ETH Ntilde Ograve Oacute Ocirc Otilde Ouml times Oslash Ugrave Uacute Ucirc Uuml Yacute THORN szlig agrave aacute acirc atilde auml aring aelig ccedil egrave eacute ecirc euml igrave iacute icirc iuml eth ntilde ograve oacute ocirc otilde ouml divide oslash ugrave uacute ucirc uuml yacute thorn yuml';

const NAMED: ReadonlyMap<string, string> = new Map([
  ...LATIN1_NAMES.split(' ').map((name, i) => [name, String.fromCharCode(0xa0 + i)] as const),
  ...Object.entries({
    amp: '&',
    lt: '<',
    gt: '>',
    quot: '"',
    apos: "'",
    ndash: '\u2013',
    mdash: '\u2014',
    lsquo: '\u2018',
    rsquo: '\u2019',
    sbquo: '\u201a',
    ldquo: '\u201c',
    rdquo: '\u201d',
    bdquo: '\u201e',
    bull: '\u2022',
    hellip: '\u2026',
    trade: '\u2122',
    euro: '\u20ac',
    dagger: '\u2020',
    permil: '\u2030',
    lsaquo: '\u2039',
    rsaquo: '\u203a',
    OElig: '\u0152',
    oelig: '\u0153',
    Scaron: '\u0160',
    scaron: '\u0161',
    Yuml: '\u0178',
    fnof: '\u0192',
    circ: '\u02c6',
    tilde: '\u02dc',
    ensp: '\u2002',
    emsp: '\u2003',
    thinsp: '\u2009',
    larr: '\u2190',
    rarr: '\u2192',
    hearts: '\u2665',
  }),
]);

/** Decodes HTML character references: the common named ones and all numeric ones. Unknown names stay. */
function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(
    /&(?:#(\d{1,8})|#[xX]([0-9a-fA-F]{1,7})|([A-Za-z][A-Za-z0-9]{1,31}));?/g,
    (all, dec, hex, name) => {
      if (name !== undefined) {
        return NAMED.get(name) ?? NAMED.get(String(name).toLowerCase()) ?? all;
      }
      const code = dec !== undefined ? Number.parseInt(dec, 10) : Number.parseInt(hex, 16);
      // As browsers do: C1 controls are read as windows-1252 (&#146; is a right quote), invalid ones as U+FFFD.
      if (code >= 0x80 && code <= 0x9f) return decodeWindows1252(Uint8Array.of(code));
      if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return '\ufffd';
      return String.fromCodePoint(code);
    },
  );
}

const BLOCK_TAGS = new Set('br p div tr li ul ol h1 h2 h3 h4 h5 h6 table blockquote center hr'.split(' '));

/** Readable text of an HTML document: scripts, styles and comments dropped, block tags as line breaks. */
export function htmlToText(html: string): string {
  let text = html;
  if (text.includes('<!--')) text = text.replace(/<!--[\s\S]*?(?:-->|$)/g, ' ');
  if (/<(?:script|style)/i.test(text)) text = text.replace(/<(script|style)\b[\s\S]*?(?:<\/\1\s*>|$)/gi, ' ');
  // One pass over the tags; `<name@host>` is not a tag (no word boundary after a tag name) and stays.
  text = text.replace(/<\/?([A-Za-z][A-Za-z0-9]*)\b[^>]*>|<![^>]*>/g, (_, name: string | undefined) => {
    const tag = name?.toLowerCase() ?? '';
    return BLOCK_TAGS.has(tag) ? '\n' : tag === 'td' || tag === 'th' ? ' ' : '';
  });
  // Only runs of white space are rewritten: replacing every single space would copy the whole text.
  return decodeEntities(text)
    .replace(/[ \t\f\v\r\u00a0]{2,}|[\t\f\v\r\u00a0]/g, ' ')
    .replace(/ \n ?|\n /g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

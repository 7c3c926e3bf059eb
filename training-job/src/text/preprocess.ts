import { ORT_UNICODE } from './unicode-compat.generated.js';
import { baseLowerCodePoint, type Ranges } from './unicode-compat.js';

/**
 * The pure TypeScript reference of the ONNX graph's preprocessing. Every function here mirrors one
 * ONNX node exactly, so the reference and onnxruntime agree on every input (the parity test holds them).
 */

/** How text becomes tokens: word tokens, or single characters for languages written without spaces. */
export type Analyzer = 'word' | 'char';

/**
 * The Tokenizer's regular expressions (RE2 syntax in ONNX, the same meaning in a JS `u` regex).
 * `\p{M}` keeps combining marks inside words (Hindi, decomposed accents); RE2's `\w` is ASCII-only.
 */
export const TOKEN_PATTERN: Record<Analyzer, string> = {
  word: '[\\p{L}\\p{M}\\p{N}]+',
  char: '[\\p{L}\\p{M}\\p{N}]',
};

const hex = (cp: number) => `\\u{${cp.toString(16)}}`;
const charSet = (ranges: Ranges) =>
  ranges.map(([a, b]) => (a === b ? hex(a) : `${hex(a)}-${hex(b)}`)).join('');
const never = /(?!)/u;

/**
 * The same classes as TOKEN_PATTERN, narrowed to the Unicode tables of the runtime (RE2 in onnxruntime
 * knows fewer code points than a newer Node): see unicode-compat.ts. Only texts holding one of the
 * differing code points need the narrowed expression; the rest take V8's faster plain one.
 */
function runtimeClass(): string {
  let cls = `[\\p{L}\\p{M}\\p{N}${charSet(ORT_UNICODE.extraToken)}]`;
  if (ORT_UNICODE.notToken.length > 0) cls = `[${cls}--[${charSet(ORT_UNICODE.notToken)}]]`;
  return cls;
}

const tokenDiffers = [...ORT_UNICODE.notToken, ...ORT_UNICODE.extraToken];
const needsRuntimeClass = tokenDiffers.length > 0 ? new RegExp(`[${charSet(tokenDiffers)}]`, 'u') : never;
const runtimeTokenRegex: Record<Analyzer, RegExp> = {
  word: new RegExp(`${runtimeClass()}+`, 'gv'),
  char: new RegExp(runtimeClass(), 'gv'),
};
const plainTokenRegex: Record<Analyzer, RegExp> = {
  word: new RegExp(TOKEN_PATTERN.word, 'gu'),
  char: new RegExp(TOKEN_PATTERN.char, 'gu'),
};

const lowerExceptions = new Map(ORT_UNICODE.lowerMap);
/** Code points whose whole-string toLowerCase() is not towlower: İ, Σ (context) and the runtime's exceptions. */
const needsPerCodePoint = new RegExp(
  `[\\u{130}\\u{3a3}${ORT_UNICODE.lowerMap.map(([cp]) => hex(cp)).join('')}]`,
  'u',
);

/** Separator of tokens inside an n-gram key; no token can contain it (tokens are letters, marks, digits). */
export const NGRAM_JOINER = ' ';

const lowerCache = new Map<number, string>();

/**
 * Lowercases code point by code point, like glibc's towlower in the C.UTF-8 locale that the graph's
 * StringNormalizer uses. JS `toLowerCase()` differs in two ways: it applies context (final sigma becomes
 * ς) and maps İ (U+0130) to two code points; towlower maps Σ to σ always and İ to i.
 */
function lowercase(text: string): string {
  // Elsewhere toLowerCase() is the simple per-code-point mapping: only U+0130 has a multi-code-point
  // lowercase and only Σ a context-dependent one (Unicode SpecialCasing).
  if (!needsPerCodePoint.test(text)) return text.toLowerCase();
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    let lower = lowerCache.get(cp);
    if (lower === undefined) {
      lower = lowerCodePoint(cp);
      lowerCache.set(cp, lower);
    }
    out += lower;
  }
  return out;
}

function lowerCodePoint(cp: number): string {
  return String.fromCodePoint(lowerExceptions.get(cp) ?? baseLowerCodePoint(cp));
}

/**
 * Text as onnxruntime's string tensors carry it: lone surrogates cannot cross into UTF-8 and arrive
 * as U+FFFD, and the strings are C strings, so a NUL ends the text.
 */
function asRuntimeText(text: string): string {
  const nul = text.indexOf('\0');
  return (nul === -1 ? text : text.slice(0, nul)).toWellFormed();
}

/** Text as StringNormalizer leaves it: runtime-safe, then lowercased. */
export function normalize(text: string): string {
  return lowercase(asRuntimeText(text));
}

const ASCII_TOKEN = new Uint8Array(128);
for (let c = 0; c < 128; c++) ASCII_TOKEN[c] = /[a-z0-9]/i.test(String.fromCharCode(c)) ? 1 : 0;
/** [\p{L}\p{M}\p{N}] per code point in Node's tables, decided once per code point: 1 yes, 2 no. */
const bmpClass = new Uint8Array(0x10000);
const astralClass = new Map<number, boolean>();
const tokenCodePoint = new RegExp(`^${TOKEN_PATTERN.char}$`, 'u');

function isTokenCodePoint(cp: number): boolean {
  if (cp < 0x10000) {
    let known = bmpClass[cp] as number;
    if (known === 0) {
      known = tokenCodePoint.test(String.fromCharCode(cp)) ? 1 : 2;
      bmpClass[cp] = known;
    }
    return known === 1;
  }
  let known = astralClass.get(cp);
  if (known === undefined) {
    known = tokenCodePoint.test(String.fromCodePoint(cp));
    astralClass.set(cp, known);
  }
  return known;
}

/**
 * Finds the tokens of a normalized text and calls `emit(start, end)` with each one's UTF-16 offsets:
 * maximal runs of letters, marks and digits (word), or each such code point (char) — exactly what the
 * Tokenizer's regular expression matches. A scan over char codes instead of a regex match lets the
 * trainer intern tokens without creating a string for each occurrence.
 */
export function scanTokens(
  normalized: string,
  analyzer: Analyzer,
  emit: (start: number, end: number) => void,
): void {
  if (needsRuntimeClass.test(normalized)) {
    for (const match of normalized.matchAll(runtimeTokenRegex[analyzer])) {
      emit(match.index, match.index + match[0].length);
    }
    return;
  }
  const length = normalized.length;
  const word = analyzer === 'word';
  let start = -1;
  for (let i = 0; i < length; ) {
    const c = normalized.charCodeAt(i);
    let width = 1;
    let token: boolean;
    if (c < 128) token = ASCII_TOKEN[c] === 1;
    else if (c >= 0xd800 && c <= 0xdbff) {
      // Well-formed text: a high surrogate is always followed by a low one.
      width = 2;
      token = isTokenCodePoint(((c - 0xd800) << 10) + (normalized.charCodeAt(i + 1) - 0xdc00) + 0x10000);
    } else token = isTokenCodePoint(c);
    if (!word) {
      if (token) emit(i, i + width);
    } else if (token) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      emit(start, i);
      start = -1;
    }
    i += width;
  }
  if (start >= 0) emit(start, length);
}

/** Normalizes and splits a text into tokens, as StringNormalizer + Tokenizer do. */
export function tokenize(text: string, analyzer: Analyzer): string[] {
  const normalized = normalize(text);
  const tokens: string[] = [];
  scanTokens(normalized, analyzer, (start, end) => tokens.push(normalized.slice(start, end)));
  return tokens;
}

/** The Tokenizer's own regular expression over a normalized text: the scanner's specification. */
export function tokenizeByRegex(text: string, analyzer: Analyzer): string[] {
  const normalized = normalize(text);
  const regex = needsRuntimeClass.test(normalized) ? runtimeTokenRegex[analyzer] : plainTokenRegex[analyzer];
  return normalized.match(regex) ?? [];
}

/**
 * Counts the n-grams of a token list with lengths in [minN, maxN], keyed by tokens joined with
 * NGRAM_JOINER — the same counting the graph does (contiguous n-grams, no skips).
 */
export function countNgrams(tokens: readonly string[], minN: number, maxN: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let n = minN; n <= maxN; n++) {
    for (let i = 0; i + n <= tokens.length; i++) {
      const key = n === 1 ? (tokens[i] as string) : tokens.slice(i, i + n).join(NGRAM_JOINER);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return counts;
}

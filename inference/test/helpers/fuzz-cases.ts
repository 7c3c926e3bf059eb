// Generated bad and odd requests for the fuzz test: every case says which statuses are acceptable.
// A seeded generator makes a failure reproducible.

export interface FuzzCase {
  readonly kind: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string | Buffer;
  /** Statuses this request may get; anything else (and any 5xx) fails the test. */
  readonly allowed: readonly number[];
}

/** The Unicode edge cases from the training issue, each a text the service must classify (200). */
export const UNICODE_EDGES: Readonly<Record<string, string>> = {
  empty: '',
  whitespace: ' \t\n\u00a0\u2003 ',
  punctuation: '!!!???...,;:—–«»¿¡',
  accents: 'Café crème brûlée, déjà vu: très naïve façade',
  greekFinalSigma: 'ΟΔΥΣΣΕΥΣ ΣΟΦΟΣ ὀδυσσεύς σοφός',
  turkishDottedI: 'İSTANBUL ıi İi DİYARBAKIR',
  cjk: '这个手机很好用 日本語のテキストです 한국어 문장',
  hindi: 'यह फ़ोन बहुत अच्छा है, क्षत्रिय',
  arabic: 'هذا الهاتف رائع جدا',
  emoji: '👍🏽 great 😡 👨‍👩‍👧 🇫🇷',
  longToken: 'supercalifragilistic'.repeat(150),
  loneSurrogate: 'bad \ud800 half \udfff pair',
  nul: 'before\u0000after',
};

const JSON_HEADERS = { 'content-type': 'application/json' };
const OK_OR_400 = [200, 400];

/** mulberry32: small, fast, seeded. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FuzzLimits {
  readonly maxBodyBytes: number;
  readonly maxTextChars: number;
  readonly maxBatchSize: number;
}

/** At least `count` requests across every category, deterministic for a seed. */
export function fuzzCases(count: number, limits: FuzzLimits, seed = 20250301): FuzzCase[] {
  const random = rng(seed);
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  const edges = Object.values(UNICODE_EDGES);
  const words = [
    'great',
    'bad',
    'phone',
    'battery',
    'love',
    'hate',
    'never',
    'again',
    'ok',
    'works',
    'broke',
  ];
  const sentence = () => Array.from({ length: 1 + int(12) }, () => pick(words)).join(' ');
  const anyText = () => (random() < 0.4 ? pick(edges) : sentence());
  const post = (
    kind: string,
    body: string | Buffer,
    allowed: readonly number[],
    path = '/predict',
  ): FuzzCase => ({
    kind,
    method: 'POST',
    path,
    headers: JSON_HEADERS,
    body,
    allowed,
  });
  const randomBytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  const randomJunk = (n: number) =>
    Array.from({ length: n }, () =>
      String.fromCharCode(pick([int(128), 0x7b, 0x7d, 0x22, 0x5b, 0x5d, 0x3a])),
    ).join('');
  const nested = (depth: number, leaf: string) => {
    let value = leaf;
    for (let i = 0; i < depth; i++) value = random() < 0.5 ? `[${value}]` : `{"k":${value}}`;
    return value;
  };
  const wrongValues = () => [
    '1',
    '-0.5e300',
    'true',
    'null',
    '[]',
    '{}',
    '["a"]',
    '{"text":"a"}',
    nested(1 + int(20), '"x"'),
    String(2 ** 53 + 1),
  ];

  const generators: (() => FuzzCase)[] = [
    // Invalid JSON: truncated, mutated, junk.
    () => {
      const valid = JSON.stringify({ text: sentence() });
      return post('invalid-json', valid.slice(0, int(valid.length)), [400]);
    },
    () => post('invalid-json', `${randomJunk(1 + int(60))}`, [400]),
    () =>
      post(
        'invalid-json',
        pick(['{', '}', '{"text":}', "{'text':'a'}", '{"text":"a",}', 'NaN', '{"text":"\u0000raw"}']),
        [400],
      ),
    // Wrong types for text and texts.
    () => post('wrong-type', `{"text":${pick(wrongValues())}}`, [400]),
    () =>
      post(
        'wrong-type',
        `{"texts":${pick(['"a"', '1', '{}', 'null', 'true', '[1]', '["a",null]', '[["a"]]', '[{"text":"a"}]'])}}`,
        [400],
      ),
    () => post('wrong-type', pick(['"just a string"', '42', 'null', 'true', '[{"text":"a"}]', '[]']), [400]),
    () => post('wrong-type', JSON.stringify({ text: sentence(), texts: [sentence()] }), [400]),
    () =>
      post(
        'wrong-type',
        JSON.stringify({ text: sentence(), [pick(['lang', '__proto__', 'constructor', ''])]: 1 }),
        [400],
      ),
    // Nested objects, some very deep.
    () => post('nested', `{"text":${nested(1 + int(3000), '"deep"')}}`, [400]),
    () => post('nested', nested(1 + int(3000), '1'), [400]),
    // Huge strings: at the limit (fine), just over (400), far over the body limit (413).
    () => post('huge', JSON.stringify({ text: 'é'.repeat(limits.maxTextChars) }), [200]),
    () => post('huge', JSON.stringify({ text: 'a'.repeat(limits.maxTextChars + 1 + int(1000)) }), [400]),
    () =>
      random() < 0.1
        ? post('huge', JSON.stringify({ text: 'z'.repeat(limits.maxBodyBytes + int(1000)) }), [413])
        : post('huge', JSON.stringify({ texts: [anyText(), 'y'.repeat(limits.maxTextChars + 1)] }), [400]),
    // Binary bodies.
    () => post('binary', randomBytes(1 + int(400)), [400]),
    () => ({
      ...post('binary', randomBytes(1 + int(400)), [415]),
      headers: { 'content-type': 'application/octet-stream' },
    }),
    () =>
      post(
        'binary',
        Buffer.concat([Buffer.from('{"text":"'), randomBytes(1 + int(100)), Buffer.from('"}')]),
        OK_OR_400,
      ),
    // Every Unicode edge, alone, in batches, and as raw invalid UTF-8.
    () => post('unicode', JSON.stringify({ text: pick(edges) }), [200]),
    () =>
      post(
        'unicode',
        JSON.stringify({ texts: Array.from({ length: 1 + int(8) }, () => pick(edges)) }),
        [200],
      ),
    () =>
      post('unicode', Buffer.from('{"text":"\xed\xa0\x80 lone surrogate bytes \xc0\xff"}', 'latin1'), [200]),
    () => post('unicode', JSON.stringify({ text: pick(edges) }), [200], '/'),
    // Batches: empty, full, one too many, far too many.
    () => post('batch', '{"texts":[]}', [200]),
    () =>
      post(
        'batch',
        JSON.stringify({ texts: Array.from({ length: 1 + int(limits.maxBatchSize) }, anyText) }),
        [200],
      ),
    () =>
      post(
        'batch',
        JSON.stringify({ texts: Array.from({ length: limits.maxBatchSize + 1 + int(100) }, () => 'ok') }),
        [400],
      ),
    // Wrong methods on real routes.
    () => {
      const [path, right] = pick([
        ['/predict', 'POST'],
        ['/', 'POST'],
        ['/health', 'GET'],
        ['/openapi.json', 'GET'],
        ['/docs', 'GET'],
      ] as const);
      const method = pick(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'PROPFIND']);
      const ok = method === right || (right === 'GET' && method === 'HEAD');
      return {
        kind: 'method',
        method,
        path,
        headers: JSON_HEADERS,
        ...(method === 'GET' || method === 'HEAD' ? {} : { body: JSON.stringify({ text: sentence() }) }),
        allowed: ok ? [200] : [405],
      };
    },
    // Unknown paths.
    () => {
      const path = pick([
        '/predict/',
        '/PREDICT',
        '//predict',
        '/predict/../health',
        '/%00',
        '/docs/assets/../../etc/passwd',
        '/openapi.yaml',
        `/${'a'.repeat(1 + int(4000))}`,
        `/edge-${encodeURIComponent(pick(edges).replace(/[\ud800-\udfff]/g, '?'))}`,
        '/health/',
        '/docs/assets/missing.js',
      ]);
      return { kind: 'path', method: pick(['GET', 'POST']), path, headers: JSON_HEADERS, allowed: [404] };
    },
    // Content types.
    () => {
      const type = pick([
        'text/plain',
        'text/html',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/xml',
        'application/jsonx',
        'json',
        '',
        'application/json; charset=utf-16',
        'application/problem+json',
        'APPLICATION/JSON',
      ]);
      const essence = (type.split(';')[0] ?? '').trim().toLowerCase();
      const jsonish = essence === 'application/json' || essence.endsWith('+json');
      return {
        kind: 'content-type',
        method: 'POST',
        path: pick(['/predict', '/']),
        headers: { 'content-type': type },
        body: JSON.stringify({ text: sentence() }),
        allowed: jsonish ? [200] : [415],
      };
    },
    // Plain good requests in between: the server must keep answering them correctly.
    () => post('valid', JSON.stringify({ text: sentence() }), [200]),
    () => post('valid', JSON.stringify({ text: sentence(), extra: { nested: [1, 2] } }), [200], '/'),
  ];

  const cases: FuzzCase[] = [];
  while (cases.length < count) for (const generate of generators) cases.push(generate());
  return cases;
}

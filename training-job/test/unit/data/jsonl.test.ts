import { loadDataset } from '@slipway/training-job';
import { beforeAll, describe, expect, it } from 'vitest';
import { dataErrorOf, put, scratch } from './files.js';

let dir: string;
beforeAll(async () => {
  dir = await scratch();
});

const row = (text: string, label: string) => JSON.stringify({ text, label });
/** Four valid rows, two per class, so a split is possible. */
const valid = [row('good', 'pos'), row('great', 'pos'), row('bad', 'neg'), row('awful', 'neg')];

async function load(name: string, content: string | Uint8Array) {
  return loadDataset(await put(dir, name, content));
}

describe('JSON Lines', () => {
  it('reads rows, skips blank lines, ignores extra fields, trims labels but not texts', async () => {
    const content = [
      JSON.stringify({ text: '  spaced text  ', label: ' pos ', id: 7, extra: { a: 1 } }),
      '',
      '   ',
      ...valid,
      '',
    ].join('\n');
    const ds = await load('extra.jsonl', content);
    const all = [...ds.train, ...ds.test];
    expect(all).toHaveLength(5);
    expect(all).toContainEqual({ text: '  spaced text  ', label: 'pos' });
    expect(all.every((r) => Object.keys(r).join() === 'text,label')).toBe(true);
    expect(ds.classes).toEqual(['neg', 'pos']);
  });

  it('accepts CRLF line ends, a BOM and the .ndjson / .json-lines extensions', async () => {
    const content = `\ufeff${valid.join('\r\n')}\r\n`;
    for (const name of ['crlf.ndjson', 'crlf.json-lines', 'CRLF.JSONL']) {
      const ds = await load(name, content);
      expect([...ds.train, ...ds.test].map((r) => r.text).sort()).toEqual(['awful', 'bad', 'good', 'great']);
    }
  });

  it.each([
    [
      'malformed JSON',
      [valid[0], valid[1], '{"text": "oops", "label": "pos"', valid[2]],
      3,
      /not valid JSON/,
    ],
    ['an array instead of an object', [valid[0], '["a", "b"]'], 2, /expected a JSON object/],
    ['a missing label', [valid[0], '{"text": "no label"}'], 2, /missing "label"/],
    ['a missing text', ['{"label": "pos"}'], 1, /missing "text"/],
    [
      'a numeric label',
      [valid[0], valid[1], '{"text": "x", "label": 1}'],
      3,
      /"label" must be a string, got a number \(write it as "1"\)/,
    ],
    ['a null text', ['{"text": null, "label": "pos"}'], 1, /"text" must be a string, got null/],
    ['an empty text', [valid[0], '{"text": " \\t ", "label": "pos"}'], 2, /"text" is empty/],
    ['an empty label', [valid[0], valid[1], valid[2], '{"text": "x", "label": "  "}'], 4, /"label" is empty/],
  ])('rejects %s with the file and line', async (_, lines, line, message) => {
    const file = await put(dir, `bad-${line}-${String(message).length}.jsonl`, lines.join('\n'));
    const error = await dataErrorOf(loadDataset(file));
    expect(error).toMatchObject({ name: 'DataError', file, line });
    expect(error.message).toMatch(message);
    expect(error.message.startsWith(`${file}:${line}: `)).toBe(true);
  });

  it('counts blank lines and CRLF lines when naming the bad line', async () => {
    const file = await put(dir, 'blank-then-bad.jsonl', `${valid[0]}\r\n\r\n\r\n{bad\r\n${valid[1]}`);
    expect(await dataErrorOf(loadDataset(file))).toMatchObject({ file, line: 4 });
  });

  it('rejects invalid UTF-8 with the line of the first bad byte', async () => {
    const head = Buffer.from(`${valid[0]}\n${valid[1]}\n{"text": "caf`);
    const bytes = Buffer.concat([head, Buffer.from([0xe9]), Buffer.from('", "label": "pos"}\n')]);
    const file = await put(dir, 'latin1.jsonl', bytes);
    const error = await dataErrorOf(loadDataset(file));
    expect(error).toMatchObject({ file, line: 3 });
    expect(error.message).toMatch(/invalid UTF-8 \(byte 0xe9 at offset \d+\)/);
  });

  it('puts a multi-byte sequence cut short by a line break on the line it starts', async () => {
    const bytes = Buffer.concat([
      Buffer.from(`${valid[0]}\nabc`),
      Buffer.from([0xe2, 0x82]),
      Buffer.from('\nmore\n'),
    ]);
    const file = await put(dir, 'truncated.jsonl', bytes);
    expect(await dataErrorOf(loadDataset(file))).toMatchObject({ file, line: 2 });
  });

  it('rejects an empty file and a file of blank lines, with no line', async () => {
    for (const [name, content] of [
      ['empty.jsonl', ''],
      ['blank.jsonl', '\n  \n\r\n'],
    ] as const) {
      const file = await put(dir, name, content);
      const error = await dataErrorOf(loadDataset(file));
      expect(error).toMatchObject({ file, line: undefined });
      expect(error.message).toBe(
        `${file}: is empty; expected one JSON object per line, like {"text": "great film", "label": "positive"}`,
      );
    }
  });
});

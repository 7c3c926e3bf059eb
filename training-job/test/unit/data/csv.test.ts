import { loadDataset } from '@slipway/training-job';
import { beforeAll, describe, expect, it } from 'vitest';
import { dataErrorOf, put, scratch } from './files.js';

let dir: string;
beforeAll(async () => {
  dir = await scratch();
});

/** Every row of a dataset (train then test), sorted by text, to compare parsing independent of the split. */
async function rowsOf(name: string, content: string | Uint8Array) {
  const ds = await loadDataset(await put(dir, name, content));
  return [...ds.train, ...ds.test].sort((a, b) => (a.text < b.text ? -1 : 1));
}

describe('CSV', () => {
  it('reads RFC 4180 quoting: commas, doubled quotes and line breaks inside quotes', async () => {
    const content = [
      'text,label',
      '"a, b",pos',
      '"she said ""hi""",pos',
      '"two\nlines",neg',
      'plain,neg',
    ].join('\n');
    expect(await rowsOf('quoting.csv', content)).toEqual([
      { text: 'a, b', label: 'pos' },
      { text: 'plain', label: 'neg' },
      { text: 'she said "hi"', label: 'pos' },
      { text: 'two\nlines', label: 'neg' },
    ]);
  });

  it('reads CRLF files with a BOM, keeps a CRLF inside quotes, and needs no final line break', async () => {
    const content = '\ufefftext,label\r\n"x\r\ny",pos\r\nz,pos\r\nw,neg\r\nv,neg';
    expect(await rowsOf('crlf.csv', content)).toEqual([
      { text: 'v', label: 'neg' },
      { text: 'w', label: 'neg' },
      { text: 'x\r\ny', label: 'pos' },
      { text: 'z', label: 'pos' },
    ]);
  });

  it('finds the columns by name in any order, ignores extra columns, skips blank lines', async () => {
    const content =
      'id, Label ,TEXT,notes\n1,pos,good,a\n\n2,pos,great,"b, c"\n   \n3,neg,bad,\n4,neg,"awful ",d\n';
    expect(await rowsOf('columns.csv', content)).toEqual([
      { text: 'awful ', label: 'neg' },
      { text: 'bad', label: 'neg' },
      { text: 'good', label: 'pos' },
      { text: 'great', label: 'pos' },
    ]);
  });

  it('keeps a quote inside an unquoted field as a literal character', async () => {
    const rows = await rowsOf('inch.csv', 'text,label\na 5" screen,pos\nok,pos\nno,neg\nnah,neg\n');
    expect(rows[0]).toEqual({ text: 'a 5" screen', label: 'pos' });
  });

  it.each([
    [
      'an unterminated quote (line of the record start)',
      'text,label\ngood,pos\n"never closed,pos\nmore,neg\n',
      3,
      /unterminated quoted field/,
    ],
    [
      'too few fields after a multi-line record',
      'text,label\n"one\ntwo\nthree",pos\nlonely\n',
      5,
      /has 1 field\(s\) but the header has 2/,
    ],
    ['too many fields', 'text,label\na,pos\nb,c,pos\n', 3, /has 3 field\(s\) but the header has 2/],
    [
      'text after a closing quote',
      'text,label\na,pos\n"b"x,pos\n',
      3,
      /unexpected text after a closing quote/,
    ],
    [
      'a header without a label column',
      'text,class\na,pos\n',
      1,
      /header has no "label" column \(found: text, class\)/,
    ],
    ['a header with two text columns', 'text,label,Text\na,pos,b\n', 1, /more than one "text" column/],
    ['an empty label', 'text,label\na,pos\nb,\n', 3, /"label" is empty/],
    ['an empty quoted text', 'text,label\na,pos\n"",neg\n', 3, /"text" is empty/],
  ])('rejects %s with the file and line', async (_, content, line, message) => {
    const file = await put(dir, `bad-${line}-${content.length}.csv`, content);
    const error = await dataErrorOf(loadDataset(file));
    expect(error).toMatchObject({ name: 'DataError', file, line });
    expect(error.message).toMatch(message);
  });

  it('rejects invalid UTF-8 in a quoted field on the line of the bad byte', async () => {
    const bytes = Buffer.concat([
      Buffer.from('text,label\n"first\nsecond'),
      Buffer.from([0xff]),
      Buffer.from('",pos\n'),
    ]);
    const file = await put(dir, 'bad-utf8.csv', bytes);
    expect(await dataErrorOf(loadDataset(file))).toMatchObject({ file, line: 3 });
  });

  it('rejects a header-only file and an empty one', async () => {
    const headerOnly = await put(dir, 'header.csv', 'text,label\r\n');
    expect((await dataErrorOf(loadDataset(headerOnly))).message).toBe(
      `${headerOnly}: contains no rows; expected a header line "text,label" followed by one row per line`,
    );
    const empty = await put(dir, 'empty.csv', '\ufeff');
    expect(await dataErrorOf(loadDataset(empty))).toMatchObject({ file: empty, line: undefined });
    expect((await dataErrorOf(loadDataset(empty))).message).toMatch(/: is empty;/);
  });
});

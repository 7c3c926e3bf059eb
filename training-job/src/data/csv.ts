import { dataError } from './errors.js';
import { checkRow, noRows, type SourcedRow } from './rows.js';

const ROW_SHAPE = 'a header line "text,label" followed by one row per line';

interface CsvRecord {
  readonly fields: string[];
  /** Line the record starts on (a quoted field may span several lines). */
  readonly line: number;
  /** An unquoted empty or whitespace-only line: skipped like a blank line in JSON Lines. */
  readonly blank: boolean;
}

/**
 * Parses CSV with a header naming a `text` and a `label` column (other columns are ignored).
 * RFC 4180: quoted fields may hold commas, doubled quotes and line breaks; CRLF or LF line ends.
 * A quote inside an unquoted field is kept as a literal character, as spreadsheets write it.
 */
export function parseCsv(content: string, file: string): SourcedRow[] {
  const records = csvRecords(content, file).filter((r) => !r.blank);
  const header = records[0];
  if (header === undefined) throw noRows(file, content, ROW_SHAPE);
  const names = header.fields.map((f) => f.trim().toLowerCase());
  const column = (name: string) => {
    const at = names.indexOf(name);
    if (at === -1 || names.indexOf(name, at + 1) !== -1) {
      const problem = at === -1 ? `has no "${name}" column` : `has more than one "${name}" column`;
      throw dataError(
        file,
        header.line,
        `header ${problem} (found: ${header.fields.join(', ')}); the first line must name the columns, e.g. "text,label"`,
      );
    }
    return at;
  };
  const textAt = column('text');
  const labelAt = column('label');
  const rows: SourcedRow[] = [];
  for (const record of records.slice(1)) {
    if (record.fields.length !== names.length) {
      throw dataError(
        file,
        record.line,
        `has ${record.fields.length} field(s) but the header has ${names.length}; quote fields that contain commas ("a, b")`,
      );
    }
    rows.push(checkRow(record.fields[textAt], record.fields[labelAt], file, record.line));
  }
  if (rows.length === 0) throw noRows(file, content, ROW_SHAPE);
  return rows;
}

function csvRecords(s: string, file: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let i = 0;
  let line = 1;
  while (i < s.length) {
    const start = line;
    const fields: string[] = [];
    let quotedAny = false;
    for (;;) {
      let value: string;
      if (s[i] === '"') {
        quotedAny = true;
        value = '';
        i++;
        for (;;) {
          const close = s.indexOf('"', i);
          if (close === -1) {
            throw dataError(file, start, 'unterminated quoted field: a field opened with " is never closed');
          }
          const chunk = s.slice(i, close);
          line += countLineBreaks(chunk, s[close]);
          value += chunk;
          if (s[close + 1] === '"') {
            value += '"';
            i = close + 2;
          } else {
            i = close + 1;
            break;
          }
        }
        const next = s[i];
        if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') {
          throw dataError(
            file,
            start,
            'unexpected text after a closing quote; write a quote inside a quoted field as two quotes ("")',
          );
        }
      } else {
        let end = i;
        while (end < s.length) {
          const c = s.charCodeAt(end);
          if (c === 44 /* , */ || c === 10 /* \n */ || c === 13 /* \r */) break;
          end++;
        }
        value = s.slice(i, end);
        i = end;
      }
      fields.push(value);
      const c = s[i];
      if (c === ',') {
        i++;
        continue;
      }
      if (c === '\r') i += s[i + 1] === '\n' ? 2 : 1;
      else if (c === '\n') i++;
      if (c !== undefined) line++;
      break;
    }
    records.push({
      fields,
      line: start,
      blank: !quotedAny && fields.length === 1 && fields[0]?.trim() === '',
    });
  }
  return records;
}

/** Line breaks (CRLF, LF or a lone CR) inside a quoted chunk; `after` is the character following it. */
function countLineBreaks(chunk: string, after: string | undefined): number {
  let n = 0;
  for (let k = 0; k < chunk.length; k++) {
    const c = chunk.charCodeAt(k);
    if (c === 10) n++;
    else if (c === 13 && (k + 1 < chunk.length ? chunk.charCodeAt(k + 1) !== 10 : after !== '\n')) n++;
  }
  return n;
}

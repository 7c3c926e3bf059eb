import { dataError } from './errors.js';
import { checkRow, noRows, type SourcedRow } from './rows.js';

const ROW_SHAPE = 'one JSON object per line, like {"text": "great film", "label": "positive"}';

/** Parses JSON Lines: one `{"text","label"}` object per line; blank lines skipped, extra fields ignored. */
export function parseJsonl(content: string, file: string): SourcedRow[] {
  const rows: SourcedRow[] = [];
  let start = 0;
  for (let line = 1; start <= content.length; line++) {
    let end = content.indexOf('\n', start);
    if (end === -1) end = content.length;
    const raw = content.slice(start, end > start && content[end - 1] === '\r' ? end - 1 : end);
    start = end + 1;
    if (raw.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (cause) {
      const why = cause instanceof Error ? cause.message : String(cause);
      throw dataError(file, line, `not valid JSON (${why}); expected ${ROW_SHAPE}`, cause);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw dataError(
        file,
        line,
        `expected a JSON object, got ${JSON.stringify(value).slice(0, 40)}; ${ROW_SHAPE}`,
      );
    }
    const record = value as Record<string, unknown>;
    rows.push(checkRow(record.text, record.label, file, line));
  }
  if (rows.length === 0) throw noRows(file, content, ROW_SHAPE);
  return rows;
}

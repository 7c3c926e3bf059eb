import { dataError } from './errors.js';
import type { Row } from './types.js';

/** A row and the 1-based line it starts on, so later checks (the split) can point at it. */
export interface SourcedRow extends Row {
  readonly line: number;
}

/**
 * Checks one row's fields: both strings, neither blank. The label is trimmed, the text kept as given,
 * except that a lone surrogate (only a JSON escape such as `\ud800` can make one) becomes U+FFFD in
 * both: what onnxruntime sees anyway, and what every JSON file the dataset reaches can hold.
 */
export function checkRow(text: unknown, label: unknown, file: string, line: number): SourcedRow {
  for (const [field, value] of [
    ['text', text],
    ['label', label],
  ] as const) {
    if (value === undefined) {
      throw dataError(file, line, `missing "${field}"; each row needs a "text" and a "label"`);
    }
    if (typeof value !== 'string') {
      const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
      const hint = typeof value === 'number' || typeof value === 'boolean' ? ` (write it as "${value}")` : '';
      throw dataError(file, line, `"${field}" must be a string, got ${got}${hint}`);
    }
    if (value.trim() === '') {
      throw dataError(file, line, `"${field}" is empty; give the row a ${field} or remove it`);
    }
  }
  return { text: (text as string).toWellFormed(), label: (label as string).trim().toWellFormed(), line };
}

/** The error for a file with no rows at all; `what` says what a row looks like in that format. */
export function noRows(file: string, content: string, what: string) {
  return dataError(
    file,
    undefined,
    `${content.trim() === '' ? 'is empty' : 'contains no rows'}; expected ${what}`,
  );
}

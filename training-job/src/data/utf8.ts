import { dataError } from './errors.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes UTF-8 (a leading BOM is dropped). On invalid bytes the error names the line of the first
 * bad byte, found by re-scanning only after the fast decoder has failed.
 */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    return strictUtf8.decode(bytes);
  } catch (cause) {
    const offset = firstInvalidUtf8Offset(bytes);
    let line = 1;
    for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
    const byte = bytes[offset]?.toString(16).padStart(2, '0') ?? 'end of file';
    return raise(file, line, offset, byte, cause);
  }
}

function raise(file: string, line: number, offset: number, byte: string, cause: unknown): never {
  throw dataError(
    file,
    line,
    `invalid UTF-8 (byte 0x${byte} at offset ${offset}); save the file as UTF-8 (e.g. \`iconv -f latin1 -t utf-8\`)`,
    cause,
  );
}

/** Offset of the first byte that starts an invalid sequence, by the WHATWG UTF-8 decoder's rules. */
function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] ?? 0;
    let need: number;
    let lower = 0x80;
    let upper = 0xbf;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lower = 0xa0;
      if (b === 0xed) upper = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lower = 0x90;
      if (b === 0xf4) upper = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || c < lower || c > upper) return i;
      lower = 0x80;
      upper = 0xbf;
    }
    i += need + 1;
  }
  return bytes.length;
}

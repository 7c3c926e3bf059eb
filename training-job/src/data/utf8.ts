import { dataError } from './errors.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes UTF-8 (a leading BOM is dropped). On invalid bytes the error names the line of the first
 * bad byte, found by re-scanning only after the fast decoder has failed.
 */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  const binary = binaryFormat(bytes);
  if (binary) throw dataError(file, undefined, `is ${binary.what}, not text; ${binary.fix}`);
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

/** File formats a data file is sometimes by mistake, known by their first bytes (their magic numbers). */
const MAGIC: readonly { bytes: readonly number[]; what: string; fix: string }[] = [
  {
    bytes: [0x1f, 0x8b],
    what: 'a gzip-compressed file',
    fix: 'decompress it first (`gunzip -k <file>`) and pass the .jsonl or .csv inside',
  },
  {
    bytes: [0x7f, 0x45, 0x4c, 0x46],
    what: 'an ELF executable or library (a program, not data)',
    fix: 'check the path: --data expects a .jsonl or .csv file of {text, label} rows',
  },
  {
    bytes: [0x50, 0x4b, 0x03, 0x04],
    what: 'a ZIP archive (an .xlsx workbook is one)',
    fix: 'unzip it, or save the sheet as CSV with a `text,label` header',
  },
  {
    bytes: [0x42, 0x5a, 0x68],
    what: 'a bzip2-compressed file',
    fix: 'decompress it first (`bunzip2 -k <file>`)',
  },
  {
    bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00],
    what: 'an xz-compressed file',
    fix: 'decompress it first (`unxz -k <file>`)',
  },
  {
    bytes: [0x28, 0xb5, 0x2f, 0xfd],
    what: 'a zstd-compressed file',
    fix: 'decompress it first (`zstd -d <file>`)',
  },
  {
    bytes: [0x25, 0x50, 0x44, 0x46, 0x2d],
    what: 'a PDF document',
    fix: 'extract the texts into a .jsonl or .csv file of {text, label} rows',
  },
];

/** What binary format the bytes are in, when their first bytes say so. */
function binaryFormat(bytes: Uint8Array): { what: string; fix: string } | undefined {
  return MAGIC.find((m) => m.bytes.every((b, i) => bytes[i] === b));
}

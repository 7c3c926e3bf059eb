import { gunzipSync, gzipSync } from 'node:zlib';

/**
 * model.tar.gz, the artifact SageMaker writes from /opt/ml/model: a gzip of a POSIX ustar archive of
 * regular files. Packing is deterministic (sorted names, zero timestamps, fixed owner), so the same files
 * give the same bytes; unpacking accepts what SageMaker and GNU tar write (ustar and GNU long names).
 */

const BLOCK = 512;
const utf8 = new TextEncoder();
const decoder = new TextDecoder();

function writeString(block: Uint8Array, offset: number, length: number, value: string): void {
  block.set(utf8.encode(value).subarray(0, length), offset);
}

function writeOctal(block: Uint8Array, offset: number, length: number, value: number): void {
  writeString(block, offset, length, `${value.toString(8).padStart(length - 1, '0')}\0`);
}

function header(name: string, size: number, type: '0' | 'L'): Uint8Array {
  const block = new Uint8Array(BLOCK);
  writeString(block, 0, 100, name);
  writeOctal(block, 100, 8, 0o644);
  writeOctal(block, 108, 8, 0);
  writeOctal(block, 116, 8, 0);
  writeOctal(block, 124, 12, size);
  writeOctal(block, 136, 12, 0);
  block.fill(0x20, 148, 156);
  writeString(block, 156, 1, type);
  writeString(block, 257, 6, 'ustar');
  writeString(block, 263, 2, '00');
  let sum = 0;
  for (const byte of block) sum += byte;
  writeString(block, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return block;
}

const padding = (size: number) => new Uint8Array((BLOCK - (size % BLOCK)) % BLOCK);

/** Packs files (name → bytes) into a deterministic model.tar.gz. */
export function packArchive(files: Readonly<Record<string, Uint8Array>>): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const name of Object.keys(files).sort()) {
    const body = files[name] as Uint8Array;
    const encoded = utf8.encode(name);
    if (encoded.length > 100) {
      const long = utf8.encode(`${name}\0`);
      parts.push(header('././@LongLink', long.length, 'L'), long, padding(long.length));
    }
    parts.push(header(name, body.length, '0'), body, padding(body.length));
  }
  parts.push(new Uint8Array(BLOCK * 2));
  return gzipSync(Buffer.concat(parts), { level: 9 });
}

/** The archive could not be read; the message says where it broke. */
export class ArchiveError extends Error {
  override readonly name = 'ArchiveError';
  readonly code = 'SLIPWAY_ARCHIVE';
}

function readString(block: Uint8Array, offset: number, length: number): string {
  const slice = block.subarray(offset, offset + length);
  const end = slice.indexOf(0);
  return decoder.decode(end === -1 ? slice : slice.subarray(0, end));
}

/**
 * Unpacks a (gzipped) tar archive into name → bytes. Directories are skipped; links, devices and paths
 * that climb out of the archive (`..`, absolute) are refused rather than trusted.
 */
export function unpackArchive(archive: Uint8Array): Record<string, Uint8Array> {
  let tar: Uint8Array;
  try {
    tar = archive[0] === 0x1f && archive[1] === 0x8b ? gunzipSync(archive) : archive;
  } catch (cause) {
    throw new ArchiveError(`not a readable gzip archive: ${(cause as Error).message}`, { cause });
  }
  const files: Record<string, Uint8Array> = {};
  let offset = 0;
  let longName: string | undefined;
  while (offset + BLOCK <= tar.length) {
    const block = tar.subarray(offset, offset + BLOCK);
    if (block.every((b) => b === 0)) break;
    const size = Number.parseInt(readString(block, 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(block[156] ?? 0x30);
    const prefix = readString(block, 345, 155);
    let name = longName ?? (prefix ? `${prefix}/${readString(block, 0, 100)}` : readString(block, 0, 100));
    longName = undefined;
    if (!Number.isFinite(size) || size < 0 || offset + BLOCK + size > tar.length) {
      throw new ArchiveError(`truncated archive at entry ${JSON.stringify(name)}`);
    }
    const body = tar.subarray(offset + BLOCK, offset + BLOCK + size);
    offset += BLOCK + size + ((BLOCK - (size % BLOCK)) % BLOCK);
    if (type === 'L') {
      longName = readString(body, 0, body.length);
      continue;
    }
    if (type === '5' || type === 'x' || type === 'g') continue;
    if (type !== '0' && type !== '\0') {
      throw new ArchiveError(
        `entry ${JSON.stringify(name)} is not a regular file (type ${JSON.stringify(type)})`,
      );
    }
    name = name.replace(/^\.\//, '');
    if (name.startsWith('/') || name.split('/').includes('..')) {
      throw new ArchiveError(`entry ${JSON.stringify(name)} points outside the archive`);
    }
    files[name] = new Uint8Array(body);
  }
  return files;
}

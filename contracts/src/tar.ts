import { gunzipSync, gzipSync } from 'node:zlib';

/**
 * The one tar writer and reader of slipway. model.tar.gz, the artifact SageMaker writes from
 * /opt/ml/model, is a gzip of a POSIX ustar archive of regular files; an image layer (the model at
 * /opt/model) is the same format with folders. Writing is deterministic (entries in the order given,
 * zero or fixed timestamps, owner 0), so the same files give the same bytes and digests; reading accepts
 * what SageMaker and GNU tar write (ustar and GNU long names).
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

interface Header {
  readonly name: string;
  readonly size: number;
  readonly type: '0' | '5' | 'L';
  readonly mode: number;
  readonly mtime: number;
  readonly owner: string;
}

function header({ name, size, type, mode, mtime, owner }: Header): Uint8Array {
  const block = new Uint8Array(BLOCK);
  writeString(block, 0, 100, name);
  writeOctal(block, 100, 8, mode);
  writeOctal(block, 108, 8, 0);
  writeOctal(block, 116, 8, 0);
  writeOctal(block, 124, 12, size);
  writeOctal(block, 136, 12, mtime);
  block.fill(0x20, 148, 156); // the checksum is summed with its own field as spaces
  writeString(block, 156, 1, type);
  writeString(block, 257, 6, 'ustar');
  writeString(block, 263, 2, '00');
  if (owner) {
    writeString(block, 265, 32, owner);
    writeString(block, 297, 32, owner);
  }
  let sum = 0;
  for (const byte of block) sum += byte;
  writeString(block, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return block;
}

const padding = (size: number) => new Uint8Array((BLOCK - (size % BLOCK)) % BLOCK);

/** One entry of a tar archive: a regular file (mode 0644) or, without `body`, a folder (mode 0755). */
export interface TarEntry {
  readonly name: string;
  readonly body?: Uint8Array;
}

/** How {@link packTar} stamps entries. */
export interface TarOptions {
  /** Modification time of every entry, in seconds since the epoch. Default 0. */
  readonly mtime?: number;
  /** User and group name written beside uid/gid 0 (e.g. `root` in image layers). Default none. */
  readonly owner?: string;
}

/**
 * An uncompressed tar archive of `entries`, in the order given. Names longer than ustar's 100 bytes go
 * in a GNU long-name entry, which GNU tar, container runtimes and {@link unpackArchive} read.
 * @example const tar = packTar([{ name: 'opt/' }, { name: 'opt/a.txt', body: bytes }], { owner: 'root' });
 */
export function packTar(entries: readonly TarEntry[], options: TarOptions = {}): Uint8Array {
  const mtime = options.mtime ?? 0;
  const owner = options.owner ?? '';
  const parts: Uint8Array[] = [];
  for (const { name, body } of entries) {
    if (utf8.encode(name).length > 100) {
      // GNU long name: the next header's name is in this entry's data.
      const long = utf8.encode(`${name}\0`);
      parts.push(
        header({ name: '././@LongLink', size: long.length, type: 'L', mode: 0o644, mtime, owner }),
        long,
        padding(long.length),
      );
    }
    if (body === undefined) parts.push(header({ name, size: 0, type: '5', mode: 0o755, mtime, owner }));
    else {
      parts.push(header({ name, size: body.length, type: '0', mode: 0o644, mtime, owner }), body);
      parts.push(padding(body.length));
    }
  }
  parts.push(new Uint8Array(BLOCK * 2)); // end of archive
  return new Uint8Array(Buffer.concat(parts));
}

/**
 * Packs files (name → bytes) into a deterministic model.tar.gz: sorted names at the archive's root,
 * zero timestamps, owner 0, gzip level 9.
 * @example await writeFile('model.tar.gz', packArchive({ 'model.onnx': onnx, 'manifest.json': manifest }));
 */
export function packArchive(files: Readonly<Record<string, Uint8Array>>): Uint8Array {
  const entries = Object.keys(files)
    .sort()
    .map((name) => ({ name, body: files[name] as Uint8Array }));
  return gzipSync(packTar(entries), { level: 9 });
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

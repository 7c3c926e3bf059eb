import { gzipSync } from 'node:zlib';
import { sha256Digest } from './registry.js';

/**
 * An image layer holding files under one folder (the model at /opt/model). The tarball is deterministic
 * (sorted entries, fixed timestamps, owner root), so the same files give the same digests and a version
 * composed twice is the same image.
 */
export interface FileLayer {
  /** The gzip-compressed tarball: the blob pushed to the registry. */
  readonly blob: Uint8Array;
  /** Digest of `blob` (the manifest's layer digest). */
  readonly digest: string;
  /** Digest of the uncompressed tarball (the config's `rootfs.diff_ids` entry). */
  readonly diffId: string;
  /** Every entry, in archive order (directories end with `/`). */
  readonly entries: readonly string[];
}

const BLOCK = 512;
const utf8 = new TextEncoder();

function put(block: Uint8Array, offset: number, length: number, value: string): void {
  block.set(utf8.encode(value).subarray(0, length), offset);
}

function octal(block: Uint8Array, offset: number, length: number, value: number): void {
  put(block, offset, length, `${value.toString(8).padStart(length - 1, '0')}\0`);
}

function header(name: string, size: number, type: '0' | '5' | 'L', mode: number, mtime: number): Uint8Array {
  const block = new Uint8Array(BLOCK);
  put(block, 0, 100, name);
  octal(block, 100, 8, mode);
  octal(block, 108, 8, 0);
  octal(block, 116, 8, 0);
  octal(block, 124, 12, size);
  octal(block, 136, 12, mtime);
  block.fill(0x20, 148, 156);
  put(block, 156, 1, type);
  put(block, 257, 6, 'ustar');
  put(block, 263, 2, '00');
  put(block, 265, 32, 'root');
  put(block, 297, 32, 'root');
  let sum = 0;
  for (const byte of block) sum += byte;
  put(block, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return block;
}

const padding = (size: number) => new Uint8Array((BLOCK - (size % BLOCK)) % BLOCK);

/**
 * Builds a layer placing `files` (relative name -> bytes) under `root` (e.g. `opt/model`), with a
 * directory entry (mode 0755) for every folder on the way and files at mode 0644.
 * @example buildFileLayer('opt/model', { 'model.onnx': bytes, 'manifest.json': manifest })
 */
export function buildFileLayer(
  root: string,
  files: Readonly<Record<string, Uint8Array>>,
  options: { mtime?: number } = {},
): FileLayer {
  const mtime = options.mtime ?? 0;
  const prefix = root.replace(/^\/+|\/+$/g, '');
  const paths = Object.keys(files).map((file) => ({ file, path: `${prefix}/${file}` }));
  const directories = new Set<string>();
  for (const { path } of paths) {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) directories.add(`${parts.slice(0, i).join('/')}/`);
  }
  const entries = [...directories, ...paths.map((p) => p.path)].sort();
  const bodies = new Map(paths.map(({ file, path }) => [path, files[file] as Uint8Array]));
  const parts: Uint8Array[] = [];
  for (const entry of entries) {
    const body = bodies.get(entry);
    const encoded = utf8.encode(entry);
    if (encoded.length > 100) {
      // GNU long name: the next header's name is in this entry's data.
      const long = utf8.encode(`${entry}\0`);
      parts.push(header('././@LongLink', long.length, 'L', 0o644, mtime), long, padding(long.length));
    }
    if (body === undefined) parts.push(header(entry, 0, '5', 0o755, mtime));
    else parts.push(header(entry, body.length, '0', 0o644, mtime), body, padding(body.length));
  }
  parts.push(new Uint8Array(BLOCK * 2));
  const tar = Buffer.concat(parts);
  // zlib writes a zero mtime in the gzip header, so the compressed bytes depend on the content only.
  const blob = new Uint8Array(gzipSync(tar, { level: 6 }));
  return { blob, digest: sha256Digest(blob), diffId: sha256Digest(tar), entries };
}

import { gzipSync } from 'node:zlib';
import { packTar } from '@slipway/contracts/tar';
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
  const tar = packTar(
    entries.map((name) => ({ name, body: bodies.get(name) })),
    { mtime, owner: 'root' },
  );
  // zlib writes a zero mtime in the gzip header, so the compressed bytes depend on the content only.
  const blob = new Uint8Array(gzipSync(tar, { level: 6 }));
  return { blob, digest: sha256Digest(blob), diffId: sha256Digest(tar), entries };
}

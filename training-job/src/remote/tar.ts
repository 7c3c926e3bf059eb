import { gzipSync } from 'node:zlib';

/*
 * model.tar.gz as SageMaker writes it from /opt/ml/model: a gzip of a POSIX ustar archive of regular
 * files at its root. The model store has a reader and writer of the same format; this copy exists
 * because the training container must not depend on the store package.
 */

const BLOCK = 512;
const utf8 = new TextEncoder();

function field(block: Uint8Array, offset: number, length: number, value: string): void {
  block.set(utf8.encode(value).subarray(0, length), offset);
}

function octal(block: Uint8Array, offset: number, length: number, value: number): void {
  field(block, offset, length, `${value.toString(8).padStart(length - 1, '0')}\0`);
}

function header(name: Uint8Array, size: number, type: '0' | 'L'): Uint8Array {
  const block = new Uint8Array(BLOCK);
  block.set(name.subarray(0, 100), 0);
  octal(block, 100, 8, 0o644); // mode
  octal(block, 108, 8, 0); // uid
  octal(block, 116, 8, 0); // gid
  octal(block, 124, 12, size);
  octal(block, 136, 12, 0); // mtime: fixed, so the same files give the same bytes
  block.fill(0x20, 148, 156); // the checksum is summed with its own field as spaces
  field(block, 156, 1, type);
  field(block, 257, 8, 'ustar\x0000');
  let sum = 0;
  for (const byte of block) sum += byte;
  field(block, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return block;
}

const padding = (size: number) => new Uint8Array((BLOCK - (size % BLOCK)) % BLOCK);

/**
 * Packs files (name → bytes) into a deterministic tar.gz: sorted names, zero timestamps, owner 0.
 * Names longer than ustar's 100 bytes go in a GNU long-name entry, which GNU tar and the store read.
 *
 * @example await writeFile('model.tar.gz', packTarGz({ 'model.onnx': onnx, 'manifest.json': manifest }));
 */
export function packTarGz(files: Readonly<Record<string, Uint8Array>>): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const name of Object.keys(files).sort()) {
    const body = files[name] as Uint8Array;
    const encoded = utf8.encode(name);
    if (encoded.length > 100) {
      const long = utf8.encode(`${name}\0`);
      parts.push(header(utf8.encode('././@LongLink'), long.length, 'L'), long, padding(long.length));
    }
    parts.push(header(encoded, body.length, '0'), body, padding(body.length));
  }
  parts.push(new Uint8Array(BLOCK * 2)); // end of archive
  return gzipSync(Buffer.concat(parts), { level: 9 });
}

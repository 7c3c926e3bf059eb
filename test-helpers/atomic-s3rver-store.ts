import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import S3Object from 's3rver/lib/models/object.js';
import FilesystemStore from 's3rver/lib/stores/filesystem.js';

/**
 * s3rver's folder store with PUTs that replace an object whole, as S3's do.
 *
 * s3rver 3.7 writes an object in place (the file is truncated, then streamed) and answers the PUT when
 * its hashing stream finishes, before the file stream has flushed: a GET racing the PUT, or even one
 * sent right after its answer, can read a torn body. S3 never adds partial objects, and a read returns
 * the old or the new object, never a mix
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/Welcome.html#ConsistencyModel). Here every
 * file of an object (bytes, `.md5`, metadata) is written completely to a temp file in the same folder
 * and renamed into place before the PUT is answered. The three files are still three renames: the
 * conditional proxy's per-key lock keeps a read from seeing them half-replaced.
 */
export class AtomicFilesystemStore extends FilesystemStore {
  override async putObject(object: {
    bucket: string;
    key: string;
    content: Buffer | NodeJS.ReadableStream;
    metadata: Record<string, string>;
  }): Promise<{ size: number; md5: string }> {
    const objectPath = this.getResourcePath(object.bucket, object.key, 'object');
    const md5Context = createHash('md5');
    let size = 0;
    const source = Buffer.isBuffer(object.content) ? Readable.from([object.content]) : object.content;
    await replaceFile(objectPath, (temp) =>
      pipeline(
        source,
        new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            md5Context.update(chunk);
            size += chunk.length;
            callback(null, chunk);
          },
        }),
        createWriteStream(temp),
      ),
    );
    const md5 = md5Context.digest('hex');
    await this.putMetadata(object.bucket, object.key, object.metadata, md5);
    return { size, md5 };
  }

  override async putMetadata(
    bucket: string,
    key: string,
    metadata: Record<string, string>,
    md5?: string,
  ): Promise<void> {
    const json = Object.fromEntries(
      Object.entries(metadata).filter(
        ([name]) => S3Object.ALLOWED_METADATA.includes(name) || name.startsWith('x-amz-meta-'),
      ),
    );
    if (md5) await writeWhole(this.getResourcePath(bucket, key, 'object.md5'), md5);
    await writeWhole(this.getResourcePath(bucket, key, 'metadata.json'), JSON.stringify(json, null, 2));
  }

  override async copyObject(
    srcBucket: string,
    srcKey: string,
    destBucket: string,
    destKey: string,
    replacementMetadata?: Record<string, string>,
  ): Promise<Record<string, string>> {
    const copy = async (resource: string) => {
      const from = this.getResourcePath(srcBucket, srcKey, resource);
      const to = this.getResourcePath(destBucket, destKey, resource);
      if (from !== to)
        await replaceFile(to, (temp) => pipeline(createReadStream(from), createWriteStream(temp)));
    };
    await copy('object');
    if (replacementMetadata) await this.putMetadata(destBucket, destKey, replacementMetadata);
    else await Promise.all([copy('metadata.json'), copy('object.md5')]);
    return this.getMetadata(destBucket, destKey);
  }
}

const writeWhole = (path: string, data: string) => replaceFile(path, (temp) => writeFile(temp, data));

/**
 * Writes `path` through a temp file beside it, renamed into place once complete. The temp name does not
 * end in `._S3rver_object`, so listings skip it. A DeleteObject of a sibling key removes the folder when
 * it is empty, which it is between our mkdir and the temp file's creation: creating it is retried (once
 * it exists, the folder is not empty and stays).
 */
async function replaceFile(path: string, write: (temp: string) => Promise<unknown>): Promise<void> {
  const temp = `${path}.${randomBytes(6).toString('hex')}.partial`;
  for (let attempt = 1; ; attempt++) {
    await mkdir(dirname(path), { recursive: true });
    try {
      await writeFile(temp, '', { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 10) throw error;
    }
  }
  try {
    await write(temp);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

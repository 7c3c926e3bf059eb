// Minimal typings for the parts of s3rver 3.7 the test server uses (the package ships none).
declare module 's3rver' {
  import type { AddressInfo } from 'node:net';

  interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    directory?: string;
    configureBuckets?: { name: string }[];
  }

  export default class S3rver {
    constructor(options: S3rverOptions);
    /** The object store; replaced by AtomicFilesystemStore before `run()`. */
    store: unknown;
    context: { store: unknown };
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
  }
}

// s3rver's folder store, extended by atomic-s3rver-store.ts.
declare module 's3rver/lib/stores/filesystem.js' {
  export default class FilesystemStore {
    constructor(rootDirectory: string);
    getResourcePath(bucket: string, key?: string, resource?: string): string;
    getMetadata(bucket: string, key: string): Promise<Record<string, string>>;
    putObject(object: {
      bucket: string;
      key: string;
      content: Buffer | NodeJS.ReadableStream;
      metadata: Record<string, string>;
    }): Promise<{ size: number; md5: string }>;
    putMetadata(bucket: string, key: string, metadata: Record<string, string>, md5?: string): Promise<void>;
    copyObject(
      srcBucket: string,
      srcKey: string,
      destBucket: string,
      destKey: string,
      replacementMetadata?: Record<string, string>,
    ): Promise<Record<string, string>>;
  }
}

declare module 's3rver/lib/models/object.js' {
  const S3Object: { readonly ALLOWED_METADATA: readonly string[] };
  export default S3Object;
}

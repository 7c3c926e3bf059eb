import type { ObjectStorage } from '@slipway/training-job';

/** An in-memory {@link ObjectStorage}; `failPuts` makes every write fail, as a denied PutObject would. */
export class MemoryStorage implements ObjectStorage {
  readonly objects = new Map<string, Uint8Array>();
  failPuts = false;

  constructor(objects: Record<string, string | Uint8Array> = {}) {
    for (const [uri, body] of Object.entries(objects)) {
      this.objects.set(uri, typeof body === 'string' ? new TextEncoder().encode(body) : body);
    }
  }

  async get(uri: string): Promise<Uint8Array | undefined> {
    return this.objects.get(uri);
  }

  async put(uri: string, bytes: Uint8Array): Promise<void> {
    if (this.failPuts) throw new Error(`denied: ${uri}`);
    this.objects.set(uri, bytes);
  }

  text(uri: string): string | undefined {
    const bytes = this.objects.get(uri);
    return bytes === undefined ? undefined : new TextDecoder().decode(bytes);
  }
}

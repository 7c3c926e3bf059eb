import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback HTTP proxy that makes an S3-compatible test server enforce conditional writes.
 *
 * s3rver accepts `If-None-Match` and `If-Match` on PUT but ignores them, so a create-only or
 * compare-and-swap test against it alone would pass whatever the code did. Real S3 evaluates those
 * conditions atomically and answers 412 PreconditionFailed. This proxy does the same in front of the
 * server: every write to a key (PUT, POST, DELETE) holds that key's lock exclusively; a conditional PUT
 * first asks the server for the key's current ETag (HEAD) and answers 412 with S3's error body when the
 * condition fails, otherwise forwards the request untouched (headers and signature included) and holds
 * the lock until the server has answered. Reads of a key (GET, HEAD) share its lock, so a read never
 * sees an object's bytes, ETag and metadata half-replaced (s3rver keeps them in three files; see
 * atomic-s3rver-store.ts). Listings pass straight through.
 *
 * It only serialises writes that go through it: point every client at the proxy, never at the server.
 */
export interface ConditionalProxy {
  readonly endpoint: string;
  /** How many conditional writes it refused with 412, by condition. */
  readonly refused: { ifNoneMatch: number; ifMatch: number };
  close(): Promise<void>;
}

/** Starts the proxy on 127.0.0.1 in front of `upstream` (e.g. `http://127.0.0.1:4568`). */
export async function startConditionalProxy(upstream: string): Promise<ConditionalProxy> {
  const target = new URL(upstream);
  const locks = new KeyLocks();
  const refused = { ifNoneMatch: 0, ifMatch: 0 };

  const forward = (req: IncomingMessage, res: ServerResponse) =>
    new Promise<void>((resolve) => {
      const headers = { ...req.headers };
      delete headers.expect; // this side already answered 100-continue; `expect` is never signed
      delete headers.connection;
      const upstreamReq = request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers },
        (upstreamRes) => {
          res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
          upstreamRes.pipe(res);
          upstreamRes.on('end', resolve);
          upstreamRes.on('error', () => resolve());
          // A client that goes away mid-body must not keep the key locked.
          res.on('close', () => {
            upstreamRes.destroy();
            resolve();
          });
        },
      );
      upstreamReq.on('error', (error) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`proxy could not reach ${upstream}: ${error.message}`);
        resolve();
      });
      req.pipe(upstreamReq);
    });

  /** The key's current ETag, or null if it does not exist. */
  const currentEtag = (path: string, host: string | undefined) =>
    new Promise<string | null>((resolve, reject) => {
      const head = request(
        { host: target.hostname, port: target.port, method: 'HEAD', path, headers: host ? { host } : {} },
        (res) => {
          res.resume();
          if (res.statusCode === 404) resolve(null);
          else if (res.statusCode === 200) resolve(String(res.headers.etag ?? ''));
          else reject(new Error(`HEAD ${path} answered ${res.statusCode}`));
        },
      );
      head.on('error', reject);
      head.end();
    });

  const refuse = async (
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    code: string,
    message: string,
    condition?: string,
  ) => {
    // Read the body first, as S3 does, so the client's connection stays usable.
    req.resume();
    await new Promise<void>((resolve) => {
      req.on('end', resolve);
      req.on('error', () => resolve());
    });
    const requestId = randomBytes(8).toString('hex').toUpperCase();
    const body =
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
      `<Error><Code>${code}</Code><Message>${message}</Message>` +
      (condition ? `<Condition>${condition}</Condition>` : '') +
      `<RequestId>${requestId}</RequestId><HostId>conditional-proxy</HostId></Error>`;
    res.writeHead(status, {
      'content-type': 'application/xml',
      'content-length': Buffer.byteLength(body),
      'x-amz-request-id': requestId,
    });
    res.end(body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const segments = url.pathname.split('/').filter(Boolean);
    const key = url.pathname; // path-style: /<bucket>/<key>
    const isObject = segments.length >= 2;
    if (!isObject || (req.method !== 'PUT' && req.method !== 'POST' && req.method !== 'DELETE')) {
      // Reads of one object wait for writes to it and hold them off until their body is sent, so a GET
      // sees the whole old or the whole new object, as on S3. Listings pass straight through.
      if (isObject) await locks.shared(key, () => forward(req, res));
      else await forward(req, res);
      return;
    }
    await locks.exclusive(key, async () => {
      const ifNoneMatch = req.headers['if-none-match'];
      const ifMatch = req.headers['if-match'];
      const isPutObject = req.method === 'PUT' && !url.searchParams.has('partNumber');
      if (isPutObject && (ifNoneMatch !== undefined || ifMatch !== undefined)) {
        if (ifNoneMatch !== undefined && ifNoneMatch !== '*') {
          await refuse(req, res, 501, 'NotImplemented', 'If-None-Match on PUT supports only "*"');
          return;
        }
        const etag = await currentEtag(url.pathname, req.headers.host);
        if (ifNoneMatch === '*' && etag !== null) {
          refused.ifNoneMatch += 1;
          await refuse(
            req,
            res,
            412,
            'PreconditionFailed',
            'At least one of the pre-conditions you specified did not hold',
            'If-None-Match',
          );
          return;
        }
        if (ifMatch !== undefined) {
          if (etag === null) {
            refused.ifMatch += 1;
            await refuse(req, res, 404, 'NoSuchKey', 'The specified key does not exist.');
            return;
          }
          if (ifMatch !== etag) {
            refused.ifMatch += 1;
            await refuse(
              req,
              res,
              412,
              'PreconditionFailed',
              'At least one of the pre-conditions you specified did not hold',
              'If-Match',
            );
            return;
          }
        }
      }
      await forward(req, res);
    });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: Error) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`conditional proxy failed: ${error.message}`);
    });
  });
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    refused,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Per-key readers-writer locks, granted in arrival order (a waiting write holds off later reads). */
class KeyLocks {
  private readonly keys = new Map<
    string,
    { readers: number; writer: boolean; queue: { write: boolean; grant: () => void }[] }
  >();

  shared<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.run(key, false, fn);
  }

  exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.run(key, true, fn);
  }

  private async run<T>(key: string, write: boolean, fn: () => Promise<T>): Promise<T> {
    let state = this.keys.get(key);
    if (!state) {
      state = { readers: 0, writer: false, queue: [] };
      this.keys.set(key, state);
    }
    const entry = state;
    await new Promise<void>((grant) => {
      entry.queue.push({ write, grant });
      this.drain(key);
    });
    try {
      return await fn();
    } finally {
      if (write) entry.writer = false;
      else entry.readers -= 1;
      this.drain(key);
    }
  }

  private drain(key: string): void {
    const state = this.keys.get(key);
    if (!state) return;
    for (let next = state.queue[0]; next && !state.writer; next = state.queue[0]) {
      if (next.write ? state.readers > 0 : false) break;
      state.queue.shift();
      if (next.write) state.writer = true;
      else state.readers += 1;
      next.grant();
    }
    if (!state.writer && state.readers === 0 && state.queue.length === 0) this.keys.delete(key);
  }
}

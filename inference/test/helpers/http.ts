import { type Agent, request } from 'node:http';
import { connect } from 'node:net';

/** A raw HTTP exchange's outcome; `error` is set when no response arrived (socket failure). */
export interface Exchange {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  readonly error?: string;
}

export interface SendOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
  readonly agent?: Agent;
}

/**
 * Sends one request with node:http (any method, raw bytes, any header), unlike fetch, which refuses
 * some methods and rewrites bodies.
 */
export function send(url: string, path: string, options: SendOptions = {}): Promise<Exchange> {
  const target = new URL(url);
  return new Promise((resolve) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path,
        method: options.method ?? 'GET',
        // node:http sends DELETE/OPTIONS/TRACE bodies unframed unless the length is given.
        headers:
          options.body === undefined
            ? options.headers
            : { 'content-length': String(Buffer.byteLength(options.body)), ...options.headers },
        agent: options.agent,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        res.on('error', (e) => resolve({ status: 0, headers: {}, body: '', error: e.message }));
      },
    );
    req.on('error', (e) => resolve({ status: 0, headers: {}, body: '', error: e.message }));
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** POSTs a JSON value to `path`. */
export function postJson(url: string, path: string, value: unknown, agent?: Agent): Promise<Exchange> {
  return send(url, path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(value),
    ...(agent ? { agent } : {}),
  });
}

/** Writes raw bytes on a fresh TCP connection and returns everything the server sent back. */
export function rawExchange(url: string, bytes: string | Buffer): Promise<string> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(target.port), target.hostname, () => socket.end(bytes));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString()));
    socket.on('error', reject);
  });
}

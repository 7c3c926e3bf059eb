import { randomUUID } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type AppResponse, errorBody, type InferenceApp } from './app.js';

export interface HttpServerOptions {
  readonly app: InferenceApp;
  /** Interface to bind. Default 127.0.0.1. */
  readonly host?: string;
  /** Port; 0 picks a free one. Default 8080. */
  readonly port?: number;
}

/** A listening local server. */
export interface HttpServerHandle {
  readonly server: Server;
  readonly host: string;
  readonly port: number;
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  /** Stops accepting connections and waits for in-flight requests to finish. */
  close(): Promise<void>;
}

// Bodies past the limit are read and thrown away (so the client still gets its 413) up to this many
// bytes; beyond it the connection is closed.
const DISCARD_LIMIT = 64 * 1024 * 1024;
const REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * Serves an InferenceApp over HTTP/1.1 with keep-alive, on loopback unless told otherwise.
 * @example const handle = await listen({ app, port: 0 }); console.log(handle.url);
 */
export async function listen(options: HttpServerOptions): Promise<HttpServerHandle> {
  const { app } = options;
  const host = options.host ?? '127.0.0.1';
  const maxBodyBytes = app.limits.maxBodyBytes;

  const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 30_000 }, (req, res) => {
    const path = pathOf(req.url);
    const headerId = req.headers['x-request-id'];
    const requestId = typeof headerId === 'string' && REQUEST_ID.test(headerId) ? headerId : randomUUID();
    const contentType = req.headers['content-type'];
    const method = req.method ?? 'GET';
    const declared = Number(req.headers['content-length']);

    if (declared > DISCARD_LIMIT) {
      res.shouldKeepAlive = false;
      send(res, app.payloadTooLarge({ method, path, contentType, requestId }, declared));
      return;
    }

    const chunks: Buffer[] = [];
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= maxBodyBytes) chunks.push(chunk);
      else if (bytes > DISCARD_LIMIT) {
        res.shouldKeepAlive = false;
        if (!res.headersSent) send(res, app.payloadTooLarge({ method, path, contentType, requestId }, bytes));
        req.destroy();
      }
    });
    req.on('error', () => {
      // The client went away mid-body; there is nobody to answer.
    });
    req.on('end', () => {
      if (res.headersSent) return;
      if (bytes > maxBodyBytes) {
        send(res, app.payloadTooLarge({ method, path, contentType, requestId }, bytes));
        return;
      }
      const body =
        chunks.length === 0
          ? ''
          : chunks.length === 1
            ? (chunks[0] as Buffer).toString()
            : Buffer.concat(chunks).toString();
      app.handle({ method, path, contentType, body, requestId }).then(
        (response) => send(res, response),
        // app.handle never rejects; this guards the server against a bug all the same.
        () =>
          send(res, { status: 500, headers: {}, body: errorBody('internal_error', 'unexpected failure') }),
      );
    });
  });

  // Malformed HTTP gets a JSON 4xx like every other rejection, not a bare socket close.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    const status = tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request';
    const body = tooLarge
      ? errorBody('payload_too_large', 'the request headers are too large; send smaller headers')
      : errorBody('invalid_request', 'the request is not valid HTTP/1.1');
    socket.end(rawResponse(status, body));
  });

  // CONNECT would otherwise close the socket without a word: answer it like any wrong method.
  server.on('connect', (_req, socket: Socket) => {
    const body = errorBody('method_not_allowed', 'CONNECT is not supported; this is not a proxy');
    socket.end(rawResponse('405 Method Not Allowed', body));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8080, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    server,
    host,
    port,
    url: `http://${urlHost}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

function rawResponse(status: string, body: string): string {
  return `HTTP/1.1 ${status}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}

function send(res: ServerResponse, response: AppResponse): void {
  // An explicit length avoids chunked encoding for these small, complete bodies.
  res.setHeader('content-length', Buffer.byteLength(response.body));
  res.writeHead(response.status, response.headers);
  res.end(response.body);
}

function pathOf(url: string | undefined): string {
  if (url === undefined) return '/';
  if (url.charCodeAt(0) !== 47 /* / */) {
    // Absolute-form (`http://host/path`) or `*`.
    try {
      return new URL(url).pathname;
    } catch {
      return url;
    }
  }
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

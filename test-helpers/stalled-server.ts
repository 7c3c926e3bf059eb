import { createServer, type Socket } from 'node:net';

/** A loopback TCP server that accepts connections, reads requests and never answers: a stalled endpoint. */
export interface StalledServer {
  readonly endpoint: string;
  /** Every connection opened so far (a retry opens another). */
  readonly sockets: ReadonlySet<Socket>;
  stop(): Promise<void>;
}

/** Starts a {@link StalledServer} on 127.0.0.1 at a free port. */
export async function startStalledServer(): Promise<StalledServer> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.resume(); // read the request, answer nothing
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    sockets,
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

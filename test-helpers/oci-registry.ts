// A real OCI registry on loopback for the image composition tests: Debian's docker-registry (distribution
// 2.8) with filesystem storage in a temp folder, behind a small proxy that makes tags immutable as in the
// stage's ECR repositories. CI installs it with `apt-get install -y docker-registry`.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  request,
  type ServerResponse,
} from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REGISTRY_BIN = '/usr/bin/docker-registry';

/** A running registry: `host` is `127.0.0.1:<port>`. */
export interface LocalRegistry {
  readonly host: string;
  /** Pushes to an existing tag the registry refused (immutable tags only). */
  readonly refusedTagPushes: number;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * Starts docker-registry on a free loopback port and waits until `/v2/` answers. With `immutableTags`
 * (the default, as the stage's repositories are IMMUTABLE) clients talk to a proxy that refuses a
 * manifest PUT to a tag that exists, even with the same digest, as ECR does.
 */
export async function startRegistry(options: { immutableTags?: boolean } = {}): Promise<LocalRegistry> {
  if (!existsSync(REGISTRY_BIN)) {
    throw new Error(`${REGISTRY_BIN} is missing: install it with \`apt-get install -y docker-registry\``);
  }
  const dir = await mkdtemp(join(tmpdir(), 'slipway-registry-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const config = join(dir, 'config.yml');
  await writeFile(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: error',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(dir, 'data')}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: ${host}`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(REGISTRY_BIN, ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`docker-registry exited with ${child.exitCode}: ${stderr}`);
    }
    const ok = await fetch(`http://${host}/v2/`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) {
      if (options.immutableTags === false) return { host, refusedTagPushes: 0, stop };
      const proxy = await startImmutableTagProxy(host);
      return {
        host: proxy.host,
        get refusedTagPushes() {
          return proxy.refused;
        },
        stop: async () => {
          await proxy.close();
          await stop();
        },
      };
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`docker-registry did not answer on ${host} within 15 s: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const TAG_PUT = /^\/v2\/(.+)\/manifests\/([^/]+)$/;

/**
 * A proxy in front of a registry that makes every tag immutable: a manifest PUT to an existing tag is
 * refused, even with the same digest, under a per-tag lock; everything else is forwarded untouched (Host
 * included, so upload Locations name the proxy).
 */
async function startImmutableTagProxy(
  upstream: string,
): Promise<{ host: string; readonly refused: number; close(): Promise<void> }> {
  const [upstreamHost, upstreamPort] = upstream.split(':') as [string, string];
  const locks = new Map<string, Promise<void>>();
  let refused = 0;

  const forward = (req: IncomingMessage, res: ServerResponse) =>
    new Promise<void>((resolve) => {
      const upstreamReq = request(
        { host: upstreamHost, port: upstreamPort, method: req.method, path: req.url, headers: req.headers },
        (upstreamRes) => {
          res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
          upstreamRes.pipe(res);
          upstreamRes.on('end', resolve);
          upstreamRes.on('error', () => resolve());
        },
      );
      upstreamReq.on('error', (error) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`proxy could not reach ${upstream}: ${error.message}`);
        resolve();
      });
      req.pipe(upstreamReq);
    });

  const tagExists = (path: string) =>
    new Promise<boolean>((resolve, reject) => {
      const head = request(
        {
          host: upstreamHost,
          port: upstreamPort,
          method: 'HEAD',
          path,
          headers: {
            accept: [
              'application/vnd.oci.image.index.v1+json',
              'application/vnd.oci.image.manifest.v1+json',
              'application/vnd.docker.distribution.manifest.list.v2+json',
              'application/vnd.docker.distribution.manifest.v2+json',
            ].join(', '),
          },
        },
        (res) => {
          res.resume();
          if (res.statusCode === 200) resolve(true);
          else if (res.statusCode === 404) resolve(false);
          else reject(new Error(`HEAD ${path} answered ${res.statusCode}`));
        },
      );
      head.on('error', reject);
      head.end();
    });

  const server = createHttpServer((req, res) => {
    const match =
      req.method === 'PUT' ? TAG_PUT.exec(new URL(req.url ?? '/', 'http://proxy').pathname) : null;
    const [, repository, reference] = match ?? [];
    if (repository === undefined || reference === undefined || reference.startsWith('sha256:')) {
      void forward(req, res);
      return;
    }
    const key = `${repository}:${reference}`;
    const previous = locks.get(key) ?? Promise.resolve();
    const mine = previous.then(async () => {
      // ECR refuses a push to an existing tag of an IMMUTABLE repository, whatever the digest
      // (https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html).
      if (await tagExists(`/v2/${repository}/manifests/${reference}`).catch(() => false)) {
        refused++;
        req.resume();
        const body = JSON.stringify({
          errors: [
            {
              code: 'TAG_INVALID',
              message: `The image tag '${reference}' already exists in the '${repository}' repository and cannot be overwritten because the repository is immutable.`,
            },
          ],
        });
        res.writeHead(400, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
        return;
      }
      await forward(req, res);
    });
    const settled = mine.catch(() => undefined);
    locks.set(key, settled);
    void settled.then(() => {
      if (locks.get(key) === settled) locks.delete(key);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    get refused() {
      return refused;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

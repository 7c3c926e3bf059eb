import { randomBytes, timingSafeEqual } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, isIP, isIPv4, isIPv6 } from 'node:net';
import { hostname, networkInterfaces, userInfo } from 'node:os';
import { gzipSync } from 'node:zlib';
import {
  DEFAULT_THRESHOLDS,
  errorMapping,
  MODEL_NAME,
  MODEL_NAME_RULE,
  ownRecord,
  PRODUCTION_ALIAS,
  wellFormedStrings,
} from '@slipway/contracts';
import type { ModelStore } from '@slipway/model-store';
import {
  type ExecutionHandle,
  type ExecutionInputDraft,
  type LocalPipeline,
  newExecutionId,
  readDefinitionText,
  storeDataset,
  storeUploadedDataset,
  thresholdOverridesSchema,
} from '@slipway/runner-local';
import { z } from 'zod';
import type {
  ConsoleEvent,
  ConsoleInfo,
  EndpointView,
  ExecutionSummary,
  ReportView,
  ServingView,
} from './api-types.js';
import { type Bundle, loadBundle, renderPage } from './assets.js';
import { ConsoleRequestError, ConsoleStartError } from './errors.js';
import { type DrawableDefinition, layoutDefinition } from './graph.js';
import { LocalExecutionSource } from './local-source.js';
import { listModelSummaries, modelDetail } from './models.js';
import { reportView, withApprovalLineage } from './review.js';
import type { ExecutionSource } from './source.js';

/** How `startConsole` is set up. */
export interface ConsoleOptions {
  /** The model store: models, reports and (locally) executions. Required unless `source` is given. */
  readonly store?: ModelStore;
  /** A local pipeline: runs started from the page execute in it, and its endpoint answers "try it". */
  readonly pipeline?: LocalPipeline;
  /** Where executions come from. Default: the local runtime's executions in `store`. */
  readonly source?: ExecutionSource;
  /** Default 8787; 0 picks a free port. */
  readonly port?: number;
  /** Default 127.0.0.1. Anything beyond loopback (0.0.0.0, a LAN address or name) needs `allowRemote`. */
  readonly host?: string;
  /**
   * Lets the console listen beyond loopback, where anyone who reaches it can approve, reject and roll
   * back. Default false: such a `host` is refused before anything listens.
   */
  readonly allowRemote?: boolean;
  /** Who approves, rejects and rolls back from this console. Default: the OS user. */
  readonly actor?: string;
  /** How often the store is polled for executions other processes run, while a page is open. Default 500 ms. */
  readonly pollMs?: number;
  /** Datasets a run can be started on. Default `builtin:sentiment`, `builtin:spam`. */
  readonly datasets?: readonly string[];
  /** Fills in runs started from the page (thresholds, hyperparameters, approval timeout). */
  readonly runDefaults?: Partial<Omit<ExecutionInputDraft, 'runId' | 'model' | 'dataset'>>;
  /** Unexpected errors (answered with a 500); default: written to stderr. */
  readonly onError?: (error: unknown) => void;
}

/** A running console. */
export interface ConsoleServer {
  /** e.g. `http://127.0.0.1:8787`. */
  readonly url: string;
  /** True when it listens beyond loopback (only with `allowRemote`). */
  readonly remote: boolean;
  /** The page of one execution. */
  executionUrl(id: string): string;
  /** Follows an execution this process runs, so the page sees each event at once (not at the next poll). */
  track(handle: ExecutionHandle): void;
  /** Stops listening, ends the live streams and polling. Leaves the store and pipeline to their owner. */
  close(): Promise<void>;
}

// What a Host header may name on a loopback console, besides the name it was started with.
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];
const MAX_BODY = 64 * 1024;
/** Uploaded dataset files, together (they travel base64-encoded: the request may be a third larger). */
const MAX_UPLOAD_BYTES = 48 * 1024 * 1024;
const MAX_UPLOAD_BODY = Math.ceil((MAX_UPLOAD_BYTES * 4) / 3) + MAX_BODY;
const GZIP_MIN = 1024;

const PAGES = [
  /^\/$/,
  /^\/executions\/[^/]+$/,
  /^\/executions\/[^/]+\/report$/,
  /^\/models$/,
  /^\/models\/[^/]+$/,
];

interface Reply {
  readonly status: number;
  readonly body: unknown;
}
type Params = readonly string[];
type Handler = (params: Params, body: unknown, url: URL) => Promise<Reply>;
interface Route {
  readonly method: 'GET' | 'POST';
  readonly pattern: RegExp;
  readonly handler: Handler;
  /** The largest request body; default MAX_BODY. */
  readonly maxBody?: number;
}

/** A dataset stored in the model store (an upload, or anything `slipway run` stored). */
const storedDatasetSchema = z
  .object({ name: z.string().min(1).max(128), sha256: z.string().regex(/^[0-9a-f]{64}$/) })
  .strict();
const uploadedFileSchema = z
  .object({
    name: z.string().min(1).max(255),
    /** The file's bytes, base64: the loader checks the encoding itself, as for a file on disk. */
    content: z.base64(),
  })
  .strict();
const uploadSchema = z
  .object({
    name: z.string().max(100).optional(),
    train: uploadedFileSchema,
    test: uploadedFileSchema.optional(),
  })
  .strict();
const startSchema = z
  .object({
    dataset: z.union([z.string().min(1), storedDatasetSchema]),
    model: z.string().regex(MODEL_NAME, MODEL_NAME_RULE).optional(),
    hyperparameters: ownRecord(z.string()).optional(),
    // The pipeline's own bounds; a threshold left out takes its default.
    thresholds: thresholdOverridesSchema.optional(),
    approvalTimeoutSeconds: z.number().int().min(1).max(2_147_483).optional(),
    commit: z.string().max(64).optional(),
    pullRequest: z
      .string()
      .regex(/^(\d{1,9})?$/)
      .optional(),
  })
  .strict();
const approveSchema = z.object({ comment: z.string().max(2000).default('') }).strict();
const rejectSchema = z
  .object({ reason: z.string().trim().min(1, 'say why the candidate is rejected').max(2000) })
  .strict();
const rollbackSchema = z
  .object({ expected: z.number().int().min(1), reason: z.string().max(2000).default('') })
  .strict();
const serveSchema = z.object({ model: z.string().min(1) }).strict();
const predictSchema = z
  .object({ model: z.string().min(1).optional(), texts: z.array(z.string()).min(1).max(64) })
  .strict();

/**
 * Starts the console: the page, its JSON API under `/api/`, and live updates by Server-Sent Events.
 * Binds 127.0.0.1 by default. Requests that change anything need the page's token (a random value per
 * start, embedded in the page) and must come from the console's own origin; any request naming another
 * host is refused, so a web page elsewhere can neither approve nor read (DNS rebinding included).
 * @example const console = await startConsole({ store, pipeline, port: 0 }); console.url
 */
export async function startConsole(options: ConsoleOptions): Promise<ConsoleServer> {
  const definition = JSON.parse(readDefinitionText()) as DrawableDefinition;
  const onError =
    options.onError ??
    ((error: unknown) => process.stderr.write(`console: ${(error as Error).stack ?? String(error)}\n`));
  const source =
    options.source ??
    (options.store
      ? new LocalExecutionSource(options.store, definition.States, {
          ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
          onError,
        })
      : undefined);
  if (!source) throw new ConsoleStartError('startConsole needs a store (or an execution source)');
  const ownsSource = options.source === undefined;
  const bundle = await loadBundle();
  const app = new ConsoleApp(options, source, bundle, layoutDefinition(definition), onError);

  const server = createServer((req, res) => void app.handle(req, res));
  server.keepAliveTimeout = 5_000;
  const host = options.host ?? '127.0.0.1';
  const address = await resolveHost(host);
  const remote = !isLoopbackAddress(address);
  if (remote && !options.allowRemote) {
    throw new ConsoleStartError(
      `the console would listen on ${host} (${address}), beyond loopback, where anyone who reaches it could ` +
        'approve and promote models; keep --host on 127.0.0.1, or pass --allow-remote to `slipway console` ' +
        'if you mean it',
    );
  }
  await listen(server, options.port ?? 8787, host);
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  app.bind(allowedHostNames(host, address), port);

  return {
    url,
    remote,
    executionUrl: (id) => `${url}/executions/${encodeURIComponent(id)}`,
    track: (handle) => {
      if (source instanceof LocalExecutionSource) source.track(handle);
      app.watchModels(handle);
    },
    close: async () => {
      app.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      if (ownsSource) await source.close();
    },
  };
}

/** The address `server.listen(port, host)` binds: `host` itself, or its first DNS answer (as listen does). */
async function resolveHost(host: string): Promise<string> {
  if (isIP(host)) return host;
  try {
    return (await lookup(host)).address;
  } catch (error) {
    throw new ConsoleStartError(
      `the console cannot listen on ${host}: no such host (${(error as Error).message})`,
      {
        cause: error,
      },
    );
  }
}

function isLoopbackAddress(address: string): boolean {
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return (isIPv4(v4) && v4.startsWith('127.')) || address === '::1';
}

/**
 * The host names a request may name in its Host header (without the port), normalised as URLs
 * normalise them: the name the console was started with; on loopback also `localhost`, `127.0.0.1` and
 * `[::1]`; on a wildcard address (0.0.0.0, ::) also this machine's name and interface addresses. Any
 * other name (a DNS name an attacker points here: rebinding) is refused.
 */
function allowedHostNames(host: string, address: string): Set<string> {
  const names = new Set<string>();
  const add = (name: string) => {
    const normal = hostnameOf(isIPv6(name) ? `[${name}]` : name);
    if (normal !== undefined) names.add(normal);
  };
  add(host);
  add(address);
  if (isLoopbackAddress(address) || address === '0.0.0.0' || address === '::') {
    for (const name of LOOPBACK_NAMES) add(name);
  }
  if (address === '0.0.0.0' || address === '::') {
    add(hostname());
    for (const nic of Object.values(networkInterfaces()).flat())
      if (nic) add(nic.address.split('%')[0] ?? '');
  }
  return names;
}

/** `host[:port]` parsed as a URL's authority: lowercased, IPv4 shorthand expanded (127.1 -> 127.0.0.1). */
function hostnameOf(authority: string): string | undefined {
  if (authority === '' || /[/?#@\\\s]/.test(authority)) return undefined;
  try {
    return new URL(`http://${authority}`).hostname;
  } catch {
    return undefined;
  }
}

/** True when a Host header names one of `names` on `port` (no port means 80, as in HTTP). */
function hostHeaderAllowed(header: string | undefined, names: ReadonlySet<string>, port: number): boolean {
  if (header === undefined || /[/?#@\\\s]/.test(header) || header === '') return false;
  try {
    const url = new URL(`http://${header}`);
    return names.has(url.hostname) && Number(url.port || 80) === port;
  } catch {
    return false;
  }
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) =>
      reject(
        new ConsoleStartError(
          error.code === 'EADDRINUSE'
            ? `port ${port} on ${host} is in use (another console?); stop it or pass --port <n> (0 picks a free port)`
            : `the console cannot listen on ${host}:${port}: ${error.message}`,
          { cause: error },
        ),
      );
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
}

/** The console's requests, routes and live streams. */
class ConsoleApp {
  private readonly token = randomBytes(32).toString('base64url');
  private readonly routes: Route[];
  private readonly streams = new Set<ServerResponse>();
  private readonly actor: string;
  private hosts: ReadonlySet<string> = new Set<string>();
  private port = 0;
  private unwatch: (() => void) | undefined;
  private modelsTimer: NodeJS.Timeout | undefined;
  private modelsCheck: NodeJS.Timeout | undefined;
  private modelsFingerprint = '';
  private checkingModels = false;
  private stopped = false;

  constructor(
    private readonly options: ConsoleOptions,
    private readonly source: ExecutionSource,
    private readonly bundle: Bundle,
    private readonly graph: unknown,
    private readonly onError: (error: unknown) => void,
  ) {
    this.actor = options.actor ?? osUser();
    const r = (method: Route['method'], pattern: RegExp, handler: Handler, maxBody?: number): Route => ({
      method,
      pattern,
      handler,
      ...(maxBody === undefined ? {} : { maxBody }),
    });
    this.routes = [
      r('GET', /^\/api\/info$/, async () => ok(this.info())),
      r('GET', /^\/api\/definition$/, async () => ok(this.graph)),
      r('GET', /^\/api\/executions$/, async () =>
        ok({ executions: (await this.source.list()).slice(0, 200) }),
      ),
      r('POST', /^\/api\/executions$/, async (_, body) => this.start(body)),
      r('POST', /^\/api\/datasets$/, async (_, body) => this.upload(body), MAX_UPLOAD_BODY),
      r('GET', /^\/api\/executions\/([^/]+)$/, async ([id]) =>
        ok(await withApprovalLineage(this.options.store, await this.source.detail(id as string))),
      ),
      r('GET', /^\/api\/executions\/([^/]+)\/report$/, async ([id]) => {
        const report = await this.source.report(id as string);
        if (!report)
          throw new ConsoleRequestError(404, 'no_report', `execution ${id} has no evaluation report (yet)`);
        const view: ReportView = await reportView(this.options.store, report);
        return ok(view);
      }),
      r('GET', /^\/api\/executions\/([^/]+)\/logs\/([^/]+)$/, async ([id, job]) =>
        ok({ job, text: await this.source.logs(id as string, job as string) }),
      ),
      r('POST', /^\/api\/executions\/([^/]+)\/approve$/, async ([id], body) => {
        const { comment } = parse(approveSchema, body);
        await this.source.approve(id as string, this.actor, comment);
        return ok({ id, decision: 'approve', by: this.actor, comment });
      }),
      r('POST', /^\/api\/executions\/([^/]+)\/reject$/, async ([id], body) => {
        const { reason } = parse(rejectSchema, body);
        await this.source.reject(id as string, this.actor, reason);
        return ok({ id, decision: 'reject', by: this.actor, reason });
      }),
      r('GET', /^\/api\/models$/, async () => ok({ models: await listModelSummaries(this.store()) })),
      r('GET', /^\/api\/models\/([^/]+)$/, async ([name], _, url) =>
        ok(await modelDetail(this.store(), name as string, { cursor: url.searchParams.get('cursor') })),
      ),
      r('POST', /^\/api\/models\/([^/]+)\/aliases\/([^/]+)\/rollback$/, async ([name, alias], body) => {
        const { expected, reason } = parse(rollbackSchema, body);
        const record = await this.store().rollbackAlias(name as string, alias as string, {
          expected,
          actor: this.actor,
          reason: reason || 'rolled back from the console',
        });
        this.scheduleModelsCheck();
        return ok({ alias: record.alias, version: record.version, previous: record.previous });
      }),
      r('GET', /^\/api\/serving$/, async (_, __, url) =>
        ok(await this.serving(url.searchParams.get('model') ?? undefined)),
      ),
      r('POST', /^\/api\/serving$/, async (_, body) => this.serve(body)),
      r('POST', /^\/api\/predict$/, async (_, body) => this.predict(body)),
    ];
  }

  /** Requests must name this server: a DNS name resolving here (rebinding) is refused. */
  bind(hosts: ReadonlySet<string>, port: number): void {
    this.hosts = hosts;
    this.port = port;
  }

  stop(): void {
    this.stopped = true;
    this.unwatch?.();
    this.unwatch = undefined;
    if (this.modelsTimer) clearInterval(this.modelsTimer);
    if (this.modelsCheck) clearTimeout(this.modelsCheck);
    for (const stream of this.streams) stream.end();
    this.streams.clear();
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://console.invalid');
      if (!hostHeaderAllowed(req.headers.host, this.hosts, this.port)) {
        throw new ConsoleRequestError(
          403,
          'forbidden',
          `this console answers only requests to ${[...this.hosts].map((h) => `${h}:${this.port}`).join(', ')}, ` +
            `not "${req.headers.host ?? ''}"`,
        );
      }
      const method = req.method ?? 'GET';
      if (method === 'GET' || method === 'HEAD') {
        if (url.pathname === '/api/events') return this.events(req, res);
        if (this.staticFile(req, res, url.pathname)) return;
      }
      const route = this.routes.find((r) => r.pattern.test(url.pathname) && r.method === methodFor(method));
      if (!route) {
        const known = this.routes.some((r) => r.pattern.test(url.pathname));
        throw known
          ? new ConsoleRequestError(405, 'method_not_allowed', `${method} is not allowed on ${url.pathname}`)
          : new ConsoleRequestError(404, 'not_found', `nothing at ${url.pathname}`);
      }
      let body: unknown;
      if (route.method === 'POST') {
        this.checkStateChange(req);
        body = await readJson(req, route.maxBody ?? MAX_BODY);
      }
      const params = (route.pattern.exec(url.pathname) ?? []).slice(1).map((p) => decodeURIComponent(p));
      const reply = await route.handler(params, body, url);
      this.json(req, res, reply.status, reply.body);
    } catch (error) {
      const known = asRequestError(error);
      if (!known) this.onError(error);
      const status = known?.status ?? 500;
      const body = {
        error: {
          code: known?.reason ?? 'internal',
          message: known?.message ?? 'the console failed on this request; its terminal shows why',
        },
      };
      if (!res.headersSent) this.json(req, res, status, body);
      else res.end();
    }
  }

  /** The per-page token, and a same-origin browser request (or a client that is not a browser). */
  private checkStateChange(req: IncomingMessage): void {
    const given = Buffer.from(String(req.headers['x-slipway-token'] ?? ''));
    const expected = Buffer.from(this.token);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new ConsoleRequestError(
        403,
        'forbidden',
        'this request lacks the page token; make changes from the console page itself (reload it if the console restarted)',
      );
    }
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${req.headers.host}`) {
      throw new ConsoleRequestError(403, 'forbidden', `requests from ${origin} may not change anything here`);
    }
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin') {
      throw new ConsoleRequestError(403, 'forbidden', `a ${site} request may not change anything here`);
    }
    if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) {
      throw new ConsoleRequestError(
        415,
        'unsupported_media_type',
        'send the request body as application/json',
      );
    }
  }

  private staticFile(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    const { script, style } = this.bundle;
    const asset = path === script.path ? script : path === style.path ? style : undefined;
    if (asset) {
      const gzip = acceptsGzip(req);
      res.writeHead(200, {
        'content-type': asset.contentType,
        'cache-control': 'public, max-age=31536000, immutable',
        'x-content-type-options': 'nosniff',
        vary: 'accept-encoding',
        ...(gzip ? { 'content-encoding': 'gzip' } : {}),
      });
      res.end(req.method === 'HEAD' ? undefined : gzip ? asset.gzip : asset.body);
      return true;
    }
    if (!PAGES.some((p) => p.test(path))) return false;
    const html = Buffer.from(renderPage(this.bundle, this.token));
    const gzip = acceptsGzip(req);
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy':
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      vary: 'accept-encoding',
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    });
    res.end(req.method === 'HEAD' ? undefined : gzip ? gzipSync(html) : html);
    return true;
  }

  private json(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
    const raw = Buffer.from(JSON.stringify(body));
    const gzip = raw.length >= GZIP_MIN && acceptsGzip(req);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      vary: 'accept-encoding',
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    });
    res.end(req.method === 'HEAD' ? undefined : gzip ? gzipSync(raw) : raw);
  }

  /** The live stream: a changed execution as soon as it is known, and a nudge when models moved. */
  private events(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
      connection: 'keep-alive',
    });
    res.write('retry: 1000\n\n');
    this.streams.add(res);
    if (this.streams.size === 1) this.startWatching();
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
    req.on('close', () => {
      clearInterval(ping);
      this.streams.delete(res);
      if (this.streams.size === 0) this.stopWatching();
    });
  }

  private broadcast(event: ConsoleEvent): void {
    const frame = `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
    for (const stream of this.streams) stream.write(frame);
  }

  private startWatching(): void {
    if (this.stopped) return;
    this.unwatch = this.source.watch((execution: ExecutionSummary) => {
      this.broadcast({ type: 'execution', execution });
      this.scheduleModelsCheck();
    });
    const interval = Math.max(250, (this.options.pollMs ?? 500) * 2);
    this.modelsTimer = setInterval(() => this.scheduleModelsCheck(), interval);
    this.scheduleModelsCheck();
  }

  private stopWatching(): void {
    this.unwatch?.();
    this.unwatch = undefined;
    if (this.modelsTimer) clearInterval(this.modelsTimer);
    this.modelsTimer = undefined;
  }

  /** Executions tracked in-process move aliases: look at the models after each of their events. */
  watchModels(handle: ExecutionHandle): void {
    const off = handle.journal.onEvent(() => this.scheduleModelsCheck());
    void handle.done.finally(() => off()).catch(() => undefined);
  }

  /** Compares aliases and what is served with the last look; tells the pages when they changed. */
  private scheduleModelsCheck(): void {
    if (this.modelsCheck || this.streams.size === 0 || !this.options.store) return;
    this.modelsCheck = setTimeout(async () => {
      this.modelsCheck = undefined;
      if (this.checkingModels) return;
      this.checkingModels = true;
      try {
        // Heartbeat times change every beat: only what is served where counts.
        const served = (await this.serving()).endpoints.map((e) => [
          e.model,
          e.version,
          e.url,
          e.by,
          e.workers,
        ]);
        const fingerprint = JSON.stringify([await listModelSummaries(this.store()), served]);
        if (this.modelsFingerprint && fingerprint !== this.modelsFingerprint)
          this.broadcast({ type: 'models' });
        this.modelsFingerprint = fingerprint;
      } catch (error) {
        this.onError(error);
      } finally {
        this.checkingModels = false;
      }
    }, 20);
  }

  private info(): ConsoleInfo {
    return {
      source: this.source.kind,
      store: this.options.store?.backend.uri ?? null,
      actor: this.actor,
      canStart:
        this.options.pipeline !== undefined &&
        this.source.kind === 'local' &&
        this.options.store !== undefined,
      datasets: this.datasets(),
      maxUploadBytes: MAX_UPLOAD_BYTES,
    };
  }

  private datasets(): readonly string[] {
    return this.options.datasets ?? ['builtin:sentiment', 'builtin:spam'];
  }

  private store(): ModelStore {
    if (!this.options.store)
      throw new ConsoleRequestError(
        404,
        'no_store',
        'this console has no model store; start it with --store <uri>',
      );
    return this.options.store;
  }

  private async start(body: unknown): Promise<Reply> {
    const { pipeline, store } = this.options;
    if (!pipeline || !store || this.source.kind !== 'local') {
      throw new ConsoleRequestError(
        409,
        'cannot_start',
        'this console runs no local pipeline; start runs with `slipway run` or `slipway console`',
      );
    }
    const request = parse(startSchema, body);
    let dataset: { readonly name: string; readonly sha256: string };
    if (typeof request.dataset === 'string') {
      if (!this.datasets().includes(request.dataset)) {
        throw new ConsoleRequestError(
          400,
          'bad_request',
          `dataset must be one of ${this.datasets().join(', ')}, or one stored in the model store ({name, sha256}, e.g. uploaded with POST /api/datasets)`,
        );
      }
      dataset = (await storeDataset(store, request.dataset)).dataset;
    } else {
      // Only a dataset the store holds whole: its manifest and both files, checked against it.
      await store.getDataset(request.dataset.name, request.dataset.sha256);
      dataset = request.dataset;
    }
    const defaults = this.options.runDefaults ?? {};
    const id = newExecutionId();
    const input: ExecutionInputDraft = {
      ...defaults,
      model: request.model ?? dataset.name.replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, ''),
      runId: id,
      dataset: { name: dataset.name, sha256: dataset.sha256 },
      ...(request.hyperparameters ? { hyperparameters: request.hyperparameters } : {}),
      thresholds: {
        ...DEFAULT_THRESHOLDS,
        ...defaults.thresholds,
        ...request.thresholds,
      },
      ...(request.approvalTimeoutSeconds ? { approvalTimeoutSeconds: request.approvalTimeoutSeconds } : {}),
      git: { commit: request.commit ?? '', pullRequest: request.pullRequest ?? '' },
      trigger: 'console',
    };
    let handle: ExecutionHandle;
    try {
      handle = await pipeline.runtime.start(input, id);
    } catch (error) {
      throw asRequestError(error) ?? error;
    }
    (this.source as LocalExecutionSource).track(handle);
    this.watchModels(handle);
    handle.done.catch((error: unknown) => this.onError(error));
    return { status: 201, body: { id } };
  }

  /**
   * Uploaded files become a dataset version, checked by the loader `slipway run --data` uses; nothing is
   * stored unless every check passes. The run is started afterwards with `{dataset: {name, sha256}}`.
   */
  private async upload(body: unknown): Promise<Reply> {
    const { store } = this.options;
    if (!this.options.pipeline || !store || this.source.kind !== 'local') {
      throw new ConsoleRequestError(
        409,
        'cannot_start',
        'this console runs no local pipeline; store data with `slipway run --data <file>`',
      );
    }
    const request = parse(uploadSchema, body);
    const file = (f: { name: string; content: string }) => ({
      name: f.name,
      content: Buffer.from(f.content, 'base64'),
    });
    const train = file(request.train);
    const test = request.test ? file(request.test) : undefined;
    if (train.content.length + (test?.content.length ?? 0) > MAX_UPLOAD_BYTES) {
      throw new ConsoleRequestError(
        413,
        'too_large',
        `uploads are limited to ${MAX_UPLOAD_BYTES / 1024 / 1024} MB of files; store larger datasets with \`slipway run --data <file>\``,
      );
    }
    const name = request.name?.trim();
    const stored = await storeUploadedDataset(store, { train, test }, name ? { name } : {});
    const { dataset } = stored;
    return {
      status: stored.created ? 201 : 200,
      body: {
        dataset: { name: dataset.name, sha256: dataset.sha256 },
        created: stored.created,
        rows: { train: dataset.train.length, test: dataset.test.length },
        classes: dataset.classes,
        warning: stored.longTexts?.replace(/^warning\s+/, '') ?? null,
      },
    };
  }

  /** Every endpoint (of one model): this console's own, and the `slipway serve` processes that announced themselves. */
  private async serving(model?: string): Promise<ServingView> {
    const pipeline = this.options.pipeline;
    const canServe = pipeline !== undefined;
    const own: EndpointView[] = [...(pipeline?.inferenceServers ?? new Map()).entries()]
      .filter(([name]) => model === undefined || name === model)
      .map(([name, server]) => ({
        model: name,
        version: server.model.version,
        url: server.url,
        by: 'console' as const,
        alias: PRODUCTION_ALIAS,
        example: server.app.exampleText,
        host: null,
        pid: null,
        workers: null,
        updatedAt: null,
      }));
    const announced: EndpointView[] = [];
    if (this.options.store) {
      const store = this.options.store;
      const models = model === undefined ? await store.listModels() : [model];
      for (const name of models) {
        const servers = await store.servers.list(name).catch(() => []);
        for (const a of servers) {
          // This console's own endpoints announce themselves too: listed once, as its own.
          if (own.some((e) => e.url === a.url)) continue;
          announced.push({
            model: a.model,
            version: a.version,
            url: a.url,
            by: 'announced',
            alias: a.alias,
            example: null,
            host: a.host,
            pid: a.pid,
            workers: a.workers,
            updatedAt: a.updatedAt,
          });
        }
      }
    }
    const endpoints = [...own, ...announced];
    return {
      endpoints,
      note:
        endpoints.length > 0
          ? null
          : canServe
            ? 'no model served yet: approve a run to promote one, serve the production version below, or run `slipway serve --store`'
            : 'no model served: no `slipway serve` process announces itself in this store',
      canServe,
    };
  }

  private async serve(body: unknown): Promise<Reply> {
    const { model } = parse(serveSchema, body);
    const pipeline = this.options.pipeline;
    if (!pipeline) throw new ConsoleRequestError(409, 'cannot_serve', 'this console runs no local endpoint');
    try {
      await this.store().getAlias(model, PRODUCTION_ALIAS);
      await pipeline.serve(model);
    } catch (error) {
      const known = asRequestError(error);
      if (known) throw known;
      throw new ConsoleRequestError(
        409,
        'cannot_serve',
        `cannot serve ${model}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    this.scheduleModelsCheck();
    return ok(await this.serving(model));
  }

  /** The served model, through this origin (the endpoint is another port: no CORS needed). */
  private async predict(body: unknown): Promise<Reply> {
    const { model, texts } = parse(predictSchema, body);
    const servers = this.options.pipeline?.inferenceServers ?? new Map();
    if (model === undefined && servers.size > 1) {
      throw new ConsoleRequestError(
        400,
        'bad_request',
        `this console serves ${[...servers.keys()].join(', ')}: say which model to ask ("model")`,
      );
    }
    const server = model === undefined ? servers.values().next().value : servers.get(model);
    if (!server) {
      throw new ConsoleRequestError(
        409,
        'not_serving',
        model === undefined ? 'no model is served yet' : `this console does not serve ${model} (yet)`,
      );
    }
    const response = await fetch(`${server.url}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ texts }),
      signal: AbortSignal.timeout(10_000),
    });
    return { status: response.status, body: await response.json() };
  }
}

const ok = (body: unknown): Reply => ({ status: 200, body });

function methodFor(method: string): string {
  return method === 'HEAD' ? 'GET' : method;
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

function acceptsGzip(req: IncomingMessage): boolean {
  return /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
  throw new ConsoleRequestError(400, 'bad_request', `the request is not valid: ${problems.join('; ')}`);
}

async function readJson(req: IncomingMessage, maxBody: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  const tooLarge = () =>
    new ConsoleRequestError(
      413,
      'too_large',
      maxBody > MAX_BODY
        ? `uploads are limited to ${MAX_UPLOAD_BYTES / 1024 / 1024} MB of files; store larger datasets with \`slipway run --data <file>\``
        : `request bodies are limited to ${maxBody} bytes`,
    );
  if (declared > maxBody) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBody) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text, wellFormedStrings);
  } catch {
    throw new ConsoleRequestError(400, 'bad_request', 'the request body is not valid JSON');
  }
}

/**
 * Slipway's errors as HTTP answers, by their code in contracts' error table; anything else is a bug
 * (a 500 whose cause goes to the terminal). The answer's `error.code` is the web page's word for the
 * status.
 */
function asRequestError(error: unknown): ConsoleRequestError | undefined {
  if (error instanceof ConsoleRequestError) return error;
  const known = errorMapping(error);
  if (!known) return undefined;
  const reason = REASONS[known.status] ?? 'failed';
  return new ConsoleRequestError(known.status, reason, (error as Error).message, { cause: error });
}

const REASONS: Readonly<Record<number, string>> = {
  400: 'bad_request',
  404: 'not_found',
  409: 'conflict',
  502: 'upstream_failed',
  503: 'unavailable',
};

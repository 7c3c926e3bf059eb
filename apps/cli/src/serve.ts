import cluster, { type Worker } from 'node:cluster';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PRODUCTION_ALIAS } from '@slipway/contracts';
import { type Command, InvalidArgumentError } from 'commander';
import { UsageError } from './exit-codes.js';
import { type Io, Output } from './output.js';

/** Options of `slipway serve`, as commander parses them. */
interface ServeOptions {
  readonly model?: string;
  readonly store?: string;
  readonly name?: string;
  readonly alias: string;
  readonly host: string;
  readonly port: number;
  readonly pollMs: number;
  readonly cacheDir?: string;
  readonly maxBodyBytes?: number;
  readonly maxTextChars?: number;
  readonly maxBatchSize?: number;
  readonly metrics?: boolean;
  readonly metricsNamespace: string;
  readonly serviceName: string;
  readonly logLevel: string;
  readonly logText?: boolean;
  readonly json?: boolean;
  readonly workers: number;
}

/** Set in a worker process's environment: the serve options, as JSON, and the worker's number. */
const WORKER_OPTIONS = 'SLIPWAY_SERVE_WORKER_OPTIONS';
const WORKER_NUMBER = 'SLIPWAY_SERVE_WORKER_NUMBER';

/**
 * What a worker tells the primary: it listens, it could not start (its error, to rethrow), or it now
 * serves another version (so the primary can say when the whole pool has swapped).
 */
type WorkerMessage =
  | { readonly type: 'slipway-serve-listening'; readonly description: ServerDescription }
  | { readonly type: 'slipway-serve-failed'; readonly message: string; readonly code?: string }
  | {
      readonly type: 'slipway-serve-swapped';
      readonly from: ModelName;
      readonly to: ModelName;
      readonly loadMs: number;
    };

interface ModelName {
  readonly name: string;
  readonly version: number | null;
}

interface ServerDescription {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly model: ModelName;
  readonly source: string;
  readonly watchable: boolean;
  readonly loadMs: number;
  /** A curl line that classifies the served model's first self-test text. */
  readonly curl: string;
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost)$/;

/** True when `host` only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}

function integer(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    }
    return n;
  };
}

/** `slipway serve`: the inference endpoint on this machine, hot-swapping when a store alias moves. */
export function serveCommands(program: Command, io: Io): void {
  program
    .command('serve')
    .description(
      'Serve a model over HTTP on 127.0.0.1 (POST /predict, POST /, GET /health, /openapi.json, /docs); with --store it follows an alias and hot-swaps when it moves',
    )
    .option('--model <dir>', 'a model folder written by slipway train')
    .option(
      '--store <uri>',
      'a model store (file://…, ./path or s3://…) to serve an alias from (default: $SLIPWAY_STORE)',
    )
    .option('--name <model>', 'model name in the store (default: the only model in it)')
    .option('--alias <alias>', 'alias to serve and watch', PRODUCTION_ALIAS)
    .option('--host <host>', 'interface to bind; anything but loopback exposes the service', '127.0.0.1')
    .option('--port <port>', 'port; 0 picks a free one', integer(0, 65535), 8080)
    .option('--poll-ms <ms>', 'how often the alias is checked', integer(50, 3_600_000), 500)
    .option(
      '--cache-dir <dir>',
      'where store versions are written (default: a temporary folder, removed on exit)',
    )
    .option('--max-body-bytes <n>', 'largest request body (default 1048576)', integer(1, 2 ** 31))
    .option('--max-text-chars <n>', 'longest text (default 10000)', integer(1, 2 ** 31))
    .option('--max-batch-size <n>', 'most texts per request (default 64)', integer(1, 100_000))
    .option('--metrics', 'print CloudWatch embedded-metric (EMF) lines to stdout for every request')
    .option('--metrics-namespace <ns>', 'EMF namespace', 'slipway')
    .option('--service-name <name>', 'EMF Service dimension', 'inference')
    .option('--log-level <level>', 'debug, info, warn or error (logs go to stdout/stderr as JSON)', 'warn')
    .option('--log-text', 'include input texts in request logs (off: texts may be personal data)')
    .option('--json', 'print the server description as JSON once listening')
    .option(
      '--workers <n>',
      'server processes sharing the port, each with its own model session (default: one per core)',
      integer(1, 256),
      availableParallelism(),
    )
    .action(async (opts: ServeOptions) => {
      if (opts.workers > 1) await serveWithWorkers(opts, io);
      else await serve(opts, io);
    });
}

/** The worker entry beside this module: `.ts` when running from the sources, `.js` (or `.mjs`) built. */
function workerEntry(): { exec: string; execArgv: string[] } {
  const here = fileURLToPath(import.meta.url);
  const exec = join(here, '..', `serve-worker${extname(here)}`);
  // Keep the loader flags (tsx, export conditions) but not an --eval that started the primary; the
  // TypeScript sources need tsx even when this process got them some other way (vitest).
  const execArgv: string[] = extname(here) === '.ts' ? ['--conditions=source', '--import', 'tsx'] : [];
  const args = process.execArgv;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '-e' || arg === '--eval' || arg === '-p' || arg === '--print') i++;
    else if (!arg.startsWith('--input-type') && !arg.startsWith('--eval=')) execArgv.push(arg);
  }
  return { exec, execArgv };
}

/**
 * `--workers n`: n processes (node:cluster) serve the same port, each loading and self-testing the
 * model and following the alias on its own, as gunicorn's workers do; this process hands them new
 * connections in turn (node:cluster's default on Linux). It also starts them, prints where they listen
 * and stops them on Ctrl-C/SIGTERM.
 */
async function serveWithWorkers(given: ServeOptions, io: Io): Promise<void> {
  const opts = validate(given);
  const out = new Output(io, Boolean(opts.json));
  cluster.setupPrimary(workerEntry());
  const workers: Worker[] = [];
  let stopping = false;
  const exits: Promise<number>[] = [];
  let announced: Announcement | undefined;
  const pool = new PoolVersions(opts.workers, (from, to, loadMs) => {
    out.info(
      `swapped   ${describe(from)} -> ${describe(to)} (loaded and self-tested in ${Math.round(loadMs)} ms; all ${opts.workers} workers serve it)`,
    );
    void announced?.update(to.version);
  });
  // Every worker listens with the same arguments, so node:cluster hands them one shared socket (with
  // --port 0, one free port for all).
  const fork = (number: number) => {
    const worker = cluster.fork({ [WORKER_OPTIONS]: JSON.stringify(opts), [WORKER_NUMBER]: String(number) });
    workers[number - 1] = worker;
    exits.push(new Promise<number>((done) => worker.once('exit', (code) => done(code ?? 1))));
    return new Promise<ServerDescription>((done, fail) => {
      worker.on('message', (message: WorkerMessage) => {
        if (message?.type === 'slipway-serve-listening') {
          pool.serves(number, message.description.model, message.description.loadMs);
          done(message.description);
        } else if (message?.type === 'slipway-serve-swapped') {
          pool.serves(number, message.to, message.loadMs);
        } else if (message?.type === 'slipway-serve-failed')
          fail(new ServeWorkerError(message.message, message.code));
      });
      worker.once('exit', (code, signal) => {
        fail(
          new ServeWorkerError(
            `serve worker ${number} stopped before listening (exit ${code ?? signal}); its error is above`,
          ),
        );
      });
    });
  };
  // Listened for before the first fork: Ctrl-C or SIGTERM while the workers start stops them too,
  // instead of ending this process and leaving them to fail on their own.
  const signalled = stopSignal();
  let description: ServerDescription;
  try {
    const orStop = <T>(starting: Promise<T>): Promise<T> =>
      Promise.race([
        starting,
        signalled.then((signal): never => {
          throw new StoppedWhileStarting(signal);
        }),
      ]);
    // The first worker starts alone and serves as soon as it listens; the others start then. Started
    // together, they shared the cores while loading and the first answer came later (a worker's start
    // is all CPU: modules, onnxruntime, the model and its self-test).
    description = await orStop(fork(1));
    await orStop(Promise.all(Array.from({ length: opts.workers - 1 }, (_, i) => fork(i + 2))));
  } catch (error) {
    stopping = true;
    for (const worker of workers) worker?.process.kill('SIGTERM');
    await Promise.all(exits);
    if (!(error instanceof StoppedWhileStarting)) throw error;
    out.info(`${error.signal}: stopped before serving`);
    return;
  }
  // The pool announces itself once, from here, with the version every worker serves; announced before
  // it says it listens, so whoever reads that finds it in the store.
  announced = await announce(opts, description, opts.workers, out);
  printListening(out, description, opts, opts.workers);
  pool.started(description.model);

  // A worker that dies while serving is replaced, as gunicorn does; the others keep serving meanwhile.
  cluster.on('exit', (worker, code, signal) => {
    const number = workers.indexOf(worker) + 1;
    if (stopping || number === 0) return;
    out.info(`warning   serve worker ${number} stopped (${code ?? signal}); starting another`);
    fork(number).catch((error: Error) => out.info(`warning   ${error.message}`));
  });

  const signal = await signalled;
  stopping = true;
  out.info(`${signal}: finishing in-flight requests`);
  for (const worker of workers) worker.process.kill('SIGTERM');
  await Promise.all(exits);
  await announced?.stop();
  out.info('stopped');
}

/** Ctrl-C or SIGTERM arrived while the pool's workers were starting. */
class StoppedWhileStarting extends Error {
  constructor(readonly signal: string) {
    super(`${signal} while the serve workers were starting`);
  }
}

/** A serve worker process could not start: its error's message, and its code (so the same exit). */
class ServeWorkerError extends Error {
  override readonly name = 'ServeWorkerError';

  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/**
 * Runs in a worker process (serve-worker.ts): one server with the options the primary passed on.
 * If it cannot start, the primary gets the error to report (and exit by) and this process ends.
 */
export async function serveAsWorker(io: Io): Promise<void> {
  const opts = JSON.parse(process.env[WORKER_OPTIONS] ?? '{}') as ServeOptions;
  const number = Number(process.env[WORKER_NUMBER] ?? 1);
  const send = (message: WorkerMessage) =>
    new Promise<void>((done) => (process.send ? process.send(message, () => done()) : done()));
  try {
    await serve({ ...opts, workers: 1 }, io, { number, send: (m) => void send(m) });
  } catch (error) {
    const { message, code } = error as { message?: unknown; code?: unknown };
    await send({
      type: 'slipway-serve-failed',
      message: String(message ?? error),
      ...(typeof code === 'string' ? { code } : {}),
    });
    process.exitCode = 1;
  }
  // Stopped (or failed); the open channel to the primary is all that keeps the process alive.
  process.disconnect?.();
}

/** Fills --store from $SLIPWAY_STORE and checks the options every mode needs. */
function validate(given: ServeOptions): ServeOptions {
  const envStore = process.env.SLIPWAY_STORE;
  const opts =
    given.model === undefined && given.store === undefined && envStore
      ? { ...given, store: envStore }
      : given;
  if ((opts.model === undefined) === (opts.store === undefined)) {
    throw new UsageError('give either --model <dir> or --store <uri> (with --alias), not both or neither');
  }
  if (!['DEBUG', 'INFO', 'WARN', 'ERROR'].includes(opts.logLevel.toUpperCase())) {
    throw new UsageError(`--log-level must be debug, info, warn or error, not "${opts.logLevel}"`);
  }
  return opts;
}

/** In a worker process: its number (1 reports model events) and the channel to the primary. */
interface WorkerRole {
  readonly number: number;
  readonly send: (message: WorkerMessage) => void;
}

async function serve(given: ServeOptions, io: Io, worker?: WorkerRole): Promise<void> {
  const opts = validate(given);
  const logLevel = opts.logLevel.toUpperCase();
  const out = new Output(io, Boolean(opts.json));
  // Only the first worker speaks for the pool: the others load the same versions.
  const quiet = worker !== undefined && worker.number > 1;
  if (!isLoopback(opts.host) && worker === undefined) {
    out.info(
      `warning: binding ${opts.host} makes the service reachable from other machines; it has no authentication`,
    );
  }
  // Loaded here, not at the top: other commands should not pay for onnxruntime and the store.
  const [{ startInferenceServer, folderSource, storeAliasSource, curlCommand }, { openModel }] =
    await Promise.all([import('@slipway/inference'), import('@slipway/training-job/serving')]);

  let source: import('@slipway/inference').ModelSource;
  let cleanup = async () => {};
  let closeStore = async () => {};
  if (opts.model !== undefined) {
    source = folderSource(resolve(opts.model));
  } else {
    const { openStore } = await import('@slipway/model-store');
    const uri = opts.store as string;
    const store = await openStore(uri);
    closeStore = () => store.close();
    const name = opts.name ?? (await onlyModel(store, uri));
    // Workers each write their own copies: two writers of one version folder would race.
    let cacheDir =
      opts.cacheDir === undefined
        ? undefined
        : worker === undefined
          ? resolve(opts.cacheDir)
          : join(resolve(opts.cacheDir), `worker-${worker.number}`);
    if (cacheDir !== undefined) await mkdir(cacheDir, { recursive: true });
    if (cacheDir === undefined) {
      const temp = await mkdtemp(join(tmpdir(), 'slipway-serve-'));
      cacheDir = temp;
      cleanup = () => rm(temp, { recursive: true, force: true });
    }
    source = storeAliasSource({ store, name, alias: opts.alias, cacheDir, storeDescription: uri });
  }

  const limits = {
    ...(opts.maxBodyBytes === undefined ? {} : { maxBodyBytes: opts.maxBodyBytes }),
    ...(opts.maxTextChars === undefined ? {} : { maxTextChars: opts.maxTextChars }),
    ...(opts.maxBatchSize === undefined ? {} : { maxBatchSize: opts.maxBatchSize }),
  };
  let server: Awaited<ReturnType<typeof startInferenceServer>>;
  let announced: Announcement | undefined;
  try {
    server = await startInferenceServer({
      source,
      open: openModel,
      host: opts.host,
      port: opts.port,
      limits,
      pollMs: opts.pollMs,
      metrics: opts.metrics ? { namespace: opts.metricsNamespace, service: opts.serviceName } : false,
      logLevel: logLevel as 'WARN',
      logText: Boolean(opts.logText),
      onEvent: (event) => {
        // In a pool each worker swaps on its own; the primary says so once every worker has.
        if (event.type === 'swapped' && worker) {
          worker.send({
            type: 'slipway-serve-swapped',
            from: event.from,
            to: event.to,
            loadMs: event.loadMs,
          });
          return;
        }
        if (quiet) return;
        if (event.type === 'swapped') {
          void announced?.update(event.to.version);
          out.info(
            `swapped   ${describe(event.from)} -> ${describe(event.to)} (loaded and self-tested in ${Math.round(event.loadMs)} ms)`,
          );
        } else if (event.type === 'refused') {
          out.info(
            `refused   version ${event.key}; still serving ${describe(server.model)}: ${event.error.message}`,
          );
        } else {
          out.info(`warning   ${event.error.message}; still serving ${describe(server.model)}, retrying`);
        }
      },
    });
  } catch (error) {
    await closeStore();
    await cleanup();
    throw error;
  }

  const description: ServerDescription = {
    url: server.url,
    host: server.host,
    port: server.port,
    model: server.model,
    source: source.description,
    watchable: source.watchable,
    loadMs: Math.round(server.loadMs),
    curl: curlCommand(`${server.url}/predict`, { text: server.app.exampleText }),
  };
  if (worker) worker.send({ type: 'slipway-serve-listening', description });
  else {
    announced = await announce(opts, description, 1, out);
    printListening(out, description, opts, 1);
  }

  // A worker whose primary is gone (killed outright) stops too instead of serving on alone.
  const orphaned = () => process.kill(process.pid, 'SIGTERM');
  if (worker) process.once('disconnect', orphaned);
  const signal = await stopSignal();
  process.off('disconnect', orphaned);
  if (worker) {
    // The terminal's Ctrl-C reaches the workers and the primary's SIGTERM follows: finish, don't die.
    process.on('SIGINT', () => {});
    process.on('SIGTERM', () => {});
  }
  if (!worker) out.info(`${signal}: finishing in-flight requests`);
  await server.close();
  await announced?.stop();
  await closeStore();
  await cleanup();
  if (!worker) out.info('stopped');
}

/** A server's record in the store while it serves (see `ServerAnnouncements` in the model store). */
interface Announcement {
  update(version: number | null): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Announces a server of a store alias in that store (`models/<model>/servers/<id>.json`), renewed as a
 * heartbeat and removed on a clean stop, so `slipway console` can show which version is served where.
 * Serving never depends on it: a store that refuses the write gets a warning, nothing more.
 */
async function announce(
  opts: ServeOptions,
  d: ServerDescription,
  workers: number,
  out: Output,
): Promise<Announcement | undefined> {
  if (opts.store === undefined) return undefined;
  const { openStore, startHeartbeat } = await import('@slipway/model-store');
  const store = await openStore(opts.store);
  let warned = false;
  const onError = (error: unknown) => {
    if (warned) return;
    warned = true;
    out.info(
      `warning   cannot announce this server in ${opts.store} (${(error as Error).message}); it serves on, but consoles will not list it`,
    );
  };
  try {
    const beat = await startHeartbeat(
      store.servers,
      { url: d.url, model: d.model.name, alias: opts.alias, version: d.model.version, port: d.port, workers },
      { onError },
    );
    return {
      update: (version) => beat.update(version),
      stop: async () => {
        await beat.stop();
        await store.close();
      },
    };
  } catch (error) {
    onError(error);
    await store.close();
    return undefined;
  }
}

/** Resolves with the name of the first SIGINT or SIGTERM; a second Ctrl-C then ends the process at once. */
function stopSignal(): Promise<string> {
  return new Promise<string>((done) => {
    const onInt = () => stop('SIGINT');
    const onTerm = () => stop('SIGTERM');
    const stop = (name: string) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      done(name);
    };
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
}

function printListening(out: Output, d: ServerDescription, opts: ServeOptions, workers: number): void {
  if (!isLoopback(opts.host) && workers > 1) {
    out.info(
      `warning: binding ${opts.host} makes the service reachable from other machines; it has no authentication`,
    );
  }
  const { curl } = d;
  out.result(
    {
      url: d.url,
      host: d.host,
      port: d.port,
      model: d.model,
      source: d.source,
      loadMs: d.loadMs,
      workers,
      docs: `${d.url}/docs`,
      curl,
    },
    () =>
      [
        `serving   ${describe(d.model)} from ${d.source} (loaded and self-tested in ${d.loadMs} ms)`,
        `url       ${d.url}`,
        ...(workers > 1 ? [`workers   ${workers} processes share the port (--workers to change)`] : []),
        `docs      ${d.url}/docs`,
        `try       ${curl}`,
        d.watchable ? `watching  ${d.source} every ${opts.pollMs} ms; Ctrl-C stops` : 'Ctrl-C stops',
      ].join('\n'),
  );
}

/**
 * Which version each worker of a pool serves. Workers follow the alias on their own, so for a while
 * some serve the new version and some the old: a swap is announced only once all of them serve it,
 * so that "swapped" means every request from then on gets the new version.
 */
class PoolVersions {
  readonly #serving = new Map<number, ModelName>();
  readonly #loadMs = new Map<number, number>();
  #announced: ModelName | undefined;

  constructor(
    private readonly size: number,
    private readonly announce: (from: ModelName, to: ModelName, loadMs: number) => void,
  ) {}

  /** The pool is listening, every worker serving `model`: swaps are announced from here on. */
  started(model: ModelName): void {
    this.#announced = model;
    this.#settle();
  }

  /** Worker `number` now serves `model` (it started, was replaced, or swapped). */
  serves(number: number, model: ModelName, loadMs: number): void {
    this.#serving.set(number, model);
    this.#loadMs.set(number, loadMs);
    this.#settle();
  }

  #settle(): void {
    const from = this.#announced;
    if (from === undefined || this.#serving.size < this.size) return;
    const [first, ...rest] = [...this.#serving.values()] as [ModelName, ...ModelName[]];
    if (!rest.every((model) => sameModel(model, first)) || sameModel(first, from)) return;
    this.#announced = first;
    this.announce(from, first, Math.max(...this.#loadMs.values()));
  }
}

function sameModel(a: ModelName, b: ModelName): boolean {
  return a.name === b.name && a.version === b.version;
}

function describe(model: ModelName): string {
  return model.version === null ? `${model.name} (unregistered folder)` : `${model.name} v${model.version}`;
}

async function onlyModel(store: { listModels(): Promise<string[]> }, uri: string): Promise<string> {
  const models = await store.listModels();
  if (models.length === 1) return models[0] as string;
  throw new UsageError(
    models.length === 0
      ? `the store ${uri} has no models yet; register one first (slipway run, or slipway models register)`
      : `the store ${uri} holds ${models.length} models (${models.join(', ')}); choose one with --name`,
  );
}

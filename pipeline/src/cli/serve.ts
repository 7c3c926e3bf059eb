import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
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
    .option('--alias <alias>', 'alias to serve and watch', 'production')
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
    .action(async (opts: ServeOptions) => {
      await serve(opts, io);
    });
}

async function serve(given: ServeOptions, io: Io): Promise<void> {
  const envStore = process.env.SLIPWAY_STORE;
  const opts =
    given.model === undefined && given.store === undefined && envStore
      ? { ...given, store: envStore }
      : given;
  if ((opts.model === undefined) === (opts.store === undefined)) {
    throw new UsageError('give either --model <dir> or --store <uri> (with --alias), not both or neither');
  }
  const logLevel = opts.logLevel.toUpperCase();
  if (!['DEBUG', 'INFO', 'WARN', 'ERROR'].includes(logLevel)) {
    throw new UsageError(`--log-level must be debug, info, warn or error, not "${opts.logLevel}"`);
  }
  const out = new Output(io, Boolean(opts.json));
  if (!isLoopback(opts.host)) {
    out.info(
      `warning: binding ${opts.host} makes the service reachable from other machines; it has no authentication`,
    );
  }
  // Loaded here, not at the top: other commands should not pay for onnxruntime and the store.
  const [{ startInferenceServer, folderSource, storeAliasSource }, { openModel }] = await Promise.all([
    import('@slipway/lambdas'),
    import('@slipway/training-job'),
  ]);

  let source: import('@slipway/lambdas').ModelSource;
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
    let cacheDir = opts.cacheDir === undefined ? undefined : resolve(opts.cacheDir);
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
        if (event.type === 'swapped') {
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

  const curl = `curl -s -X POST ${server.url}/predict -H 'content-type: application/json' -d '{"text":"I loved this phone, the battery is great."}'`;
  out.result(
    {
      url: server.url,
      host: server.host,
      port: server.port,
      model: server.model,
      source: source.description,
      loadMs: Math.round(server.loadMs),
      docs: `${server.url}/docs`,
      curl,
    },
    () =>
      [
        `serving   ${describe(server.model)} from ${source.description} (loaded and self-tested in ${Math.round(server.loadMs)} ms)`,
        `url       ${server.url}`,
        `docs      ${server.url}/docs`,
        `try       ${curl}`,
        source.watchable
          ? `watching  ${source.description} every ${opts.pollMs} ms; Ctrl-C stops`
          : 'Ctrl-C stops',
      ].join('\n'),
  );

  const signal = await new Promise<string>((done) => {
    const onInt = () => stop('SIGINT');
    const onTerm = () => stop('SIGTERM');
    const stop = (name: string) => {
      // A second Ctrl-C falls through to Node's default and ends the process at once.
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      done(name);
    };
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
  out.info(`${signal}: finishing in-flight requests`);
  await server.close();
  await closeStore();
  await cleanup();
  out.info('stopped');
}

function describe(model: { readonly name: string; readonly version: number | null }): string {
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

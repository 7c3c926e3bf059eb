import { Logger } from '@aws-lambda-powertools/logger';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import { InferenceApp } from './app.js';
import type { LambdaConfig } from './config.js';
import { ModelHolder } from './holder.js';
import { createLambdaHandler, type InferenceLambdaHandler } from './lambda.js';
import { type InferenceLimits, resolveLimits } from './limits.js';
import { loadModel, type ModelInfo, type ModelOpener, type ServedModel } from './model.js';
import { listen } from './server.js';
import type { ModelSource } from './source.js';
import { createTelemetry, type MetricsSettings } from './telemetry.js';
import { ModelWatcher, type WatchEvent } from './watcher.js';

/** Options of the local inference server (`slipway serve`). */
export interface InferenceServerOptions {
  readonly source: ModelSource;
  /** How model folders are opened: `openModel` from `@slipway/training-job`. */
  readonly open: ModelOpener;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 8080; 0 picks a free port. */
  readonly port?: number;
  readonly limits?: Partial<InferenceLimits>;
  /** Largest batch per onnxruntime run. Default 64. */
  readonly maxRunBatch?: number;
  /** How often a watchable source is polled, in ms. Default 500. */
  readonly pollMs?: number;
  /** EMF metrics to stdout; off by default so the hot path stays lean. */
  readonly metrics?: MetricsSettings | false;
  /** Default WARN: the local server logs rejections only when asked. */
  readonly logLevel?: LogLevel;
  readonly logText?: boolean;
  readonly onEvent?: (event: WatchEvent) => void;
}

/** A running local inference server. */
export interface InferenceServer {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly app: InferenceApp;
  /** The model answering new requests right now. */
  readonly model: ModelInfo;
  /** Milliseconds the first model took to load and self-test. */
  readonly loadMs: number;
  /** Present when the source can move (a store alias). */
  readonly watcher: ModelWatcher | undefined;
  /** Stops polling, stops accepting connections, lets in-flight requests finish, closes the model. */
  close(): Promise<void>;
}

/**
 * Loads the source's current model (refusing to start if it fails its self-test), serves it on
 * loopback, and hot-swaps it whenever the source moves.
 * @example const server = await startInferenceServer({ source: folderSource('./model'), open: openModel, port: 0 });
 */
export async function startInferenceServer(options: InferenceServerOptions): Promise<InferenceServer> {
  const limits = resolveLimits(options.limits);
  const logger = new Logger({ serviceName: 'slipway-inference', logLevel: options.logLevel ?? 'WARN' });
  const telemetry = createTelemetry({
    logger,
    metrics: options.metrics ?? false,
    emfEnvironment: 'Local',
    logText: options.logText ?? false,
  });
  const load = async (dir: string): Promise<ServedModel> => {
    const model = await loadModel(dir, {
      open: options.open,
      ...(options.maxRunBatch === undefined ? {} : { maxRunBatch: options.maxRunBatch }),
    });
    telemetry.modelLoaded(model.info, model.loadMs, dir);
    return model;
  };

  const { source } = options;
  const key = await source.current();
  const first = await load(await source.materialize(key));
  const holder = new ModelHolder(first);
  const app = new InferenceApp({ holder, limits, telemetry });
  let handle: Awaited<ReturnType<typeof listen>>;
  try {
    handle = await listen({ app, host: options.host ?? '127.0.0.1', port: options.port ?? 8080 });
  } catch (error) {
    await holder.close();
    throw error;
  }

  let watcher: ModelWatcher | undefined;
  if (source.watchable) {
    watcher = new ModelWatcher({
      source,
      holder,
      load,
      servingKey: key,
      ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
      onEvent: (event) => {
        if (event.type === 'swapped') logger.info('model swapped', { from: event.from, to: event.to });
        else if (event.type === 'refused')
          logger.warn('new model version refused', { key: event.key, error: event.error });
        else logger.warn('model source unavailable', { error: event.error });
        options.onEvent?.(event);
      },
    });
    watcher.start();
  }

  return {
    url: handle.url,
    host: handle.host,
    port: handle.port,
    app,
    get model() {
      return holder.current.info;
    },
    loadMs: first.loadMs,
    watcher,
    async close() {
      await watcher?.stop();
      await handle.close();
      await holder.close();
      await telemetry.flush();
    },
  };
}

/** What `initInferenceLambda` returns: the handler plus what tests and the entry point inspect. */
export interface InferenceLambda {
  readonly handler: InferenceLambdaHandler;
  readonly app: InferenceApp;
  readonly model: ServedModel;
}

/**
 * Builds the Lambda handler from its configuration: loads and self-tests the model (during the
 * init phase, outside any invocation) and wires the app, metrics and logger.
 * @example export const { handler } = await initInferenceLambda(readLambdaConfig(process.env), openModel);
 */
export async function initInferenceLambda(config: LambdaConfig, open: ModelOpener): Promise<InferenceLambda> {
  const logger = new Logger({
    serviceName: config.metrics ? config.metrics.service : 'inference',
    logLevel: config.logLevel,
  });
  const telemetry = createTelemetry({ logger, metrics: config.metrics, logText: config.logText });
  let model: ServedModel;
  try {
    model = await loadModel(config.modelDir, { open, maxRunBatch: config.maxRunBatch });
  } catch (error) {
    logger.critical('the model failed to load; the function cannot serve', { error: error as Error });
    throw error;
  }
  telemetry.modelLoaded(model.info, model.loadMs, config.modelDir);
  const app = new InferenceApp({ holder: new ModelHolder(model), limits: config.limits, telemetry });
  return { handler: createLambdaHandler(app, telemetry), app, model };
}

import type { Logger } from '@aws-lambda-powertools/logger';
import type { ModelInfo } from './model.js';

/** What one request did, for metrics and the request log. */
export interface RequestRecord {
  readonly requestId: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly latencyMs: number;
  /** Texts classified (0 when the request was rejected before prediction). */
  readonly batchSize: number;
  /** Total characters of those texts (`input.num_chars`). */
  readonly numChars: number;
  readonly model: ModelInfo | undefined;
  readonly errorCode?: string;
  /** Present only when text logging is switched on. */
  readonly texts?: readonly string[];
}

/** Where the service reports requests and model loads. */
export interface Telemetry {
  /** Whether request records should carry their texts (configured, off by default). */
  readonly logText: boolean;
  request(record: RequestRecord): void;
  modelLoaded(model: ModelInfo, loadMs: number, dir: string): void;
  /** Writes buffered metrics; Lambda awaits it before returning each response. */
  flush(): Promise<void>;
}

export interface MetricsSettings {
  /** CloudWatch namespace, e.g. `slipway`. */
  readonly namespace: string;
  /** Value of the `Service` dimension, e.g. `inference`. */
  readonly service: string;
}

export interface TelemetryOptions {
  readonly logger: Logger;
  /** EMF metrics settings, or false to emit none (the local server's default: keeps the hot path lean). */
  readonly metrics: MetricsSettings | false;
  /**
   * `Local` prints EMF to stdout outside Lambda. Left undefined, the library detects its environment
   * (in Lambda from the environment variables; elsewhere it probes the network, so set it).
   */
  readonly emfEnvironment?: 'Local';
  readonly logText?: boolean;
}

type Emf = typeof import('aws-embedded-metrics');

const DEBUG_THRESHOLD = 8;

/**
 * Builds the telemetry sink: CloudWatch embedded metrics (EMF on stdout) and powertools logs.
 * The first request after start is flagged as the cold start and carries the model load time.
 */
export function createTelemetry(options: TelemetryOptions): Telemetry {
  const { logger, metrics } = options;
  const logText = options.logText ?? false;
  // Read once: powertools' level getter consults the environment on every call.
  const debug = logger.level <= DEBUG_THRESHOLD;
  let coldStart = true;
  let loadMs: number | undefined;
  let pending: Promise<void>[] = [];
  // The EMF library resolves its environment as soon as it is imported (outside Lambda, with a
  // network probe), so it is imported only when metrics are on, after the environment is chosen.
  let emf: Promise<Emf> | undefined;
  if (metrics) {
    if (options.emfEnvironment !== undefined) process.env.AWS_EMF_ENVIRONMENT ??= options.emfEnvironment;
    emf = import('aws-embedded-metrics');
  }

  return {
    logText,
    request(record) {
      const cold = coldStart;
      coldStart = false;
      if (emf && metrics) {
        const load = cold ? loadMs : undefined;
        pending.push(emf.then((m) => emitRequest(m, metrics, record, cold, load)));
      }
      if (record.status >= 500) {
        logger.error('request failed', describe(record, cold));
      } else if (record.status >= 400) {
        logger.info('request rejected', describe(record, cold));
      } else if (debug) {
        logger.debug('request', describe(record, cold));
      }
    },
    modelLoaded(model, ms, dir) {
      loadMs = ms;
      logger.info('model loaded', { model, loadMs: round(ms), dir });
      if (emf && metrics && !coldStart) pending.push(emf.then((m) => emitLoad(m, metrics, model, ms)));
    },
    async flush() {
      if (pending.length === 0) return;
      const flushing = pending;
      pending = [];
      await Promise.all(flushing);
    },
  };
}

function describe(record: RequestRecord, coldStart: boolean): Record<string, unknown> {
  return {
    requestId: record.requestId,
    method: record.method,
    path: record.path,
    status: record.status,
    latencyMs: round(record.latencyMs),
    batchSize: record.batchSize,
    numChars: record.numChars,
    modelVersion: record.model?.version ?? null,
    coldStart,
    ...(record.errorCode === undefined ? {} : { errorCode: record.errorCode }),
    ...(record.texts === undefined ? {} : { texts: record.texts }),
  };
}

function dimensions(settings: MetricsSettings, model: ModelInfo | undefined): Record<string, string> {
  return {
    Service: settings.service,
    ModelVersion: model === undefined ? 'none' : `${model.name}@${model.version ?? 'unregistered'}`,
  };
}

function emitRequest(
  emf: Emf,
  settings: MetricsSettings,
  record: RequestRecord,
  coldStart: boolean,
  loadMs: number | undefined,
): Promise<void> {
  const m = emf.createMetricsLogger();
  m.setNamespace(settings.namespace);
  m.setDimensions(dimensions(settings, record.model));
  m.putMetric('latency', record.latencyMs, 'Milliseconds');
  m.putMetric('batch_size', record.batchSize, 'Count');
  m.putMetric('input.num_chars', record.numChars, 'Count');
  m.putMetric('cold_start', coldStart ? 1 : 0, 'Count');
  m.putMetric('rejected', record.status >= 400 && record.status < 500 ? 1 : 0, 'Count');
  if (loadMs !== undefined) m.putMetric('model.load_time', loadMs, 'Milliseconds');
  m.setProperty('requestId', record.requestId);
  m.setProperty('path', record.path);
  m.setProperty('status', record.status);
  m.setProperty('coldStart', coldStart);
  if (record.errorCode !== undefined) m.setProperty('errorCode', record.errorCode);
  return m.flush();
}

function emitLoad(emf: Emf, settings: MetricsSettings, model: ModelInfo, loadMs: number): Promise<void> {
  const m = emf.createMetricsLogger();
  m.setNamespace(settings.namespace);
  m.setDimensions(dimensions(settings, model));
  m.putMetric('model.load_time', loadMs, 'Milliseconds');
  return m.flush();
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

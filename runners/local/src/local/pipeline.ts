import { PRODUCTION_ALIAS } from '@slipway/contracts';
import {
  type InferenceServer,
  startInferenceServer,
  storeAliasSource,
  type WatchEvent,
} from '@slipway/inference';
import { type Heartbeat, type ModelStore, startHeartbeat } from '@slipway/model-store';
import {
  createApprovalHandler,
  createEvaluateHandler,
  createPromoteHandler,
  createRegisterHandler,
  createSmokeTestHandler,
  type Deployer,
  fixedEndpointDeployer,
  type Notifier,
  readStateData,
} from '@slipway/steps';
import { openModel } from '@slipway/training-job';
import { type LambdaHandler, LOCAL_FUNCTION_NAMES, LocalRuntime } from '../runtime/runtime.js';
import { makeScratchDir, removeScratchDir, scratchDirs } from '../runtime/scratch.js';

export interface LocalPipelineOptions {
  readonly store: ModelStore;
  /**
   * Where the first promoted model's endpoint listens. Default 127.0.0.1:8080; each further model's endpoint
   * takes a free port on the same host.
   */
  readonly host?: string;
  readonly port?: number;
  /**
   * An endpoint that already follows the production alias (a separate `slipway serve --store`): promotion
   * reports it to the smoke test instead of starting one here.
   */
  readonly endpoint?: string;
  /** Tells a person an execution waits for approval. Default: nothing (the caller prints). */
  readonly notify?: Notifier;
  /** Link to an execution in the console, when one runs. */
  readonly consoleUrl?: (executionId: string) => string;
  /** How often the endpoint checks the production alias. Default 200 ms. */
  readonly servePollMs?: number;
  /** Replaces every Retry interval (tests). */
  readonly retryIntervalMs?: number;
  /** How often a waiting approval checks for a decision from another process. Default 200 ms. */
  readonly decisionPollMs?: number;
  /** How long the smoke test waits for the endpoint to serve the new version. Default 30 s. */
  readonly smokeTimeoutMs?: number;
  readonly onJobLog?: (executionId: string, line: string) => void;
  readonly onServeEvent?: (event: WatchEvent) => void;
  /** Crash-test fault injection: stop at a history event (see `LocalRuntimeOptions.failpoint`). */
  readonly failpoint?: string | undefined;
}

/**
 * The pipeline on one machine: the local runtime with every step wired to a folder (or bucket) store,
 * and "the inference Lambda" as a local HTTP endpoint per model that starts at the model's first
 * promotion and then follows its production alias, hot-swapping on every promotion and rollback.
 */
export class LocalPipeline {
  readonly runtime: LocalRuntime;
  private readonly servers = new Map<string, InferenceServer>();
  private readonly starting = new Map<string, Promise<InferenceServer>>();
  private readonly cacheDirs: string[] = [];
  private readonly heartbeats: Heartbeat[] = [];

  constructor(private readonly options: LocalPipelineOptions) {
    const { store } = options;
    const deployer: Deployer = options.endpoint
      ? fixedEndpointDeployer(options.endpoint)
      : { deploy: async ({ model }) => ({ endpoint: (await this.serve(model)).url }) };
    const functions: Record<string, LambdaHandler> = {
      [LOCAL_FUNCTION_NAMES.EvaluateFunctionArn]: createEvaluateHandler({
        store,
        workDir: scratchDirs('evaluate'),
      }),
      [LOCAL_FUNCTION_NAMES.RegisterFunctionArn]: createRegisterHandler({ store }),
      [LOCAL_FUNCTION_NAMES.ApprovalFunctionArn]: createApprovalHandler({
        store,
        notify: options.notify ?? (() => {}),
        ...(options.consoleUrl ? { consoleUrl: options.consoleUrl } : {}),
      }),
      [LOCAL_FUNCTION_NAMES.PromoteFunctionArn]: createPromoteHandler({ store, deployer }),
      [LOCAL_FUNCTION_NAMES.SmokeTestFunctionArn]: createSmokeTestHandler({
        ...(options.smokeTimeoutMs === undefined ? {} : { timeoutMs: options.smokeTimeoutMs }),
      }),
    };
    this.runtime = new LocalRuntime({
      store,
      functions,
      ...(options.retryIntervalMs === undefined ? {} : { retryIntervalMs: options.retryIntervalMs }),
      ...(options.decisionPollMs === undefined ? {} : { pollMs: options.decisionPollMs }),
      ...(options.onJobLog ? { onJobLog: options.onJobLog } : {}),
      failpoint: options.failpoint,
      ...(options.endpoint ? {} : { onResume: (_state, input) => this.restoreEndpoint(input) }),
    });
  }

  /**
   * A resumed execution that got past Promote carries the endpoint of the process that died: serve the
   * production alias here again and hand the new address on, so the smoke test (or anything after it)
   * checks a live endpoint instead of rolling back a good model over a refused connection.
   */
  private async restoreEndpoint(input: unknown): Promise<unknown> {
    const state = input as { model?: unknown; promotion?: object } | null;
    if (typeof state?.model !== 'string' || !readStateData(state).promotion?.endpoint) return input;
    let server: InferenceServer;
    try {
      server = await this.serve(state.model);
    } catch {
      // Production cannot be served (unset, or its files unreadable): the smoke test will find out and
      // say so; nothing is decided here.
      return input;
    }
    return { ...state, promotion: { ...state.promotion, endpoint: server.url } };
  }

  /** The URL of the first model's endpoint once it is serving, else undefined. */
  get endpoint(): string | undefined {
    return this.inferenceServer?.url;
  }

  /** The first endpoint this process started (the one on the configured port), if any. */
  get inferenceServer(): InferenceServer | undefined {
    return this.servers.values().next().value;
  }

  /** Every running endpoint, by model, in the order they started. */
  get inferenceServers(): ReadonlyMap<string, InferenceServer> {
    return this.servers;
  }

  /**
   * Starts an endpoint on the model's production alias (once per model); later promotions hot-swap it.
   * Each model gets its own endpoint: the first on the configured port, each further one on a free port
   * the system picks (a model is never answered by another model's endpoint).
   */
  async serve(model: string): Promise<InferenceServer> {
    const running = this.servers.get(model);
    if (running) return running;
    let starting = this.starting.get(model);
    if (!starting) {
      const port = this.starting.size === 0 ? (this.options.port ?? 8080) : 0;
      starting = (async () => {
        const cacheDir = await makeScratchDir('run', 'serve');
        this.cacheDirs.push(cacheDir);
        let beat: Heartbeat | undefined;
        const server = await startInferenceServer({
          source: storeAliasSource({
            store: this.options.store,
            name: model,
            alias: PRODUCTION_ALIAS,
            cacheDir,
            storeDescription: this.options.store.backend.uri,
          }),
          open: openModel,
          host: this.options.host ?? '127.0.0.1',
          port,
          pollMs: this.options.servePollMs ?? 200,
          onEvent: (event) => {
            if (event.type === 'swapped') void beat?.update(event.to.version);
            this.options.onServeEvent?.(event);
          },
        });
        // Announced in the store as `slipway serve` is, so a console elsewhere sees what serves where.
        try {
          beat = await startHeartbeat(this.options.store.servers, {
            url: server.url,
            model,
            alias: PRODUCTION_ALIAS,
            version: server.model.version,
            port: server.port,
          });
          this.heartbeats.push(beat);
        } catch {
          // A store that refuses the record changes nothing about serving.
        }
        this.servers.set(model, server);
        return server;
      })();
      this.starting.set(model, starting);
    }
    try {
      return await starting;
    } catch (error) {
      this.starting.delete(model);
      throw error;
    }
  }

  /** Stops the endpoints (in-flight requests finish) and removes their cached model files. */
  async close(): Promise<void> {
    const servers = [...this.servers.values()];
    this.servers.clear();
    this.starting.clear();
    await Promise.all(this.heartbeats.splice(0).map((beat) => beat.stop()));
    await Promise.all(servers.map((server) => server.close()));
    for (const dir of this.cacheDirs.splice(0)) await removeScratchDir(dir);
  }
}

import { createServer } from 'node:net';
import { createInterface } from 'node:readline/promises';
import type { ConsoleServer } from '@slipway/console';
import { FAIL_STATES, isFailState, REJECTED_ERROR, STATES } from '@slipway/contracts';
import { curlCommand, GENERIC_EXAMPLE } from '@slipway/inference';
import { compareLineage, type ModelStore, openStore } from '@slipway/model-store';
import type { ExecutionInputDraft, HistoryEvent, Trainer } from '@slipway/runner-local';
import {
  approveExecution,
  type ExecutionHandle,
  type ExecutionOutcome,
  ExecutionStateError,
  LocalPipeline,
  newExecutionId,
  rejectExecution,
} from '@slipway/runner-local';
import { type CompactEvaluation, readEvaluationReport, readStateData, type StateData } from '@slipway/steps';
import type { Command } from 'commander';
import { splitCommandLine } from './command-line.js';
import {
  computeOptions,
  currentActor,
  formatDuration,
  gateAdvice,
  gateOptions,
  gitCommit,
  hyperparameterOption,
  integer,
  modelNameFor,
  storeDatasetAndReport,
  storeOption,
} from './common.js';
import { EXIT_CODES, type ExitStatus, exitNameForExecution } from './exit-codes.js';
import { type Io, Output } from './output.js';
import { loadRunSettings, type ProjectFlags, projectOption } from './project.js';
import { reviewLines } from './review.js';

interface RunFlags extends ProjectFlags {
  readonly trainerCommand?: string;
  readonly store: string;
  readonly host: string;
  readonly port: number;
  readonly approvalTimeout: number;
  readonly autoApprove?: boolean;
  readonly approveIfBetter?: boolean;
  readonly commit?: string;
  readonly pr?: string;
  readonly exit?: boolean;
  readonly console: boolean;
  readonly consolePort: number;
  readonly json?: boolean;
}

type ApprovalMode = 'auto' | 'if-better' | 'prompt' | 'wait';

/** Fails fast when the endpoint's port is taken, instead of failing the promotion minutes later. */
async function assertPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        Object.assign(
          new Error(
            error.code === 'EADDRINUSE'
              ? `port ${port} on ${host} is in use (a \`slipway serve\` or an earlier run?); stop it or pass --port <n> (0 picks a free port)`
              : `cannot listen on ${host}:${port}: ${error.message}`,
          ),
          { name: 'PortInUseError' },
        ),
      ),
    );
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** A cause as one line: its first non-empty line, cut at 300 characters (the console keeps it whole). */
function briefCause(cause: string): string {
  const first =
    cause
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '') ?? '';
  return first.length > 300 ? `${first.slice(0, 299)}…` : first;
}

/** Whether a state that just finished went well, and one line of detail, from its output. */
function detail(state: string, output: unknown): { ok: boolean; text: string } {
  const data = readStateData(output);
  const text = detailText(state, data);
  if (state === STATES.Gate && data.evaluation && !data.evaluation.verdict.passed) return { ok: false, text };
  if (state === STATES.SmokeTest && data.smokeTest?.passed === false) return { ok: false, text };
  return { ok: true, text };
}

function detailText(state: string, data: StateData): string {
  const { evaluation, approval, promotion, smokeTest } = data;
  switch (state) {
    case STATES.TrainOnSageMaker:
    case STATES.TrainOnFargate:
      return `job ${data.training?.jobName ?? ''}`;
    case STATES.Evaluate: {
      if (!evaluation) return '';
      const c = evaluation.candidate;
      const p = evaluation.production;
      return `accuracy ${pct(c.accuracy)}, macro-F1 ${pct(c.macroF1)}${p ? `  (production v${p.version}: ${pct(p.accuracy)}, ${pct(p.macroF1)})` : '  (no production model yet)'}`;
    }
    case STATES.Gate:
      return evaluation ? (evaluation.verdict.passed ? 'passed' : 'failed') : '';
    case STATES.Register:
      return `version ${data.registration?.version ?? '?'}`;
    case STATES.Approval:
      return approval
        ? `approved by ${approval.approvedBy}${approval.comment ? `: ${approval.comment}` : ''}`
        : '';
    case STATES.Promote:
      return promotion
        ? `production ${promotion.previous === null ? 'none' : `v${promotion.previous}`} -> v${promotion.version}`
        : '';
    case STATES.SmokeTest:
      return smokeTest
        ? smokeTest.passed
          ? 'passed'
          : `failed (${smokeTest.failures.length} problems)`
        : '';
    default:
      return '';
  }
}

/** The approval prompt's summary: the report reviewed, and the candidate's lineage beside production's. */
async function approvalReview(
  store: ModelStore,
  id: string,
  version: number | undefined,
  reportUrl: string | null,
): Promise<string[]> {
  const report = await readEvaluationReport(store, id);
  if (!report) return ['  (no evaluation report yet)'];
  const manifest = (ref: number) =>
    store.getManifest(report.model, ref).then(
      ({ version: v, manifest: m }) => ({ version: v, lineage: m.lineage }),
      () => null,
    );
  const candidate = version === undefined ? null : await manifest(version);
  const production = report.production ? await manifest(report.production.version) : null;
  const comparison = candidate ? compareLineage(candidate, production) : null;
  return reviewLines(report, comparison, reportUrl);
}

/** `Rejected: <reason>`, not `Rejected: Rejected: <reason>`: the error is named once. */
function endLine(outcome: Pick<ExecutionOutcome, 'finalState' | 'error' | 'cause'>): string {
  const parts = [outcome.finalState, outcome.error, outcome.cause ? briefCause(outcome.cause) : null].filter(
    (p, i, all): p is string => typeof p === 'string' && p !== '' && all.indexOf(p) === i,
  );
  return parts.join(': ');
}

/** What `run` and `resume` share: print the execution as it goes, settle the approval, report the end. */
async function follow(
  handle: ExecutionHandle,
  ctx: { store: ModelStore; io: Io; out: Output; approval: ApprovalMode; reportUrl: string | null },
): Promise<{ outcome: ExecutionOutcome; durations: Record<string, number> }> {
  const { out, io } = ctx;
  const started = new Map<string, number>();
  const durations: Record<string, number> = {};
  let evaluation: CompactEvaluation | undefined;
  let prompt: AbortController | undefined;
  const print = (line: string) => out.info(line);

  const failed = new Set<string>();
  let lastCause = '';
  /** A failure's cause on one line, and whether the failure printed before had the same. */
  const causeOf = (event: HistoryEvent) => {
    const cause = briefCause(event.cause ?? '');
    const repeated = cause !== '' && cause === lastCause;
    lastCause = cause;
    return { cause, repeated };
  };
  const line = (mark: string, state: string, ms: number | null, text: string) =>
    print(
      `  ${mark}  ${state.padEnd(18)} ${(ms === null ? '' : formatDuration(ms)).padStart(9)}  ${text}`.trimEnd(),
    );

  const onEvent = (event: HistoryEvent) => {
    const at = Date.parse(event.timestamp);
    const state = event.state ?? '';
    const elapsed = () => at - (started.get(state) ?? at);
    if (event.type === 'StateEntered') {
      started.set(state, at);
      failed.delete(state);
    }
    if (event.type === 'StateExited') {
      const ms = elapsed();
      durations[state] = (durations[state] ?? 0) + ms;
      const report = readStateData(event.output).evaluation;
      if (report) evaluation = report;
      // A failure the definition caught also exits the state: it was printed as a failure already.
      if (failed.has(state)) return;
      const { ok, text } = detail(state, event.output);
      line(ok ? 'ok' : '!!', state, ms, text);
    }
    if (event.type === 'StateFailed') {
      failed.add(state);
      const { cause, repeated } = causeOf(event);
      // A Fail state ends the execution: say what that means; the failure before it said why.
      if (isFailState(state))
        line('!!', state, null, `${FAIL_STATES[state].meaning}${cause && !repeated ? `: ${cause}` : ''}`);
      else
        line(
          '!!',
          state,
          elapsed(),
          `${event.error === REJECTED_ERROR ? 'rejected' : `failed: ${event.error ?? 'Error'}`}${cause ? `: ${repeated ? '(same cause as above)' : cause}` : ''}`,
        );
    }
    if (event.type === 'StateRetried') {
      failed.delete(state);
      started.set(state, at);
      line('..', state, null, `retrying (${event.message ?? ''})`);
    }
    if (event.type === 'TaskDecided') prompt?.abort();
    if (event.type === 'TaskWaiting' && state === STATES.Approval)
      settleApproval().catch((error: unknown) => {
        // Decided already (by this execution's earlier attempt before it crashed, or from another
        // terminal) or no longer waiting: the wait settles on that decision, there is nothing to add.
        if (error instanceof ExecutionStateError) return;
        print(
          `  the approval could not be settled here (${(error as Error).message}); decide it with \`slipway approve ${handle.id}\` or \`slipway reject ${handle.id} --reason ...\``,
        );
      });
  };

  const settleApproval = async () => {
    const actor = currentActor();
    const version = readStateData(
      handle.journal.history.findLast((e) => e.type === 'StateEntered' && e.state === STATES.Approval)?.input,
    ).registration?.version;
    if (ctx.approval === 'auto') {
      await approveExecution(ctx.store, handle.id, actor, 'approved by slipway run --auto-approve');
      return;
    }
    if (ctx.approval === 'if-better') {
      const p = evaluation?.production;
      if (!p || (evaluation && evaluation.candidate.macroF1 >= p.macroF1)) {
        await approveExecution(
          ctx.store,
          handle.id,
          actor,
          'candidate at least as good as production (--approve-if-better)',
        );
      } else {
        await rejectExecution(
          ctx.store,
          handle.id,
          actor,
          `macro-F1 ${pct(evaluation?.candidate.macroF1 ?? 0)} is below production's ${pct(p.macroF1)} (--approve-if-better)`,
        );
      }
      return;
    }
    print('');
    print(`  candidate v${version ?? '?'} waits for approval.`);
    for (const l of await approvalReview(ctx.store, handle.id, version, ctx.reportUrl).catch(
      (error: Error) => [`  (the evaluation report cannot be read: ${error.message})`],
    ))
      print(l);
    print(
      `  from another terminal: slipway approve ${handle.id} [--comment ...]  |  slipway reject ${handle.id} --reason ...`,
    );
    if (ctx.approval !== 'prompt') return;
    prompt = new AbortController();
    const rl = createInterface({ input: process.stdin, output: io.stderr });
    try {
      const answer = (
        await rl.question(`  approve v${version ?? '?'} for production? [y/N] `, { signal: prompt.signal })
      )
        .trim()
        .toLowerCase();
      if (answer === 'y' || answer === 'yes') {
        const comment = await rl.question('  comment (optional): ', { signal: prompt.signal });
        await approveExecution(ctx.store, handle.id, actor, comment.trim());
      } else {
        const reason = (await rl.question('  reason for rejecting: ', { signal: prompt.signal })).trim();
        await rejectExecution(ctx.store, handle.id, actor, reason || 'rejected at the prompt');
      }
    } catch (error) {
      // Decided elsewhere (another terminal, the console) while the prompt was open.
      if ((error as Error).name !== 'AbortError') print(`  ${(error as Error).message}`);
    } finally {
      rl.close();
    }
  };

  for (const event of handle.journal.history)
    if (event.type === 'StateExited' || event.type === 'StateEntered') onEvent(event);
  const off = handle.journal.onEvent(onEvent);
  try {
    const outcome = await handle.done;
    return { outcome, durations };
  } finally {
    off();
    prompt?.abort();
  }
}

function approvalMode(flags: { autoApprove?: boolean; approveIfBetter?: boolean }): ApprovalMode {
  if (flags.autoApprove) return 'auto';
  if (flags.approveIfBetter) return 'if-better';
  return process.stdin.isTTY ? 'prompt' : 'wait';
}

/** Serves until Ctrl-C; with --exit, says how to serve instead of printing an endpoint about to close. */
async function serveUntilInterrupted(
  pipeline: LocalPipeline,
  out: Output,
  exit: boolean,
  storeUri: string,
): Promise<void> {
  const url = pipeline.endpoint;
  if (!url) return;
  out.info('');
  if (exit) {
    out.info(`serve it  slipway serve --store ${storeUri}`);
    return;
  }
  out.info(`serving   ${url}   (docs: ${url}/docs)`);
  const example = pipeline.inferenceServer?.app.exampleText ?? GENERIC_EXAMPLE;
  out.info(`try       ${curlCommand(`${url}/predict`, { text: example })}`);
  out.info('Ctrl-C stops the server');
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

async function execute(
  io: Io,
  flags: {
    store: string;
    host: string;
    port: number;
    exit?: boolean;
    json?: boolean;
    autoApprove?: boolean;
    approveIfBetter?: boolean;
    console: boolean;
    consolePort: number;
  },
  begin: (pipeline: LocalPipeline, store: ModelStore, out: Output) => Promise<ExecutionHandle>,
): Promise<ExecutionOutcome> {
  const out = new Output(io, Boolean(flags.json));
  const store = await openStore(flags.store);
  let web: ConsoleServer | undefined;
  const pipeline = new LocalPipeline({
    store,
    host: flags.host,
    port: flags.port,
    notify: () => {},
    consoleUrl: (id) => web?.executionUrl(id) ?? '',
    failpoint: process.env.SLIPWAY_FAILPOINT,
    // The training job's own output, as it writes it (the console shows the same lines).
    onJobLog: (_id, line) => out.info(`   │ ${line}`),
    onServeEvent: (event) => {
      if (event.type === 'swapped')
        out.info(`  ..  endpoint now serves ${event.to.name} v${event.to.version}`);
      if (event.type === 'refused') out.info(`  !!  endpoint refused ${event.key}: ${event.error.message}`);
    },
  });
  // Ctrl-C, a `kill` or a closed terminal: stop cleanly. The exit itself stops a running training job
  // and removes temporary folders (runtime/scratch.ts), whichever way the process exits.
  const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const interrupted = () => {
    for (const signal of STOP_SIGNALS) process.off(signal, interrupted);
    out.info('\nstopped; the execution can continue with `slipway resume <id>`');
    void Promise.allSettled([web?.close(), pipeline.close()]).finally(() =>
      process.exit(EXIT_CODES.interrupted),
    );
  };
  for (const signal of STOP_SIGNALS) process.once(signal, interrupted);
  try {
    await assertPortFree(flags.host, flags.port);
    if (flags.console) web = await startWebConsole(store, pipeline, flags.host, flags.consolePort, out);
    const handle = await begin(pipeline, store, out);
    web?.track(handle);
    if (web) out.info(`console   ${web.executionUrl(handle.id)}`);
    const wall = Date.now();
    const { outcome, durations } = await follow(handle, {
      store,
      io,
      out,
      approval: approvalMode(flags),
      reportUrl: web ? `${web.executionUrl(handle.id)}/report` : null,
    });
    for (const signal of STOP_SIGNALS) process.off(signal, interrupted);
    const total = Date.now() - wall;
    out.result(
      {
        ...outcome,
        durationMs: total,
        states: durations,
        // With --exit nothing is served once the command returns.
        endpoint: flags.exit ? null : (pipeline.endpoint ?? null),
      },
      () =>
        outcome.status === 'SUCCEEDED'
          ? `\nexecution ${outcome.id} succeeded in ${formatDuration(total)}`
          : `\nexecution ${outcome.id} ended in ${endLine(outcome)}`,
    );
    if (outcome.finalState === STATES.EvaluationFailedGate) out.info(gateAdvice('run'));
    if (outcome.status === 'SUCCEEDED')
      await serveUntilInterrupted(pipeline, out, Boolean(flags.exit), store.uri);
    return outcome;
  } finally {
    for (const signal of STOP_SIGNALS) process.off(signal, interrupted);
    await web?.close();
    await pipeline.close();
    await store.close();
  }
}

/** Starts the web console next to the run; a run never fails because its console could not start. */
async function startWebConsole(
  store: ModelStore,
  pipeline: LocalPipeline,
  host: string,
  port: number,
  out: Output,
): Promise<ConsoleServer | undefined> {
  try {
    // Loaded only when a run starts its console, so `slipway train` and `predict` start without it.
    const { startConsole } = await import('@slipway/console');
    return await startConsole({ store, pipeline, host, port, actor: currentActor() });
  } catch (error) {
    out.info(`console   not started (${(error as Error).message}); pass --console-port <n> or --no-console`);
    return undefined;
  }
}

/** The execution's trainer: the built-in one, or `--trainer-command` run from the current directory. */
function trainerFrom(commandLine: string | undefined): Trainer {
  if (commandLine === undefined) return { type: 'builtin' };
  return { type: 'command', command: splitCommandLine(commandLine), workdir: process.cwd() };
}

/** `slipway run` and `slipway resume`. */
export function runCommands(program: Command, io: Io, status: ExitStatus): void {
  const withEndpointOptions = (command: Command) =>
    command
      .addOption(storeOption())
      .option('--host <host>', 'interface the local endpoint binds', '127.0.0.1')
      .option('--port <port>', 'port of the local endpoint (0 picks a free one)', integer(0, 65535), 8080)
      .option('--auto-approve', 'approve without asking (scripts, demos)')
      .option('--approve-if-better', "approve when macro-F1 is at least production's, reject otherwise")
      .option('--exit', 'stop when the execution ends instead of serving the model until Ctrl-C')
      .option(
        '--console-port <port>',
        'port of the web console (0 picks a free one)',
        integer(0, 65535),
        8787,
      )
      .option('--no-console', 'do not start the web console')
      .option('--json', 'print the outcome as JSON');

  const run = withEndpointOptions(
    gateOptions(
      hyperparameterOption(
        program
          .command('run')
          .description(
            'Run the pipeline on this machine: train, evaluate against production, register, approve, promote, smoke-test, serve',
          )
          .option(
            '--data <source>',
            "builtin:sentiment, builtin:spam, or a .jsonl/.csv file with text,label (default: the project's data, else builtin:sentiment)",
          )
          .option('--test <path>', 'a separate test file (otherwise a seeded, stratified split)')
          .option('--model <name>', "model name in the store (default: the project's, else the dataset name)")
          .option(
            '--approval-timeout <seconds>',
            'reject when nobody decides in time',
            integer(1, 2_147_483),
            7 * 24 * 3600,
          )
          .option('--commit <sha>', 'git commit recorded in lineage (default: git rev-parse HEAD)')
          .option('--pr <number>', 'pull request recorded in lineage')
          .option(
            '--trainer-command <command line>',
            "train with your own program instead of the built-in trainer, run from this directory under SageMaker's training contract (split into words like a shell does, but run without one; see docs/model-contract.md)",
          ),
      ),
    ),
  );
  projectOption(computeOptions(run, ['local', 'sagemaker', 'fargate'], 'local')).action(
    async (flags: RunFlags) => {
      const settings = await loadRunSettings(
        flags,
        new Output(io, Boolean(flags.json)),
        flags.trainerCommand === undefined ? undefined : trainerFrom(flags.trainerCommand),
      );
      const outcome = await execute(io, flags, async (pipeline, store, out) => {
        const dataset = await storeDatasetAndReport(store, settings, out);
        const input: Omit<ExecutionInputDraft, 'runId'> = {
          model: settings.model ?? modelNameFor(dataset.name),
          dataset: { name: dataset.name, sha256: dataset.sha256 },
          hyperparameters: settings.hyperparameters,
          git: { commit: flags.commit ?? gitCommit(), pullRequest: flags.pr ?? '' },
          compute: settings.compute ?? 'local',
          trainer: settings.trainer,
          thresholds: settings.thresholds,
          approvalTimeoutSeconds: flags.approvalTimeout,
          trigger: 'cli',
        };
        const id = newExecutionId();
        const handle = await pipeline.runtime.start({ ...input, runId: id }, id);
        out.info(`execution ${id}   store ${store.uri}`);
        return handle;
      });
      status.set(exitNameForExecution(outcome));
    },
  );

  withEndpointOptions(
    program
      .command('resume')
      .description('Continue an execution whose process stopped (crash, Ctrl-C) from its last state')
      .argument('<id>', 'execution id'),
  ).action(async (id: string, flags: RunFlags) => {
    const outcome = await execute(io, flags, async (pipeline, store, out) => {
      const handle = await pipeline.runtime.resume(id);
      out.info(`resuming  ${id}   store ${store.uri}`);
      for (const line of handle.recovered) out.info(`  ..  ${line}`);
      return handle;
    });
    status.set(exitNameForExecution(outcome));
  });
}

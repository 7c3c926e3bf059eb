import './polyfill.js';
import { randomBytes } from 'node:crypto';
import { ENV } from '@slipway/contracts';
import type { ModelStore } from '@slipway/model-store';
import { type CommandTrainer, type ProcessRef, stillRunning, stopProcessGroup } from '@slipway/training-job';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import {
  type ExecutionInputDraft,
  parseExecutionInput,
  trainerSchema,
  upgradeRecordedInput,
} from '../input.js';
import {
  type AslDefinition,
  type AslState,
  checkDefinition,
  parseResource,
  readDefinitionText,
  substitute,
  type TaskResource,
} from './definition.js';
import { DefinitionError, ExecutionStateError } from './errors.js';
import { ExecutionJournal, type ExecutionRecord, type HistoryEvent, type JournalOptions } from './history.js';
import { sweepScratchDirs } from './scratch.js';
import { TokenRegistry } from './tokens.js';
import { runLocalJob, TrainingJobFailedError } from './trainer.js';

/** A step's Lambda handler, invoked in-process with the payload Lambda would receive. */
export type LambdaHandler = (event: unknown) => Promise<unknown>;

/** The names the local runtime gives the definition's placeholders. */
export const LOCAL_FUNCTION_NAMES = {
  EvaluateFunctionArn: 'slipway-evaluate',
  RegisterFunctionArn: 'slipway-register',
  ApprovalFunctionArn: 'slipway-approval',
  PromoteFunctionArn: 'slipway-promote',
  SmokeTestFunctionArn: 'slipway-smoke-test',
} as const;

/**
 * The function that names the Fargate task definition on AWS. The runtime answers it itself (there are
 * no task definitions here: the task runs as a child process), unless a handler is passed for it.
 */
export const LOCAL_TRAINING_TASK_FUNCTION = 'slipway-training-task';

/** Substitutions for a local run: functions by local name, the store's URI, inert compute names. */
export function localSubstitutions(storeUri: string): Record<string, string> {
  return {
    ...LOCAL_FUNCTION_NAMES,
    TrainingTaskFunctionArn: LOCAL_TRAINING_TASK_FUNCTION,
    StoreUri: storeUri.replace(/\/+$/, ''),
    TrainingImageUri: 'local/slipway-training-job',
    SageMakerRoleArn: 'arn:aws:iam::000000000000:role/slipway-local',
    TrainingInstanceType: 'local',
    TrainingClusterArn: 'local',
    TrainingSubnetIds: 'local',
  };
}

export interface LocalRuntimeOptions {
  readonly store: ModelStore;
  /** Lambda handlers by function name (the substituted FunctionName). */
  readonly functions: Readonly<Record<string, LambdaHandler>>;
  /** Defaults to contracts/state-machine.asl.json. */
  readonly definitionText?: string;
  /** Defaults to {@link localSubstitutions} of the store's URI. */
  readonly substitutions?: Readonly<Record<string, string>>;
  /** Replaces every Retry interval (milliseconds); tests use it to keep backoff short. */
  readonly retryIntervalMs?: number;
  /** How often a waiting task checks for a decision made by another process. */
  readonly pollMs?: number;
  /** Each line a training job logs. */
  readonly onJobLog?: (executionId: string, line: string) => void;
  /**
   * Called before a resumed execution continues, with the state it restarts at and that state's input;
   * returns the input to use. The local pipeline brings its endpoint back here, since the one a dead
   * process served is gone.
   */
  readonly onResume?: (state: string, input: unknown) => Promise<unknown>;
  /** Crash-test fault injection (see {@link JournalOptions.failpoint}). */
  readonly failpoint?: string | undefined;
}

/** How an execution ended. */
export interface ExecutionOutcome {
  readonly id: string;
  readonly status: 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  /** The terminal state: `Done`, or a named failure state. */
  readonly finalState: string | null;
  readonly error: string | null;
  readonly cause: string | null;
  readonly output: unknown;
}

export interface ExecutionHandle {
  readonly id: string;
  readonly journal: ExecutionJournal;
  /** What a resume found left by the process that died and cleaned up, one line each. */
  readonly recovered: readonly string[];
  readonly done: Promise<ExecutionOutcome>;
  /** Stops the execution (its running task is told to stop too). */
  abort(): void;
}

/** Stands in for `$$.Task.Token` until the task runs and a real token is issued. */
const TOKEN_SENTINEL = 'slipway-task-token-to-be-issued';

type TaskImpl = (input: Record<string, unknown>, run: TaskRun) => Promise<unknown>;
interface TaskRun {
  readonly executionId: string;
  readonly state: string;
  readonly journal: ExecutionJournal;
  readonly signal: AbortSignal;
  /** Training job names created in this run (SageMaker refuses a name twice). */
  readonly trainingJobs: Set<string>;
}

/** A new execution id: sortable by time, unique, and usable in SageMaker job names. */
export function newExecutionId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', 't').slice(0, 15);
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/**
 * Runs contracts/state-machine.asl.json on aws-local-stepfunctions. Each Task is mapped by its Resource
 * (integration + action), not by state name: training jobs become child processes, `lambda:invoke`
 * calls the step's handler in-process, `.waitForTaskToken` waits on a durable token registry.
 */
export class LocalRuntime {
  readonly definition: AslDefinition;
  /** The definition as handed to the interpreter (see withRawInputTimeouts). */
  private readonly runnable: AslDefinition;
  private readonly storeUri: string;
  private readonly tasks: Record<string, TaskImpl>;
  private readonly functions: Readonly<Record<string, LambdaHandler>>;

  constructor(private readonly options: LocalRuntimeOptions) {
    this.storeUri = options.store.backend.uri.replace(/\/+$/, '');
    const substitutions = options.substitutions ?? localSubstitutions(this.storeUri);
    const stageImage = substitutions.TrainingImageUri ?? 'local/slipway-training-job';
    this.functions = {
      // The training task runs here whatever the image: the revision is named for the record only.
      [LOCAL_TRAINING_TASK_FUNCTION]: async (event) => ({
        taskDefinition: 'local',
        image: (event as { trainingImage?: string }).trainingImage ?? stageImage,
        registered: false,
      }),
      ...options.functions,
    };
    this.definition = JSON.parse(
      substitute(options.definitionText ?? readDefinitionText(), substitutions),
    ) as AslDefinition;
    this.runnable = withRawInputTimeouts(this.definition);
    this.tasks = {
      'sagemaker:createTrainingJob:sync': (input, run) => this.sageMakerJob(input, run),
      'ecs:runTask:sync': (input, run) => this.fargateTask(input, run),
      'lambda:invoke:request': (input) => this.invoke(input),
      'lambda:invoke:waitForTaskToken': (input, run) => this.invokeAndWait(input, run),
    };
    const problems = checkDefinition(this.definition, (r) => this.implementation(r) !== undefined);
    for (const [name, state] of Object.entries(this.definition.States)) {
      if (state.Type === 'Task' && state.Resource?.includes('lambda:invoke')) {
        const fn = (state.Parameters as { FunctionName?: string } | undefined)?.FunctionName;
        if (!fn || !this.functions[fn]) problems.push(`${name} invokes ${fn}, which has no local handler`);
      }
    }
    if (problems.length > 0)
      throw new DefinitionError(`the definition cannot run locally:\n  ${problems.join('\n  ')}`);
    try {
      new StateMachine(this.runnable as unknown as StateMachineDefinition, {
        validationOptions: { checkArn: false },
      });
    } catch (cause) {
      throw new DefinitionError(`the definition is not valid: ${(cause as Error).message}`, { cause });
    }
  }

  private implementation(resource: TaskResource): TaskImpl | undefined {
    return this.tasks[`${resource.service}:${resource.action}:${resource.pattern}`];
  }

  /** Validates the input, records the execution, and starts it. A bad input starts nothing. */
  async start(draft: ExecutionInputDraft, id = newExecutionId()): Promise<ExecutionHandle> {
    const input = parseExecutionInput(draft);
    const journal = await ExecutionJournal.create(this.options.store, id, input, {
      failpoint: this.options.failpoint,
    });
    journal.append({ type: 'ExecutionStarted', input });
    return this.run(journal, this.definition.StartAt, input);
  }

  /**
   * Continues an execution whose process died: from the last top-level state it entered, with that
   * state's input. Steps are idempotent per execution, so nothing is registered or promoted twice.
   */
  async resume(id: string): Promise<ExecutionHandle> {
    const journal = await ExecutionJournal.open(this.options.store, id, {
      failpoint: this.options.failpoint,
    });
    const record = journal.stored ?? journal.current;
    if (record.status !== 'RUNNING')
      throw new ExecutionStateError(`execution ${id} already ${record.status.toLowerCase()}`);
    if (record.runner && record.runner.pid !== process.pid && stillRunning(record.runner)) {
      throw new ExecutionStateError(`execution ${id} is still running in process ${record.runner.pid}`);
    }
    await journal.claim({ runner: journal.current.runner, training: null });
    const recovered = await this.recover(journal, record);
    const restart = this.restartPoint(journal.history, record.input);
    const { state } = restart;
    const recorded = upgradeRecordedInput(restart.input);
    if (recorded !== restart.input) {
      recovered.push(
        `read the recorded input's trainer "${(restart.input as { trainer: string }).trainer}" as compute (its name before the rename)`,
      );
    }
    const input = this.options.onResume ? await this.options.onResume(state, recorded) : recorded;
    for (const message of recovered) journal.append({ type: 'Log', message });
    journal.append({ type: 'ExecutionResumed', state, input });
    return { ...this.run(journal, state, input), recovered };
  }

  /**
   * Cleans up after the process that died, before anything runs again: stops its training job if that
   * still runs (never two trainings side by side), removes the temporary folders of dead processes, and
   * removes what this execution's unfinished registration left in the store.
   */
  private async recover(journal: ExecutionJournal, record: ExecutionRecord): Promise<string[]> {
    const recovered: string[] = [];
    const job = record.training;
    if (job && (await stopProcessGroup(job))) {
      recovered.push(
        `stopped training job ${job.job} (process ${job.pid}), left running by the process that died`,
      );
    }
    for (const path of await sweepScratchDirs()) recovered.push(`removed temporary folder ${path}`);
    const report = await this.options.store.gc({ executionId: journal.id, graceMs: 0 });
    for (const r of report.removed) {
      recovered.push(
        `removed ${r.kind} ${r.name} ${r.id} (${r.keys.length} object${r.keys.length === 1 ? '' : 's'}), left unfinished by the process that died`,
      );
    }
    return recovered;
  }

  /**
   * Where a resumed execution goes on, and with what input. A process that died before its first
   * history write left only the record: the execution starts over with the record's input.
   */
  private restartPoint(
    history: readonly HistoryEvent[],
    recorded: unknown,
  ): { state: string; input: unknown } {
    let last: HistoryEvent | undefined;
    for (const event of history)
      if (event.type === 'StateEntered' || event.type === 'StateExited') last = event;
    const started = history.find((e) => e.type === 'ExecutionStarted');
    if (!last?.state) return { state: this.definition.StartAt, input: started?.input ?? recorded };
    if (last.type === 'StateEntered') return { state: last.state, input: last.input };
    const exited = this.definition.States[last.state];
    if (exited?.Next) return { state: exited.Next, input: last.output };
    const entered = [...history].reverse().find((e) => e.type === 'StateEntered' && e.state === last.state);
    return { state: last.state, input: entered?.input };
  }

  private run(journal: ExecutionJournal, startAt: string, input: unknown): ExecutionHandle {
    const inflight = new Map<string, AbortController>();
    const trainingJobs = new Set<string>();
    const overrides: Record<string, (input: unknown) => Promise<never>> = {};
    for (const [name, state] of Object.entries(this.definition.States)) {
      if (state.Type !== 'Task' || !state.Resource) continue;
      const impl = this.implementation(parseResource(state.Resource) as TaskResource) as TaskImpl;
      overrides[name] = async (taskInput) => {
        const controller = new AbortController();
        inflight.set(name, controller);
        const { [TIMEOUT_FIELD]: _, ...parameters } = taskInput as Record<string, unknown>;
        try {
          return (await impl(parameters, {
            executionId: journal.id,
            state: name,
            journal,
            signal: controller.signal,
            trainingJobs,
          })) as never;
        } catch (error) {
          // Stopped after its state timed out or the execution ended: the interpreter has moved on.
          if (controller.signal.aborted) return undefined as never;
          throw error;
        } finally {
          inflight.delete(name);
        }
      };
    }
    // The whole definition was validated in the constructor; a resumed run starts mid-way, where the
    // interpreter's own check would call the earlier states unreachable.
    const machine = new StateMachine(
      { ...this.runnable, StartAt: startAt } as unknown as StateMachineDefinition,
      {
        validationOptions: startAt === this.definition.StartAt ? { checkArn: false } : { noValidate: true },
      },
    );
    const retryIntervalOverrides =
      this.options.retryIntervalMs === undefined
        ? undefined
        : Object.fromEntries(
            Object.keys(overrides).map((name) => [name, this.options.retryIntervalMs as number]),
          );
    const execution = machine.run(input as never, {
      overrides: {
        taskResourceLocalHandlers: overrides,
        ...(retryIntervalOverrides ? { retryIntervalOverrides } : {}),
      },
      context: {
        Execution: { Id: journal.id, Name: journal.id },
        StateMachine: { Id: 'arn:aws:states:local:000000000000:stateMachine:slipway', Name: 'slipway' },
        Task: { Token: TOKEN_SENTINEL },
      },
      noThrowOnAbort: true,
    });

    const done = (async (): Promise<ExecutionOutcome> => {
      let finalState: string | null = null;
      let outcome: Omit<ExecutionOutcome, 'id' | 'finalState'> = {
        status: 'ABORTED',
        error: null,
        cause: null,
        output: null,
      };
      for await (const event of execution.eventLogs) {
        switch (event.type) {
          case 'StateEntered':
            finalState = event.state.name;
            journal.append(
              {
                type: 'StateEntered',
                state: event.state.name,
                stateType: event.state.type,
                input: event.state.input,
              },
              { currentState: event.state.name },
            );
            break;
          case 'StateExited':
            journal.append({
              type: 'StateExited',
              state: event.state.name,
              stateType: event.state.type,
              output: event.state.output,
            });
            break;
          case 'StateFailed':
            inflight.get(event.state.name)?.abort();
            journal.append({
              type: 'StateFailed',
              state: event.state.name,
              error: event.Error,
              cause: String(event.Cause),
            });
            break;
          case 'StateRetried':
            journal.append({
              type: 'StateRetried',
              state: event.state.name,
              message: `attempt ${event.retry.attempt + 1}`,
            });
            break;
          case 'StateCaught':
            journal.append({
              type: 'StateCaught',
              state: event.state.name,
              message: `caught, going to ${event.catch.catcher.Next}`,
            });
            break;
          case 'ExecutionSucceeded':
            outcome = { status: 'SUCCEEDED', error: null, cause: null, output: event.output };
            break;
          case 'ExecutionFailed':
            outcome = {
              status: 'FAILED',
              error: event.Error,
              cause: String(event.Cause ?? ''),
              output: null,
            };
            break;
          case 'ExecutionAborted':
            outcome = {
              status: 'ABORTED',
              error: 'Aborted',
              cause: 'the execution was stopped',
              output: null,
            };
            break;
          default:
            break;
        }
      }
      await execution.result.catch(() => undefined);
      for (const controller of inflight.values()) controller.abort();
      const stoppedAt = new Date().toISOString();
      const type =
        outcome.status === 'SUCCEEDED'
          ? 'ExecutionSucceeded'
          : outcome.status === 'FAILED'
            ? 'ExecutionFailed'
            : 'ExecutionAborted';
      journal.append(
        {
          type,
          state: finalState ?? undefined,
          output: outcome.output,
          error: outcome.error ?? undefined,
          cause: outcome.cause ?? undefined,
        },
        {
          status: outcome.status,
          stoppedAt,
          currentState: finalState,
          error: outcome.error,
          cause: outcome.cause,
          output: outcome.output,
          runner: null,
        },
      );
      await journal.flush();
      return { id: journal.id, finalState, ...outcome };
    })();
    return { id: journal.id, journal, recovered: [], done, abort: () => execution.abort() };
  }

  private storeKey(uri: string): string {
    if (!uri.startsWith(`${this.storeUri}/`)) {
      throw new DefinitionError(
        `${uri} is outside the store ${this.storeUri}; the local runtime reads and writes only there`,
      );
    }
    return uri.slice(this.storeUri.length + 1);
  }

  private jobLogger(run: TaskRun, job: string) {
    const lines: string[] = [];
    let flushed = Promise.resolve();
    let timer: NodeJS.Timeout | undefined;
    const flush = () => {
      timer = undefined;
      const text = `${lines.join('\n')}\n`;
      flushed = flushed.then(() => run.journal.area.put(`logs/${job}.log`, text));
    };
    return {
      log: (line: string) => {
        lines.push(line);
        this.options.onJobLog?.(run.executionId, line);
        timer ??= setTimeout(flush, 500);
      },
      close: async () => {
        if (timer) clearTimeout(timer);
        flush();
        await flushed;
      },
    };
  }

  /**
   * The execution's own training program, when its input names one. On AWS the training image is the
   * training code; here the command is, so it is read from the execution's input like the image would be.
   */
  private commandTrainer(run: TaskRun): CommandTrainer | undefined {
    const input = run.journal.current.input as { trainer?: unknown } | undefined;
    const parsed = trainerSchema.safeParse(input?.trainer);
    return parsed.success && parsed.data.type === 'command' ? parsed.data : undefined;
  }

  /** Records the job's process before waiting for it, so a resume after a crash can find it. */
  private async jobStarted(run: TaskRun, job: string, process: ProcessRef): Promise<void> {
    run.journal.append(
      {
        type: 'TaskStarted',
        state: run.state,
        message: `training job ${job} runs as process ${process.pid}`,
      },
      { training: { job, ...process, startedAt: new Date().toISOString() } },
    );
    await run.journal.flush();
  }

  private async sageMakerJob(params: Record<string, unknown>, run: TaskRun): Promise<unknown> {
    const p = params as {
      TrainingJobName: string;
      HyperParameters?: Record<string, string>;
      Environment?: Record<string, string>;
      InputDataConfig: { ChannelName: string; DataSource: { S3DataSource: { S3Uri: string } } }[];
      OutputDataConfig: { S3OutputPath: string };
    };
    // Training job names are unique per account and region: CreateTrainingJob refuses one that exists
    // (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateTrainingJob.html, ResourceInUse).
    if (run.trainingJobs.has(p.TrainingJobName)) {
      throw Object.assign(
        new Error(
          `Training job names must be unique within an AWS account and region, and a training job with this name already exists (${p.TrainingJobName})`,
        ),
        { name: 'SageMaker.ResourceInUseException' },
      );
    }
    run.trainingJobs.add(p.TrainingJobName);
    const outputUri = `${p.OutputDataConfig.S3OutputPath.replace(/\/+$/, '')}/${p.TrainingJobName}/output/model.tar.gz`;
    const logger = this.jobLogger(run, p.TrainingJobName);
    const describe = {
      TrainingJobName: p.TrainingJobName,
      TrainingJobArn: `arn:aws:sagemaker:local:000000000000:training-job/${p.TrainingJobName}`,
      HyperParameters: p.HyperParameters ?? {},
    };
    try {
      const { startedAt, endedAt } = await runLocalJob(
        {
          name: p.TrainingJobName,
          hyperparameters: p.HyperParameters ?? {},
          environment: onTheHost(stringValues(p.Environment ?? {})),
          channels: Object.fromEntries(
            p.InputDataConfig.map((c) => [c.ChannelName, this.storeKey(c.DataSource.S3DataSource.S3Uri)]),
          ),
          outputKey: this.storeKey(outputUri),
          ...withTrainer(this.commandTrainer(run)),
        },
        {
          store: this.options.store,
          signal: run.signal,
          log: logger.log,
          onStart: (job) => this.jobStarted(run, p.TrainingJobName, job),
        },
      );
      // The .sync integration returns DescribeTrainingJob's response:
      // https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeTrainingJob.html
      return {
        ...describe,
        TrainingJobStatus: 'Completed',
        SecondaryStatus: 'Completed',
        ModelArtifacts: { S3ModelArtifacts: outputUri },
        TrainingStartTime: startedAt.toISOString(),
        TrainingEndTime: endedAt.toISOString(),
        TrainingTimeInSeconds: Math.round((endedAt.getTime() - startedAt.getTime()) / 1000),
      };
    } catch (error) {
      // A job that ran and failed fails the task with States.TaskFailed, its Cause the job's description
      // with FailureReason (https://docs.aws.amazon.com/step-functions/latest/dg/connect-sagemaker.html).
      if (!(error instanceof TrainingJobFailedError)) throw error;
      throw jobFailed({
        ...describe,
        TrainingJobStatus: 'Failed',
        SecondaryStatus: 'Failed',
        FailureReason: error.reason,
      });
    } finally {
      if (run.journal.current.training) run.journal.update({ training: null });
      await logger.close();
    }
  }

  private async fargateTask(params: Record<string, unknown>, run: TaskRun): Promise<unknown> {
    const p = params as {
      Overrides: { ContainerOverrides: { Name: string; Environment: { Name: string; Value: string }[] }[] };
    };
    const env = Object.fromEntries(
      (p.Overrides.ContainerOverrides[0]?.Environment ?? []).map((e) => [e.Name, String(e.Value)]),
    );
    const datasetKey = this.storeKey(env[ENV.datasetUri] ?? '');
    const outputKey = `${this.storeKey(env[ENV.outputUri] ?? '')}/model.tar.gz`;
    const name = outputKey.split('/').at(-3) ?? run.executionId;
    const logger = this.jobLogger(run, name);
    // This runner does the container's S3 part itself, so the container must see the plain
    // SageMaker contract: with these set it would read and write the store on its own.
    const {
      [ENV.datasetUri]: _dataset,
      [ENV.outputUri]: _output,
      [ENV.hyperparameters]: hyperparameters,
      ...container
    } = env;
    const environment = onTheHost(container);
    // ecs:runTask.sync returns the stopped task's description itself, TaskArn at its top level (Tasks[]
    // is only in RunTask's own response): https://docs.aws.amazon.com/step-functions/latest/dg/connect-ecs.html
    // and https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Task.html
    const task = (exitCode: number, reason?: string) => ({
      TaskArn: `arn:aws:ecs:local:000000000000:task/slipway/${name}`,
      ClusterArn: 'arn:aws:ecs:local:000000000000:cluster/slipway',
      LaunchType: 'FARGATE',
      LastStatus: 'STOPPED',
      DesiredStatus: 'STOPPED',
      StopCode: 'EssentialContainerExited',
      StoppedReason: 'Essential container in task exited',
      Containers: [
        { Name: 'train', ExitCode: exitCode, LastStatus: 'STOPPED', ...(reason ? { Reason: reason } : {}) },
      ],
      Overrides: p.Overrides,
    });
    try {
      await runLocalJob(
        {
          name,
          hyperparameters: JSON.parse(hyperparameters ?? '{}') as Record<string, string>,
          environment,
          channels: { train: `${datasetKey}/train`, test: `${datasetKey}/test` },
          outputKey,
          ...withTrainer(this.commandTrainer(run)),
        },
        {
          store: this.options.store,
          signal: run.signal,
          log: logger.log,
          onStart: (job) => this.jobStarted(run, name, job),
        },
      );
    } catch (error) {
      if (!(error instanceof TrainingJobFailedError)) throw error;
      // A task whose essential container exits non-zero fails with States.TaskFailed, the task as Cause.
      throw jobFailed(task(1, error.reason));
    } finally {
      if (run.journal.current.training) run.journal.update({ training: null });
      await logger.close();
    }
    return task(0);
  }

  private async invoke(params: Record<string, unknown>): Promise<unknown> {
    const name = String(params.FunctionName);
    const handler = this.functions[name];
    if (!handler)
      throw Object.assign(new Error(`Function not found: ${name}`), {
        name: 'Lambda.ResourceNotFoundException',
      });
    // The lambda:invoke integration's result: the function's return value under Payload.
    return {
      StatusCode: 200,
      ExecutedVersion: '$LATEST',
      Payload: (await handler(params.Payload ?? {})) ?? null,
    };
  }

  private async invokeAndWait(params: Record<string, unknown>, run: TaskRun): Promise<unknown> {
    const tokens = new TokenRegistry(run.journal.area, this.options.pollMs);
    const pending = await tokens.issue(run.state);
    const payload = JSON.parse(
      JSON.stringify(params.Payload ?? {}).replaceAll(TOKEN_SENTINEL, pending.token),
    );
    await this.invoke({ ...params, Payload: payload });
    // Everything up to here is on disk before anyone is told to decide: a crash while waiting then
    // resumes at this state, never before it.
    await run.journal.flush();
    run.journal.append({ type: 'TaskWaiting', state: run.state, message: 'waiting for a decision' });
    try {
      const settled = await tokens.wait(pending.token, run.signal);
      const decided = 'output' in settled ? 'approved' : `rejected: ${settled.cause}`;
      run.journal.append({ type: 'TaskDecided', state: run.state, message: decided });
      if ('error' in settled) throw Object.assign(new Error(settled.cause), { name: settled.error });
      return settled.output;
    } catch (error) {
      if (run.signal.aborted) await tokens.expire();
      throw error;
    }
  }
}

/** A `.sync` job that ran and failed: States.TaskFailed with the job's description as Cause (JSON). */
function jobFailed(description: Record<string, unknown>): Error {
  return Object.assign(new Error(JSON.stringify(description)), { name: 'States.TaskFailed' });
}

const TIMEOUT_FIELD = '__slipwayTimeoutSeconds';

/**
 * Step Functions resolves TimeoutSecondsPath against the state's raw input; the local interpreter
 * resolves it against the input after Parameters. The interpreter's copy therefore carries the value
 * through Parameters under a private field (removed again before the task runs), which gives the
 * AWS meaning exactly. The deployed definition is untouched.
 */
function withRawInputTimeouts(definition: AslDefinition): AslDefinition {
  const states: Record<string, AslState> = {};
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type === 'Task' && state.TimeoutSecondsPath !== undefined) {
      const { TimeoutSecondsPath, Parameters, ...rest } = state;
      states[name] = {
        ...rest,
        Parameters: {
          ...(Parameters as Record<string, unknown>),
          [`${TIMEOUT_FIELD}.$`]: TimeoutSecondsPath,
        },
        TimeoutSecondsPath: `$.${TIMEOUT_FIELD}`,
      } as AslState;
    } else states[name] = state;
  }
  return { ...definition, States: states };
}

function withTrainer(trainer: CommandTrainer | undefined): { trainer?: CommandTrainer } {
  return trainer ? { trainer } : {};
}

/**
 * A job's environment as this runner gives it: the job runs on this machine, not in the image the
 * definition names, so `SLIPWAY_TRAINING_IMAGE` is left out and lineage records no image.
 */
function onTheHost(environment: Record<string, string>): Record<string, string> {
  const { [ENV.trainingImage]: _, ...rest } = environment;
  return rest;
}

function stringValues(record: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(record).map(([k, v]) => [k, v === null || v === undefined ? '' : String(v)]),
  );
}

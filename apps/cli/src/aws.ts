import { writeFile } from 'node:fs/promises';
import type { ModelStore } from '@slipway/model-store';
import {
  type ApprovalDecision,
  type AwsClients,
  AwsExecutionError,
  type AwsStage,
  type AwsStageOptions,
  createAwsClients,
  type ExecutionProgress,
  ecrAuthorization,
  executionArn,
  type LogLine,
  listAwsExecutions,
  PR_COMMENT_MARKER,
  parseSince,
  RegistryClient,
  readAwsExecution,
  readLatestVerification,
  readVersionTrend,
  renderPrComment,
  renderRefusedComment,
  resolveAwsStage,
  startAwsExecution,
  storeExecutionRecords,
  tailLogs,
  waitForApprovalOrEnd,
} from '@slipway/runner-aws';
import { newExecutionId, parseExecutionInput } from '@slipway/runner-local';
import type { EvaluationReport } from '@slipway/steps';
import { type Command, Option } from 'commander';
import {
  type CommandModule,
  computeOptions,
  currentActor,
  formatDuration,
  gateOptions,
  hyperparameterOption,
  integer,
  modelNameFor,
  storeDatasetAndReport,
} from './common.js';
import { type ExitStatus, exitNameForExecution } from './exit-codes.js';
import { type Io, Output } from './output.js';
import { loadRunSettings, type ProjectFlags, projectOption } from './project.js';
import {
  defaultCheckout,
  planTrainingImage,
  type RegistryFor,
  resolveTrainingImage,
  type TrainingImage,
} from './training-image.js';

/** What the AWS commands use; tests pass fakes. */
export interface AwsCommandDeps {
  /** SDK clients for a region. Default: clients on the default credential chain. */
  readonly clients?: (region: string | undefined) => Promise<AwsClients>;
  readonly openStore?: (uri: string) => Promise<ModelStore>;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  /** The stage's image registry. Default: ECR, with a token from GetAuthorizationToken. */
  readonly registry?: RegistryFor;
  /** The checkout whose built trainer `start --aws` composes. Default: where @slipway/training-job is. */
  readonly checkout?: string;
}

interface StageFlags {
  readonly aws?: boolean;
  readonly stage: string;
  readonly region?: string;
  readonly stack?: string;
  readonly json?: boolean;
}

/** `--aws`, `--stage`, `--region`, `--stack`. */
function withStageOptions(command: Command, awsHelp: string): Command {
  return command
    .option('--aws', awsHelp)
    .addOption(
      new Option('--stage <name>', 'the deployed stage (its stack is slipway-<stage>-pipeline)')
        .env('SLIPWAY_STAGE')
        .default('dev'),
    )
    .option('--region <region>', 'AWS region (default: AWS_REGION or the profile)')
    .option('--stack <name>', 'stack name, when not slipway-<stage>-pipeline');
}

function describeProgress(progress: ExecutionProgress, name: string): string {
  if (progress.waitingForApproval) {
    return `execution ${name} waits for approval of v${progress.version ?? '?'}: slipway approve --aws ${name} | slipway reject --aws ${name} --reason "<why>"`;
  }
  if (progress.status === 'SUCCEEDED') return `execution ${name} succeeded`;
  return `execution ${name} is ${progress.status}${progress.error ? ` (${progress.error}${progress.cause ? `: ${progress.cause}` : ''})` : ''}`;
}

/**
 * The AWS commands: `slipway start --aws`, `slipway logs`, and `--aws` on `slipway executions`,
 * `slipway approve` and `slipway reject`. Stack outputs are resolved once per command.
 */
export function createAwsCommands(deps: AwsCommandDeps = {}): CommandModule {
  const clientsFor = deps.clients ?? createAwsClients;
  const open =
    deps.openStore ?? (async (uri: string) => (await import('@slipway/model-store')).openStore(uri));

  async function context(flags: StageFlags): Promise<{ clients: AwsClients; stage: AwsStage }> {
    const clients = await clientsFor(flags.region);
    const options: AwsStageOptions = {
      stage: flags.stage,
      ...(flags.region ? { region: flags.region } : {}),
      ...(flags.stack ? { stack: flags.stack } : {}),
    };
    return { clients, stage: await resolveAwsStage(options, clients) };
  }

  async function withStore<T>(uri: string, fn: (store: ModelStore) => Promise<T>): Promise<T> {
    const store = await open(uri);
    try {
      return await fn(store);
    } finally {
      await store.close();
    }
  }

  return (program: Command, io: Io, status: ExitStatus) => {
    // Registered once even if the program loads this group twice.
    if (program.commands.some((c) => c.name() === 'start')) return;

    withStageOptions(
      gateOptions(
        hyperparameterOption(
          projectOption(computeOptions(program.command('start'), ['sagemaker', 'fargate'], 'sagemaker'))
            .description(
              'Start the pipeline on AWS Step Functions (training on SageMaker or Fargate); with --wait, follow it to approval',
            )
            .option(
              '--data <source>',
              "builtin:sentiment, builtin:spam, or a .jsonl/.csv file with text,label (default: the project's data, else builtin:sentiment)",
            )
            .option('--test <path>', 'a separate test file (otherwise a seeded, stratified split)')
            .option(
              '--model <name>',
              "model name in the store (default: the project's, else the dataset name)",
            )
            .option(
              '--approval-timeout <seconds>',
              'reject when nobody decides in time',
              integer(1, 2_147_483),
              7 * 24 * 3600,
            )
            .option(
              '--commit <sha>',
              "git commit recorded in lineage; the training image must be built from it (default: the checkout's HEAD)",
              '',
            )
            .option(
              '--training-image <ref>',
              'train in this image (<registry>/<repository>@sha256:<hex>, built from --commit) instead of composing the built-in trainer or slipway.json trainer.image',
            )
            .option('--pr <number>', 'pull request recorded in lineage', '')
            .option('--wait', 'wait until the execution waits for approval or ends')
            .option(
              '--timeout <seconds>',
              'with --wait: give up after this long',
              integer(1, 86_400),
              4 * 3600,
            )
            .option('--poll <seconds>', 'with --wait: between two status checks', integer(1, 3600), 10)
            .option(
              '--comment-file <path>',
              'write a Markdown pull request comment (evaluation, how to approve) here',
            )
            .option('--json', 'print the outcome as JSON'),
        ),
      ),
      'run on AWS (required: locally use `slipway run`)',
    ).action(
      async (
        flags: StageFlags &
          ProjectFlags & {
            approvalTimeout: number;
            commit: string;
            pr: string;
            wait?: boolean;
            timeout: number;
            poll: number;
            commentFile?: string;
            trainingImage?: string;
          },
      ) => {
        if (!flags.aws) {
          throw new AwsExecutionError(
            'slipway start runs the pipeline on AWS: add --aws (to run it on this machine, use `slipway run`)',
          );
        }
        const out = new Output(io, Boolean(flags.json));
        const settings = await loadRunSettings(flags, out);
        // What is refused before an execution starts reaches the pull request too.
        const refused = async (error: unknown): Promise<never> => {
          if (flags.commentFile) {
            await writeFile(
              flags.commentFile,
              renderRefusedComment({
                stage: flags.stage,
                commit: flags.commit,
                reason: (error as Error).message,
              }),
            );
            out.info(`comment   ${flags.commentFile} (${PR_COMMENT_MARKER})`);
          }
          throw error;
        };
        const plan = await planTrainingImage({
          settings,
          flag: flags.trainingImage,
          commit: flags.commit,
          checkout: async () => deps.checkout ?? (await defaultCheckout()),
        }).catch(refused);
        const { clients, stage } = await context(flags);
        const stateMachineArn = stage.need('StateMachineArn');
        const storeUri = stage.need('StoreUri');
        const registryFor: RegistryFor =
          deps.registry ??
          ((host) => {
            const authorization = ecrAuthorization(
              clients.ecr,
              Date.now,
              'whoever runs `slipway start --aws`',
            );
            return new RegistryClient({ registry: host, authorization });
          });
        const image: TrainingImage = await resolveTrainingImage(plan, stage, registryFor).catch(refused);
        const commit = flags.commit === '' ? (image.commit ?? '') : flags.commit;
        out.info(
          `training  ${image.uri}   ${
            image.source === 'compose'
              ? `(the stage's trainer image + this checkout's build of ${image.commit})`
              : image.source === 'flag'
                ? `(--training-image, built from ${image.commit})`
                : '(slipway.json trainer.image)'
          }`,
        );
        await withStore(storeUri, async (store) => {
          const dataset = await storeDatasetAndReport(store, settings, out, ' (uploaded)');
          const input = parseExecutionInput({
            model: settings.model ?? modelNameFor(dataset.name),
            runId: newExecutionId(deps.now === undefined ? new Date() : new Date(deps.now())),
            dataset: { name: dataset.name, sha256: dataset.sha256 },
            hyperparameters: settings.hyperparameters,
            git: { commit, pullRequest: flags.pr },
            trainingImage: image.uri,
            compute: settings.compute ?? 'sagemaker',
            trainer: settings.trainer,
            thresholds: settings.thresholds,
            approvalTimeoutSeconds: flags.approvalTimeout,
            trigger: flags.pr === '' ? 'cli' : 'pull-request',
          });
          const started = await startAwsExecution(clients.sfn, stateMachineArn, input);
          out.info(`execution ${started.name}   stage ${stage.stage}   ${started.executionArn}`);

          // Followed through DescribeExecution and the steps' records in the store, never the history
          // (it holds the approval's task token).
          const records = storeExecutionRecords(store);
          let progress: ExecutionProgress;
          if (flags.wait) {
            progress = await waitForApprovalOrEnd(clients.sfn, started.executionArn, records, {
              pollMs: flags.poll * 1000,
              timeoutMs: flags.timeout * 1000,
              ...(deps.sleep ? { sleep: deps.sleep } : {}),
              ...(deps.now ? { now: deps.now } : {}),
              onExited: (state) => {
                // The store's records say a state finished, not how long it took.
                const took = state.enteredAt
                  ? ` ${formatDuration(state.exitedAt.getTime() - state.enteredAt.getTime()).padStart(9)}`
                  : '';
                out.info(`  ok  ${state.name.padEnd(18)}${took}`.trimEnd());
              },
            });
            out.info(describeProgress(progress, started.name));
          } else {
            progress = await readAwsExecution(clients.sfn, started.executionArn, records);
          }

          if (flags.commentFile) {
            let report: EvaluationReport | null = null;
            if (progress.evaluation !== null) {
              const { readEvaluationReport } = await import('@slipway/steps');
              report =
                (await readEvaluationReport(store, started.executionArn).catch((error: unknown) => {
                  out.info(
                    `  (the full evaluation report could not be read: ${(error as Error).message}; using the execution's figures)`,
                  );
                  return undefined;
                })) ?? null;
            }
            const history = await readVersionTrend(store, input.model).catch((error: unknown) => {
              out.info(`  (the version history could not be read: ${(error as Error).message})`);
              return undefined;
            });
            const verification =
              progress.version === null
                ? undefined
                : await readLatestVerification(store, input.model, progress.version).catch(
                    (error: unknown) => {
                      out.info(`  (the verifications could not be read: ${(error as Error).message})`);
                      return undefined;
                    },
                  );
            const comment = renderPrComment({
              ...(history ? { history } : {}),
              ...(verification !== undefined ? { verification } : {}),
              model: input.model,
              executionName: started.name,
              executionArn: started.executionArn,
              stage: stage.stage,
              progress,
              report,
              commit,
              trainingImage: image.uri,
            });
            await writeFile(flags.commentFile, comment);
            out.info(`comment   ${flags.commentFile} (${PR_COMMENT_MARKER})`);
          }

          out.result(
            {
              name: started.name,
              executionArn: started.executionArn,
              stage: stage.stage,
              status: progress.waitingForApproval ? 'WAITING_FOR_APPROVAL' : progress.status,
              state: progress.state,
              version: progress.version,
              evaluation: progress.evaluation,
              error: progress.error,
              cause: progress.cause,
              trainingImage: image.uri,
              commit,
            },
            () => started.name,
          );
          // A waited-for execution that ended without success fails the command (and the PR check).
          if (flags.wait && !progress.waitingForApproval && progress.status !== 'RUNNING')
            status.set(exitNameForExecution({ status: progress.status, finalState: progress.state }));
        });
      },
    );

    withStageOptions(
      program
        .command('logs')
        .description("Print the pipeline's CloudWatch logs (state machine and functions) in one stream")
        .option('--follow', 'keep printing new events until Ctrl-C')
        .option('--since <when>', 'start at a duration ago (90s, 15m, 2h, 1d) or an ISO time', '15m')
        .option('--filter <pattern>', 'a CloudWatch Logs filter pattern, e.g. ERROR or an execution name')
        .option('--group <text>', 'only the log groups whose name contains this')
        .option('--json', 'print one JSON object per event'),
      'read the logs of the AWS deployment (the default: logs live only there)',
    ).action(
      async (flags: StageFlags & { follow?: boolean; since: string; filter?: string; group?: string }) => {
        const startTime = parseSince(flags.since, (deps.now ?? Date.now)());
        const { clients, stage } = await context(flags);
        stage.need('LogGroupNames');
        const groups = stage
          .logGroupNames()
          .filter((g) => flags.group === undefined || g.includes(flags.group));
        if (groups.length === 0) {
          throw new AwsExecutionError(
            `no log group of ${stage.stackName} matches --group ${JSON.stringify(flags.group)}; it has ${stage.logGroupNames().join(', ')}`,
          );
        }
        const short = (group: string) => group.split('/').at(-1) ?? group;
        const width = Math.max(...groups.map((g) => short(g).length));
        const print = (line: LogLine) =>
          io.stdout.write(
            flags.json
              ? `${JSON.stringify(line)}\n`
              : `${new Date(line.timestamp).toISOString()} ${short(line.group).padEnd(width)} ${line.message}\n`,
          );
        const abort = new AbortController();
        const stop = () => abort.abort();
        process.once('SIGINT', stop);
        try {
          await tailLogs(clients.logs, groups, {
            startTime,
            ...(flags.filter ? { filterPattern: flags.filter } : {}),
            follow: Boolean(flags.follow),
            signal: abort.signal,
            ...(deps.sleep ? { sleep: deps.sleep } : {}),
            onLine: print,
          });
        } finally {
          process.off('SIGINT', stop);
        }
      },
    );

    const executions = program.commands.find((c) => c.name() === 'executions');
    if (executions) {
      // Positional options (on the program too, which has none of its own): the group's options end at
      // its subcommand, so `executions list --json` keeps its --json.
      program.enablePositionalOptions();
      withStageOptions(executions.enablePositionalOptions(), 'list the executions of the AWS state machine')
        .addOption(
          new Option('--status <status>', 'with --aws: only executions in this status').choices([
            'RUNNING',
            'SUCCEEDED',
            'FAILED',
            'TIMED_OUT',
            'ABORTED',
          ]),
        )
        .option('--limit <n>', 'with --aws: how many, newest first', integer(1, 1000), 20)
        .option('--json', 'with --aws: print as JSON')
        .action(async (flags: StageFlags & { status?: string; limit: number }, command: Command) => {
          if (!flags.aws) {
            command.help({ error: true });
            return;
          }
          const out = new Output(io, Boolean(flags.json));
          const { clients, stage } = await context(flags);
          const list = await listAwsExecutions(clients.sfn, stage.need('StateMachineArn'), {
            ...(flags.status ? { status: flags.status } : {}),
            limit: flags.limit,
          });
          const now = (deps.now ?? Date.now)();
          out.result(list, () =>
            list.length === 0
              ? `no executions of ${stage.need('StateMachineArn')}; start one with \`slipway start --aws\``
              : list
                  .map((e) =>
                    [
                      e.name.padEnd(40),
                      e.status.padEnd(10),
                      e.startDate ?? '',
                      e.startDate
                        ? formatDuration(
                            (e.stopDate ? Date.parse(e.stopDate) : now) - Date.parse(e.startDate),
                          ).padStart(12)
                        : '',
                    ].join(' '),
                  )
                  .join('\n'),
          );
        });
    }

    for (const decision of ['approve', 'reject'] as const) {
      const command = program.commands.find((c) => c.name() === decision);
      if (command === undefined) continue;
      // The local action is kept for the default path; commander has no public getter for it.
      const local = (command as unknown as { _actionHandler?: unknown })._actionHandler;
      if (typeof local !== 'function') {
        throw new Error(
          `cannot add --aws to \`slipway ${decision}\`: commander no longer exposes the command's action`,
        );
      }
      withStageOptions(
        command,
        'decide an execution on AWS Step Functions (by execution name or ARN)',
      ).action(
        async (
          id: string,
          flags: StageFlags & { comment?: string; reason?: string; by?: string },
          cmd: Command,
        ) => {
          if (!flags.aws) {
            await (local as (args: unknown[]) => Promise<void>).call(command, cmd.processedArgs);
            return;
          }
          const out = new Output(io, Boolean(flags.json));
          const by = flags.by ?? currentActor();
          const { clients, stage } = await context(flags);
          const arn = executionArn(stage.need('StateMachineArn'), id);
          const choice: ApprovalDecision =
            decision === 'approve'
              ? { decision, by, comment: flags.comment ?? '' }
              : { decision, by, reason: flags.reason ?? '' };
          const { settleApproval } = await import('@slipway/runner-aws');
          const outcome = await withStore(stage.need('StoreUri'), (store) =>
            settleApproval({ store, sfn: clients.sfn, executionId: arn, decision: choice, via: 'cli' }),
          );
          const name = arn.split(':').at(-1) ?? id;
          switch (outcome.status) {
            case 'settled':
              out.result(
                outcome.decision === 'approve'
                  ? { id: name, executionArn: arn, decision, by, output: outcome.output }
                  : { id: name, executionArn: arn, decision, by, error: outcome.error, cause: outcome.cause },
                () =>
                  decision === 'approve'
                    ? `approved execution ${name} as ${by}`
                    : `rejected execution ${name} as ${by}: ${outcome.decision === 'reject' ? outcome.cause : ''}`,
              );
              return;
            case 'already-decided':
              throw new AwsExecutionError(
                `execution ${name} was already ${outcome.marker.decision === 'approve' ? 'approved' : 'rejected'} by ${outcome.marker.by} at ${outcome.marker.at} (via ${outcome.marker.via})`,
              );
            case 'closed':
              throw new AwsExecutionError(
                `execution ${name} no longer waits for approval (${outcome.reason}); see it with \`slipway executions --aws\``,
              );
            default:
              throw new AwsExecutionError(
                `execution ${name} has not asked for approval (no approval request in ${stage.need('StoreUri')}); ` +
                  'it may still be training or evaluating: check `slipway executions --aws`',
              );
          }
        },
      );
    }
  };
}

/** `slipway start --aws`, `slipway logs`, and `--aws` on `executions`, `approve` and `reject`. */
export const awsCommands: CommandModule = createAwsCommands();

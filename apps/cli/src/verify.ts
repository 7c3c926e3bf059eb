import { resolve } from 'node:path';
import { describeTrainer } from '@slipway/contracts';
import {
  type ModelStore,
  openStore,
  type VerificationOutcome,
  type VerificationRecord,
} from '@slipway/model-store';
import type { AwsClients, SageMakerCall } from '@slipway/runner-aws';
import { localRebuild } from '@slipway/runner-local';
import { type RebuildRequest, type Rebuilt, verifyVersion } from '@slipway/steps';
import { type Command, Option } from 'commander';
import { type CommandModule, currentActor, integer, storeOption } from './common.js';
import type { ExitName } from './exit-codes.js';
import { type Io, Output } from './output.js';

/** The exit of each verification outcome. */
const VERIFY_EXITS: Readonly<Record<VerificationOutcome, ExitName>> = {
  reproducible: 'succeeded',
  differs: 'verifyDiffers',
  'not-deterministic': 'verifyNotDeterministic',
  'dataset-refused': 'verifyDatasetRefused',
  unverifiable: 'verifyUnverifiable',
};

/** A verification as people read it. */
function describeVerification(record: VerificationRecord): string {
  const lines = [
    `${record.model} v${record.version}: ${record.outcome}`,
    `  ${record.summary}`,
    `  registered   ${record.registeredSha256 ?? '-'}`,
    `  rebuilt      ${record.rebuiltSha256 ?? '- (nothing was trained)'}`,
  ];
  if (record.trainer) lines.push(`  trainer      ${describeTrainer(record.trainer)}`);
  if (record.environment) {
    const e = record.environment;
    lines.push(
      `  environment  node ${e.node}, onnxruntime ${e.onnxruntime}, ${e.platform}${e.image ? `, image ${e.image}` : ''}`,
    );
  }
  if (record.differences.length > 0) {
    lines.push('  differs from the recorded lineage:');
    for (const d of record.differences)
      lines.push(
        `    ${d.field.padEnd(24)} recorded ${d.recorded ?? 'unknown'}, rebuilt ${d.rebuilt ?? 'unknown'}`,
      );
  }
  if (record.predictions) {
    const p = record.predictions;
    lines.push(
      `  predictions  same label on ${p.sameLabel} of ${p.rows} test rows; largest probability difference ${p.maxProbabilityDiff.toPrecision(3)}`,
    );
  }
  lines.push(`  recorded     ${record.at} by ${record.by} (${record.where})`);
  return lines.join('\n');
}

/** What `slipway verify --aws` uses; tests pass the SageMaker double and a local S3 store. */
export interface VerifyAwsDeps {
  /** CloudFormation for a region (the stage's outputs). Default: the SDK on the default credential chain. */
  readonly clients?: (region: string | undefined) => Promise<Pick<AwsClients, 'cloudformation'>>;
  /** SageMaker's API in a region. Default: SigV4-signed calls to api.sagemaker.<region>.amazonaws.com. */
  readonly sageMaker?: (region: string) => SageMakerCall;
  /** Opens the stage's store. Default: openStore with the default credential chain. */
  readonly openStore?: (uri: string) => Promise<ModelStore>;
  /** Waits between two DescribeTrainingJob calls. Default: --poll seconds. */
  readonly wait?: () => Promise<void>;
}

interface VerifyFlags {
  readonly store: string;
  readonly json?: boolean;
  readonly workdir?: string;
  readonly aws?: boolean;
  readonly stage: string;
  readonly region?: string;
  readonly stack?: string;
  readonly poll: number;
}

/** The region of an ARN (`arn:aws:states:<region>:...`). */
function regionOfArn(arn: string): string | undefined {
  return arn.split(':')[3] || undefined;
}

/**
 * `slipway verify <model> <version>`: the rebuild on this machine, or with `--aws` as a training job of
 * the deployed stage (its outputs name the role, the instance type and the job name prefix; the image is
 * the digest the lineage records), compared and recorded in the stage's store.
 */
export function createVerifyCommands(deps: VerifyAwsDeps = {}): CommandModule {
  return (program: Command, io: Io, status) => {
    program
      .command('verify')
      .description(
        'Rebuild a registered version from its lineage (stored dataset, trainer, hyperparameters) and compare model.onnx bit for bit',
      )
      .argument('<model>', 'model name')
      .argument('<version>', 'version number or alias')
      .addOption(storeOption())
      .option(
        '--workdir <dir>',
        "where a command trainer's recorded command runs (default: the current directory)",
      )
      .option(
        '--aws',
        "rebuild as a SageMaker training job of the deployed stage, in the image the lineage records, and compare in the stage's store (--store is not used)",
      )
      .addOption(
        new Option('--stage <name>', 'with --aws: the deployed stage (its stack is slipway-<stage>-pipeline)')
          .env('SLIPWAY_STAGE')
          .default('dev'),
      )
      .option('--region <region>', "with --aws: AWS region (default: the stage's)")
      .option('--stack <name>', 'with --aws: stack name, when not slipway-<stage>-pipeline')
      .option('--poll <seconds>', 'with --aws: between two checks of the training job', integer(1, 3600), 30)
      .option('--json', 'print the verification record as JSON')
      .action(async (model: string, ref: string, flags: VerifyFlags) => {
        const out = new Output(io, Boolean(flags.json));
        const interrupted = new AbortController();
        const onSigint = () => interrupted.abort();
        let store: ModelStore;
        let rebuild: (request: RebuildRequest) => Promise<Rebuilt>;
        if (flags.aws) {
          const aws = await import('@slipway/runner-aws');
          const clients = await (deps.clients ?? aws.createAwsClients)(flags.region);
          const stage = await aws.resolveAwsStage(
            {
              stage: flags.stage,
              ...(flags.region ? { region: flags.region } : {}),
              ...(flags.stack ? { stack: flags.stack } : {}),
            },
            clients,
          );
          const settings = aws.rebuildStage(stage);
          const region = flags.region ?? regionOfArn(stage.need('StateMachineArn'));
          if (region === undefined)
            throw new aws.AwsStageError(`cannot tell the region of ${stage.stackName}: pass --region`);
          const call =
            deps.sageMaker?.(region) ??
            aws.sageMakerCall(region, aws.signedFetch(region, { service: 'sagemaker' }));
          store = await (deps.openStore ?? ((uri: string) => openStore(uri, { actor: currentActor() })))(
            settings.storeUri,
          );
          out.info(`stage ${stage.stage}   store ${settings.storeUri}   ${settings.instanceType}`);
          const pollMs = flags.poll * 1000;
          rebuild = aws.awsRebuild(settings, {
            call,
            store,
            signal: interrupted.signal,
            wait: deps.wait ?? (() => new Promise((resolve) => setTimeout(resolve, pollMs))),
            log: (line) => out.info(`  | ${line}`),
          });
          // Ctrl-C stops the training job instead of leaving it running.
          process.once('SIGINT', onSigint);
        } else {
          store = await openStore(flags.store, { actor: currentActor() });
          rebuild = localRebuild(store, {
            log: (line) => out.info(`  | ${line}`),
            ...(flags.workdir ? { workdir: resolve(flags.workdir) } : {}),
          });
        }
        try {
          const { version } = await store.getManifest(model, /^\d+$/.test(ref) ? Number(ref) : ref);
          const record = await verifyVersion(model, version, {
            store,
            where: flags.aws ? 'aws' : 'local',
            rebuild,
            log: (line) => out.info(line),
          });
          out.result(record, () => describeVerification(record));
          status.set(VERIFY_EXITS[record.outcome]);
        } finally {
          process.off('SIGINT', onSigint);
          await store.close();
        }
      });
  };
}

/** `slipway verify <model> <version> [--aws]`. */
export const verifyCommands: CommandModule = createVerifyCommands();

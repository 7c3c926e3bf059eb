import { randomUUID } from 'node:crypto';
import { ENV, layout } from '@slipway/contracts';
import type { ModelStore } from '@slipway/model-store';
import { type RebuildRequest, type Rebuilt, readArtifact, TrainerUnavailableError } from '@slipway/steps';
import type { Fetch } from '../sigv4-fetch.js';
import { AwsStageError } from './errors.js';
import type { AwsStage } from './stage.js';

/**
 * SageMaker's JSON API (protocol awsJson1_1): `POST /` with `X-Amz-Target: SageMaker.<Action>`; errors
 * come back as `{"__type", "message"}`.
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/CommonErrors.html
 */
export type SageMakerCall = (
  action: 'CreateTrainingJob' | 'DescribeTrainingJob' | 'StopTrainingJob',
  body: object,
) => Promise<unknown>;

/** Options of {@link sageMakerCall}. */
export interface SageMakerCallOptions {
  /** Tries of a DescribeTrainingJob or StopTrainingJob that is throttled or meets a server error (default 5). */
  readonly attempts?: number;
  /** Waits before a retry (default: 1 s, 2 s, 4 s, …). */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Actions that change nothing when repeated: only these are retried. */
const IDEMPOTENT = new Set(['DescribeTrainingJob', 'StopTrainingJob']);

/**
 * A SageMakerCall over a SigV4-signing fetch (`signedFetch(region, { service: 'sagemaker' })`). A refusal
 * is an AwsStageError naming SageMaker's `__type`. Throttling (`ThrottlingException`), HTTP 5xx and
 * network errors are retried for DescribeTrainingJob and StopTrainingJob, which a rebuild polls for as
 * long as its job runs; CreateTrainingJob is not retried (a job may have started).
 */
export function sageMakerCall(
  region: string,
  fetch: Fetch,
  options: SageMakerCallOptions = {},
): SageMakerCall {
  const url = `https://api.sagemaker.${region}.amazonaws.com/`;
  const attempts = options.attempts ?? 5;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const once = async (action: string, body: object): Promise<{ value: unknown } | { retry: string }> => {
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `SageMaker.${action}` },
        body: JSON.stringify(body),
      });
    } catch (error) {
      return { retry: `SageMaker ${action} did not answer: ${(error as Error).message}` };
    }
    const text = await response.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
    } catch {
      // A proxy's or load balancer's page instead of SageMaker's JSON: reported by its status below.
      if (response.ok) throw new AwsStageError(`SageMaker ${action} answered something that is not JSON`);
    }
    if (response.ok) return { value: parsed };
    const type = String(parsed.__type ?? `HTTP ${response.status}`)
      .split('#')
      .at(-1);
    const message = `SageMaker ${action} refused: ${type}: ${String(parsed.message ?? parsed.Message ?? text.slice(0, 200))}`;
    if (type === 'ThrottlingException' || response.status >= 500) return { retry: message };
    throw new AwsStageError(message);
  };
  return async (action, body) => {
    for (let attempt = 1; ; attempt++) {
      const result = await once(action, body);
      if ('value' in result) return result.value;
      if (!IDEMPOTENT.has(action) || attempt >= attempts)
        throw new AwsStageError(attempt > 1 ? `${result.retry} (after ${attempt} tries)` : result.retry);
      await sleep(1000 * 2 ** (attempt - 1));
    }
  };
}

/** What a rebuild on the stage needs: the stage's store, role, instance type and job name prefix (its stack's outputs). */
export interface AwsRebuildStage {
  /** `s3://bucket/prefix`, the stage's StoreUri. */
  readonly storeUri: string;
  readonly roleArn: string;
  readonly instanceType: string;
  /** The stage's training image: named when a lineage records none (such a version is not rebuilt). */
  readonly trainingImageUri: string;
  /** Every rebuild's training job name starts with it; the stage's verify policy allows no other. */
  readonly jobNamePrefix: string;
}

/**
 * The rebuild settings of a resolved stage, from the outputs the stage's VerifyOnAws construct writes
 * (cdk/src/constructs/verify-on-aws.ts) and StoreUri.
 */
export function rebuildStage(stage: AwsStage): AwsRebuildStage {
  return {
    storeUri: stage.need('StoreUri'),
    roleArn: stage.need('VerifySageMakerRoleArn'),
    instanceType: stage.need('VerifyInstanceType'),
    trainingImageUri: stage.need('VerifyTrainingImageUri'),
    jobNamePrefix: stage.need('VerifyJobNamePrefix'),
  };
}

export interface AwsRebuildOptions {
  readonly call: SageMakerCall;
  readonly store: ModelStore;
  /** Waits between DescribeTrainingJob polls (default 30 s; tests pass a resolved promise). */
  readonly wait?: () => Promise<void>;
  readonly log?: (line: string) => void;
  /** Aborting stops the training job (StopTrainingJob) and fails the rebuild. */
  readonly signal?: AbortSignal;
}

/** SageMaker training job names: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateTrainingJob.html */
const JOB_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

/**
 * The CreateTrainingJob request of a rebuild: the same shape as the definition's TrainOnSageMaker state
 * (contracts/state-machine.asl.json), with the image digest the lineage records (the same image the
 * version was trained in), the stored dataset as the channels and the store's `runs/` as the output.
 */
export function rebuildJobRequest(stage: AwsRebuildStage, request: RebuildRequest): Record<string, unknown> {
  const base = stage.storeUri.replace(/\/+$/, '');
  const image =
    request.trainer.type === 'command' ? request.trainer.image : request.lineage.environment.image;
  if (image === null) {
    throw new TrainerUnavailableError(
      request.trainer.type === 'command'
        ? `version ${request.version} of "${request.model}" was trained by ${request.trainer.command.join(' ')} on a host, not in an image: a training job of the stage cannot run it; verify it locally`
        : `version ${request.version} of "${request.model}" records no training image digest (it was trained outside an image, e.g. by slipway run): a training job of the stage would run the stage's image ${stage.trainingImageUri}, not what trained it; verify it locally`,
    );
  }
  // Lowercase: SageMaker lowercases job names in training-job ARNs, which the stage's policy matches.
  const suffix = randomUUID().slice(0, 8);
  const tail = `-${request.version}-${request.attempt}-${suffix}`;
  const name = `${stage.jobNamePrefix}-${request.model.toLowerCase().replace(/[^a-z0-9-]/g, '-')}`
    .slice(0, 63 - tail.length)
    .replace(/-+$/, '');
  const jobName = `${name}${tail}`;
  if (!JOB_NAME.test(jobName) || !jobName.startsWith(`${stage.jobNamePrefix}-`))
    throw new AwsStageError(
      `cannot name a training job for "${request.model}" under the prefix ${stage.jobNamePrefix}: ${jobName}`,
    );
  const channel = (channelName: 'train' | 'test') => ({
    ChannelName: channelName,
    DataSource: {
      S3DataSource: {
        S3DataType: 'S3Prefix',
        S3Uri: `${base}/${layout.datasetVersion(request.dataset.name, request.dataset.sha256)}${channelName}`,
        S3DataDistributionType: 'FullyReplicated',
      },
    },
  });
  return {
    TrainingJobName: jobName,
    AlgorithmSpecification: { TrainingImage: image, TrainingInputMode: 'File' },
    RoleArn: stage.roleArn,
    HyperParameters: request.hyperparameters,
    Environment: {
      [ENV.modelName]: request.model,
      [ENV.datasetName]: request.dataset.name,
      ...(request.lineage.gitCommit ? { [ENV.gitCommit]: request.lineage.gitCommit } : {}),
      // The rebuild's lineage names the image it ran in, as the recorded one does.
      [ENV.trainingImage]: image,
    },
    InputDataConfig: [channel('train'), channel('test')],
    OutputDataConfig: { S3OutputPath: `${base}/runs` },
    ResourceConfig: { InstanceCount: 1, InstanceType: stage.instanceType, VolumeSizeInGB: 10 },
    StoppingCondition: { MaxRuntimeInSeconds: 86400 },
  };
}

/**
 * The rebuild port of `verifyVersion` on AWS: the recorded inputs as a training job of the stage
 * (CreateTrainingJob), followed with DescribeTrainingJob until it ends, its model.tar.gz read from the
 * store like the Evaluate step reads one.
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeTrainingJob.html
 */
export function awsRebuild(
  stage: AwsRebuildStage,
  options: AwsRebuildOptions,
): (request: RebuildRequest) => Promise<Rebuilt> {
  const wait = options.wait ?? (() => new Promise<void>((resolve) => setTimeout(resolve, 30_000)));
  const log = options.log ?? (() => {});
  return async (request) => {
    options.signal?.throwIfAborted();
    const body = rebuildJobRequest(stage, request);
    const jobName = body.TrainingJobName as string;
    await options.call('CreateTrainingJob', body);
    log(
      `training job ${jobName} (${(body.AlgorithmSpecification as { TrainingImage: string }).TrainingImage})`,
    );
    let stopping = false;
    for (;;) {
      if (options.signal?.aborted && !stopping) {
        // Not left running (and billed) after the person gave up: stopped, then followed until it ends.
        stopping = true;
        log(`stopping training job ${jobName}`);
        await options.call('StopTrainingJob', { TrainingJobName: jobName });
      }
      const job = (await options.call('DescribeTrainingJob', { TrainingJobName: jobName })) as {
        TrainingJobStatus?: string;
        FailureReason?: string;
        ModelArtifacts?: { S3ModelArtifacts?: string };
      };
      if (job.TrainingJobStatus === 'Completed' && !stopping) {
        const uri = job.ModelArtifacts?.S3ModelArtifacts;
        if (!uri) throw new AwsStageError(`training job ${jobName} completed without ModelArtifacts`);
        const artifact = await readArtifact(options.store, uri, request.model);
        const modelBytes = artifact.files['model.onnx'];
        if (!modelBytes) throw new AwsStageError(`training job ${jobName} wrote no model.onnx`);
        return { modelBytes, manifest: artifact.manifest };
      }
      if (
        job.TrainingJobStatus === 'Failed' ||
        job.TrainingJobStatus === 'Stopped' ||
        (stopping && job.TrainingJobStatus === 'Completed')
      ) {
        throw new AwsStageError(
          stopping
            ? `training job ${jobName} was stopped: the verification was interrupted, nothing is recorded`
            : `training job ${jobName} ${job.TrainingJobStatus.toLowerCase()}: ${job.FailureReason ?? 'no reason given'}`,
        );
      }
      await wait();
    }
  };
}

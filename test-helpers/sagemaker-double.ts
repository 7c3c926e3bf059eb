// SageMaker's training jobs as documented, over a model store: the request rules and refusals of
// CreateTrainingJob, DescribeTrainingJob and StopTrainingJob, and the training container run under the
// training contract (channels from S3Prefix, model.tar.gz to <S3OutputPath>/<job>/output/).
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { packArchive } from '@slipway/contracts/tar';
import type { ModelStore } from '@slipway/model-store';
import type { SageMakerCall } from '@slipway/runner-aws';
import { runTrainingContainer } from '@slipway/training-job';

/** The members of CreateTrainingJob's request the double reads. */
interface JobRequest {
  readonly [member: string]: unknown;
  readonly TrainingJobName: string;
  readonly AlgorithmSpecification: { readonly TrainingImage: string };
  readonly RoleArn: string;
  readonly HyperParameters?: Record<string, unknown>;
  readonly Environment?: Record<string, string>;
  readonly InputDataConfig: readonly {
    readonly ChannelName: string;
    readonly DataSource: { readonly S3DataSource: { readonly S3Uri: string } };
  }[];
  readonly OutputDataConfig: { readonly S3OutputPath: string };
  readonly ResourceConfig: { readonly InstanceType: string };
}

/** A refusal as SageMaker's JSON protocol sends it: `__type` and `message`. */
class SageMakerError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(`SageMaker refused: ${type}: ${message}`);
    this.name = type;
  }
}

interface Job {
  polls: number;
  status: 'InProgress' | 'Stopping' | 'Completed' | 'Failed' | 'Stopped';
  /** Where it ends: Completed with the artifact, or Failed with the container's failure reason. */
  readonly outcome: { status: 'Completed'; artifact: string } | { status: 'Failed'; reason: string };
  readonly request: JobRequest;
}

/** What the double allows beyond the documented rules: the images that exist, the roles it may assume. */
export interface SageMakerDoubleOptions {
  readonly store: ModelStore;
  /** Images that exist (any other is refused): each runs the built-in training container. */
  readonly images: readonly string[];
  readonly region?: string;
  readonly account?: string;
}

/**
 * CreateTrainingJob (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateTrainingJob.html):
 * the name's pattern `^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}` and 63 characters, the required members
 * (AlgorithmSpecification, RoleArn, OutputDataConfig, ResourceConfig, StoppingCondition), HyperParameters
 * as at most 100 string values of at most 2,500 characters; a name already used in the account and
 * region is ResourceInUse. The job runs the image's training program under the training contract; a
 * non-zero exit fails the job with what the program wrote to /opt/ml/output/failure as FailureReason.
 * DescribeTrainingJob (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeTrainingJob.html)
 * reports InProgress on the first poll, then Completed with ModelArtifacts.S3ModelArtifacts, or Failed with
 * FailureReason; an unknown name is ResourceNotFound. StopTrainingJob
 * (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_StopTrainingJob.html) sets an
 * InProgress job to Stopping, then Stopped; an unknown name is ResourceNotFound.
 */
export function sageMakerDouble(options: SageMakerDoubleOptions) {
  const { store } = options;
  const region = options.region ?? 'eu-west-1';
  const account = options.account ?? '123456789012';
  const jobs = new Map<string, Job>();
  const calls: { action: string; body: Record<string, unknown> }[] = [];
  const base = store.uri.replace(/\/+$/, '');
  const keyOf = (uri: string) => {
    if (!uri.startsWith(`${base}/`))
      throw new SageMakerError('ValidationException', `${uri} is not in ${base}`);
    return uri.slice(base.length + 1);
  };

  async function run(b: JobRequest): Promise<Job['outcome']> {
    const root = await mkdtemp(join(tmpdir(), 'slipway-opt-ml-'));
    try {
      await mkdir(join(root, 'input/config'), { recursive: true });
      await writeFile(
        join(root, 'input/config/hyperparameters.json'),
        JSON.stringify(b.HyperParameters ?? {}),
      );
      for (const channel of b.InputDataConfig) {
        const target = join(root, 'input/data', channel.ChannelName);
        await mkdir(target, { recursive: true });
        for (const o of await store.backend.list(keyOf(channel.DataSource.S3DataSource.S3Uri))) {
          const found = await store.backend.get(o.key);
          if (found) await writeFile(join(target, basename(o.key)), found.body);
        }
      }
      if ((await runTrainingContainer(root, b.Environment, () => {})) !== 0) {
        const reason = await readFile(join(root, 'output/failure'), 'utf8').catch(() => 'AlgorithmError');
        return { status: 'Failed', reason };
      }
      const files: Record<string, Uint8Array> = {};
      for (const f of await readdir(join(root, 'model'))) files[f] = await readFile(join(root, 'model', f));
      const artifact = `${b.OutputDataConfig.S3OutputPath}/${b.TrainingJobName}/output/model.tar.gz`;
      await store.backend.put(keyOf(artifact), packArchive(files));
      return { status: 'Completed', artifact };
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }

  const call: SageMakerCall = async (action, body) => {
    const b = body as JobRequest;
    calls.push({ action, body: body as Record<string, unknown> });
    if (action === 'DescribeTrainingJob' || action === 'StopTrainingJob') {
      const job = jobs.get(b.TrainingJobName);
      if (!job) throw new SageMakerError('ResourceNotFound', 'Requested resource not found.');
      if (action === 'StopTrainingJob') {
        if (job.status === 'InProgress') job.status = 'Stopping';
        return {};
      }
      job.polls++;
      if (job.status === 'Stopping') job.status = 'Stopped';
      else if (job.status === 'InProgress' && job.polls > 1) job.status = job.outcome.status;
      return {
        TrainingJobName: b.TrainingJobName,
        TrainingJobArn: `arn:aws:sagemaker:${region}:${account}:training-job/${b.TrainingJobName.toLowerCase()}`,
        TrainingJobStatus: job.status,
        AlgorithmSpecification: job.request.AlgorithmSpecification,
        RoleArn: job.request.RoleArn,
        ...(job.status === 'Completed' && job.outcome.status === 'Completed'
          ? { ModelArtifacts: { S3ModelArtifacts: job.outcome.artifact } }
          : {}),
        ...(job.status === 'Failed' && job.outcome.status === 'Failed'
          ? { FailureReason: job.outcome.reason }
          : {}),
      };
    }
    const name = b.TrainingJobName;
    if (typeof name !== 'string' || name.length > 63 || !/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/.test(name))
      throw new SageMakerError('ValidationException', `TrainingJobName ${String(name)}`);
    for (const member of [
      'AlgorithmSpecification',
      'RoleArn',
      'OutputDataConfig',
      'ResourceConfig',
      'StoppingCondition',
    ])
      if (b[member] === undefined) throw new SageMakerError('ValidationException', `missing ${member}`);
    const hp = Object.entries(b.HyperParameters ?? {});
    if (hp.length > 100 || hp.some(([, v]) => typeof v !== 'string' || v.length > 2500))
      throw new SageMakerError('ValidationException', 'HyperParameters');
    if (jobs.has(name))
      throw new SageMakerError(
        'ResourceInUse',
        'Training job names must be unique within an AWS account and region, and a training job with this name already exists',
      );
    if (!options.images.includes(b.AlgorithmSpecification.TrainingImage))
      throw new SageMakerError(
        'ValidationException',
        `image ${b.AlgorithmSpecification.TrainingImage} does not exist`,
      );
    jobs.set(name, { polls: 0, status: 'InProgress', outcome: await run(b), request: b });
    return { TrainingJobArn: `arn:aws:sagemaker:${region}:${account}:training-job/${name.toLowerCase()}` };
  };
  /**
   * The same over SageMaker's JSON protocol (https://docs.aws.amazon.com/sagemaker/latest/APIReference/CommonErrors.html):
   * `POST /` with `X-Amz-Target: SageMaker.<Action>`; a refusal is HTTP 400 with `{"__type", "message"}`.
   * Every URL asked is kept in `urls`.
   */
  const urls: string[] = [];
  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    urls.push(String(input));
    const headers = new Headers(init?.headers);
    const action = headers.get('x-amz-target')?.replace(/^SageMaker\./, '');
    if (init?.method !== 'POST' || headers.get('content-type') !== 'application/x-amz-json-1.1' || !action)
      return Response.json(
        { __type: 'UnknownOperationException', message: 'Unknown operation' },
        { status: 400 },
      );
    try {
      const result = await call(
        action as Parameters<SageMakerCall>[0],
        JSON.parse(String(init.body)) as object,
      );
      return Response.json(result);
    } catch (error) {
      if (!(error instanceof SageMakerError)) throw error;
      return Response.json(
        { __type: error.type, message: error.message.replace(/^SageMaker refused: [^:]+: /, '') },
        { status: 400 },
      );
    }
  };
  return { call, fetch, urls, jobs, calls };
}

/**
 * Environment variable names that one part sets and another reads, each written once. The CDK app sets
 * them on the functions, the definition (`state-machine.asl.json`) on the training job; the Lambda entry
 * points and the trainer read them. A test holds the definition's names to {@link TRAINING_ENV}, another
 * the synthesized functions' to {@link FUNCTION_ENV}.
 * @example const storeUri = process.env[ENV.storeUri];
 */
export const ENV = {
  /** The model store: `s3://bucket/prefix` or `file:///path`, the definition's `StoreUri`. */
  storeUri: 'STORE_URI',
  /** Promote: the inference endpoint it reports for the smoke test; unset means none. */
  endpointUrl: 'ENDPOINT_URL',
  /** SmokeTest: `AWS_IAM` (SigV4-signed requests) or `NONE`, the Function URL's auth type. */
  endpointAuth: 'ENDPOINT_AUTH',
  /** SmokeTest: how long to wait for the endpoint to serve the version, in milliseconds. */
  smokeTestTimeoutMs: 'SMOKE_TEST_TIMEOUT_MS',
  /** Promote on AWS: the inference function whose image it updates; unset, the endpoint follows the alias. */
  inferenceFunctionName: 'INFERENCE_FUNCTION_NAME',
  /** Promote on AWS: the inference function's alias. */
  inferenceAlias: 'INFERENCE_ALIAS',
  /** Promote on AWS: the inference image without a model. */
  inferenceBaseImageUri: 'INFERENCE_BASE_IMAGE_URI',
  /** Promote on AWS: the repository model images go to (`<registry>/<repository>`). */
  modelImageRepositoryUri: 'MODEL_IMAGE_REPOSITORY_URI',
  /** Promote on AWS: the alarm watched while the new version takes traffic. */
  canaryAlarmName: 'CANARY_ALARM_NAME',
  /** Promote on AWS: how long the alarm is watched, in seconds. */
  canarySeconds: 'CANARY_SECONDS',
  /** Approval on AWS: the approvers' SNS topic; unset, the request is only logged. */
  approvalTopicArn: 'APPROVAL_TOPIC_ARN',
  /** Approval on AWS: the approval links function's URL. */
  approvalLinksUrl: 'APPROVAL_LINKS_URL',
  /** Approval and the links function: the Secrets Manager secret links are signed with. */
  approvalSecretArn: 'APPROVAL_SECRET_ARN',
  /** Approval on AWS: how long links work, in seconds. */
  approvalLinkTtlSeconds: 'APPROVAL_LINK_TTL_SECONDS',
  /** Inference: the folder holding model.onnx and manifest.json. */
  modelDir: 'MODEL_DIR',
  /** Inference: the largest request body, in bytes. */
  maxBodyBytes: 'MAX_BODY_BYTES',
  /** Inference: the longest text, in characters. */
  maxTextChars: 'MAX_TEXT_CHARS',
  /** Inference: the most texts in one request. */
  maxBatchSize: 'MAX_BATCH_SIZE',
  /** Inference: the largest batch per onnxruntime run. */
  maxRunBatch: 'MAX_RUN_BATCH',
  /** Inference: `off` disables EMF metrics. */
  metrics: 'METRICS',
  /** Inference: the EMF namespace (stages sharing an account keep theirs apart). */
  metricsNamespace: 'METRICS_NAMESPACE',
  /** Inference: the `service` in metrics and logs. */
  serviceName: 'SERVICE_NAME',
  /** Inference: the log level, DEBUG, INFO, WARN or ERROR. */
  logLevel: 'LOG_LEVEL',
  /** Inference: `true` logs input texts (off by default: texts may be personal data). */
  logText: 'LOG_TEXT',
  /** Training: the model's name (default: the dataset's). */
  modelName: 'SLIPWAY_MODEL_NAME',
  /** Training: the dataset's name, recorded in the manifest. */
  datasetName: 'SLIPWAY_DATASET_NAME',
  /** Training on Fargate: the dataset's folder in the store (`<StoreUri>/datasets/<name>/<sha256>`). */
  datasetUri: 'SLIPWAY_DATASET_URI',
  /** Training on Fargate: where `model.tar.gz` (or `failure`) goes. */
  outputUri: 'SLIPWAY_OUTPUT_URI',
  /** Training on Fargate: the hyperparameters as a JSON object of strings. */
  hyperparameters: 'SLIPWAY_HYPERPARAMETERS',
  /** Training: the git commit, recorded in the manifest. */
  gitCommit: 'SLIPWAY_GIT_COMMIT',
  /** Training: the pull request number, recorded in the manifest. */
  pullRequest: 'SLIPWAY_PULL_REQUEST',
  /** Training: the Step Functions execution id, recorded in the manifest. */
  executionId: 'SLIPWAY_EXECUTION_ID',
  /**
   * Training: the image the container runs, by digest, recorded in the lineage (`environment.image`) so
   * that `slipway verify --aws` can rebuild in it. The definition's Train states pass the execution's
   * image; a rebuild passes the one the lineage names. A tag is not recorded: it can move.
   */
  trainingImage: 'SLIPWAY_TRAINING_IMAGE',
  /** TrainingTaskDefinition: the stage's Fargate training task definition family. */
  trainingFamily: 'TRAINING_FAMILY',
  /** TrainingTaskDefinition: the name of the family's training container. */
  trainingContainer: 'TRAINING_CONTAINER',
  /** TrainingTaskDefinition: the repositories training images may come from, comma-separated `<registry>/<repository>`. */
  trainingRepositories: 'TRAINING_REPOSITORIES',
} as const;

/** One of the shared environment variable names. */
export type EnvName = (typeof ENV)[keyof typeof ENV];

/** The variables one function reads: those its deployment must set, and those it may. */
export interface FunctionEnv {
  readonly required: readonly EnvName[];
  readonly optional: readonly EnvName[];
}

/**
 * What each Lambda function's entry point reads, by function (the CDK app's step ids, and `inference`).
 * The CDK app sets every required name and nothing outside the two lists.
 */
export const FUNCTION_ENV = {
  evaluate: { required: [ENV.storeUri], optional: [] },
  register: { required: [ENV.storeUri], optional: [] },
  approval: {
    required: [ENV.storeUri],
    optional: [ENV.approvalTopicArn, ENV.approvalLinksUrl, ENV.approvalSecretArn, ENV.approvalLinkTtlSeconds],
  },
  promote: {
    required: [ENV.storeUri],
    optional: [
      ENV.endpointUrl,
      ENV.inferenceFunctionName,
      ENV.inferenceAlias,
      ENV.inferenceBaseImageUri,
      ENV.modelImageRepositoryUri,
      ENV.canaryAlarmName,
      ENV.canarySeconds,
    ],
  },
  smokeTest: { required: [], optional: [ENV.endpointAuth, ENV.smokeTestTimeoutMs] },
  approvalLinks: { required: [ENV.storeUri, ENV.approvalSecretArn], optional: [] },
  trainingTask: {
    required: [ENV.trainingFamily, ENV.trainingContainer, ENV.trainingRepositories],
    optional: [],
  },
  inference: {
    required: [],
    optional: [
      ENV.modelDir,
      ENV.maxBodyBytes,
      ENV.maxTextChars,
      ENV.maxBatchSize,
      ENV.maxRunBatch,
      ENV.metrics,
      ENV.metricsNamespace,
      ENV.serviceName,
      ENV.logLevel,
      ENV.logText,
    ],
  },
} as const satisfies Record<string, FunctionEnv>;

/**
 * The variables the definition's Train states give the training container, by trainer. SageMaker brings
 * the data and takes the model itself; on Fargate the container does that part, so it also gets where.
 */
export const TRAINING_ENV = {
  sagemaker: [
    ENV.modelName,
    ENV.datasetName,
    ENV.gitCommit,
    ENV.pullRequest,
    ENV.executionId,
    ENV.trainingImage,
  ],
  fargate: [
    ENV.modelName,
    ENV.datasetName,
    ENV.datasetUri,
    ENV.outputUri,
    ENV.hyperparameters,
    ENV.gitCommit,
    ENV.pullRequest,
    ENV.executionId,
    ENV.trainingImage,
  ],
} as const;

/** What a rebuild's training job (`slipway verify --aws`) gives the container: the Train state's, and its image. */
export const REBUILD_ENV = [ENV.modelName, ENV.datasetName, ENV.gitCommit, ENV.trainingImage] as const;

/** The environment a training container reads (the SM_* variables aside). */
export type TrainingEnv = {
  readonly [K in (typeof TRAINING_ENV.fargate)[number] | (typeof REBUILD_ENV)[number]]?: string;
};

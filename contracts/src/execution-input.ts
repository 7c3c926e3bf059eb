/**
 * A model's name in the store and in training job names: 1-40 lowercase letters, digits and dashes,
 * starting with a letter or digit.
 * @example MODEL_NAME.test('sentiment-v2') // true
 */
export const MODEL_NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;
/**
 * {@link MODEL_NAME} as an HTML `pattern` attribute. Browsers compile it with the `v` flag, where a bare
 * `-` in a class is a syntax error and the whole pattern is silently ignored: so it is escaped here.
 */
export const MODEL_NAME_PATTERN = MODEL_NAME.source.slice(1, -1).replace('-]', '\\-]');
/** What to tell someone whose model name breaks {@link MODEL_NAME}. */
export const MODEL_NAME_RULE =
  'use 1-40 lowercase letters, digits and dashes, starting with a letter or digit';

/**
 * An image reference pinned by digest, `<registry>/<repository>@sha256:<64 hex>`: a tag can move, a digest
 * names one image. The registry host is required (it has a dot or a port, or is `localhost`), the
 * repository follows the OCI distribution spec's name rule, and the whole fits ECS's 255 characters.
 * @example IMAGE_BY_DIGEST.test(`123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipway-training@sha256:${'a'.repeat(64)}`) // true
 */
export const IMAGE_BY_DIGEST =
  /^(?=.{1,255}$)(?:[a-z0-9-]+(?:\.[a-z0-9-]+)+(?::[0-9]{1,5})?|[a-z0-9-]+:[0-9]{1,5}|localhost)\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*@sha256:[0-9a-f]{64}$/;
/** What to tell someone whose image reference breaks {@link IMAGE_BY_DIGEST}. */
export const IMAGE_BY_DIGEST_RULE =
  'expected an image pinned by digest, <registry>/<repository>@sha256:<64 hex> (at most 255 characters), e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipway-training@sha256:…';

/**
 * The gate's defaults, for any number of classes: beat the majority-class baseline by a fifth of the
 * way to perfect (0.6 at two balanced classes, about 0.27 at 43 classes whose largest holds 8%), and
 * lose no more than 0.01 against production. No absolute accuracy floor unless asked for.
 */
export const DEFAULT_THRESHOLDS = {
  minAccuracy: 0,
  minBaselineGain: 0.2,
  maxRegression: 0.01,
  minClassF1: 0,
} as const;

/**
 * What an execution runs on, as both runners receive it (the local runtime, and Step Functions'
 * StartExecution): the shape every part agrees on. runners/local validates and completes it (its zod
 * schema must produce exactly this type: the build checks that).
 */
export interface ExecutionInput {
  /** The model's name in the store ({@link MODEL_NAME}). */
  readonly model: string;
  /** Unique per execution; training job names are `<model>-<runId>`. */
  readonly runId: string;
  /** A dataset version already in the store (datasets/<name>/<sha256>/). */
  readonly dataset: { readonly name: string; readonly sha256: string };
  /** Passed to the training job as text (SageMaker requires string values). */
  readonly hyperparameters: Readonly<Record<string, string>>;
  readonly git: { readonly commit: string; readonly pullRequest: string };
  /** Where training runs. */
  readonly compute: 'local' | 'sagemaker' | 'fargate';
  /** The training code: the built-in trainer, or a program run as `command` (argv) in `workdir`. */
  readonly trainer:
    | { readonly type: 'builtin' }
    | { readonly type: 'command'; readonly command: readonly string[]; readonly workdir: string };
  readonly thresholds: {
    readonly minAccuracy: number;
    readonly minBaselineGain: number;
    readonly maxRegression: number;
    readonly minClassF1: number;
  };
  /**
   * The image the training job runs on AWS ({@link IMAGE_BY_DIGEST}); absent, the stage's own training
   * image. A pull request passes the image built from its own code. Local training ignores it.
   */
  readonly trainingImage?: string;
  /** How long Approval waits for a person before the candidate is rejected with reason "timeout". */
  readonly approvalTimeoutSeconds: number;
  /** Who or what started the execution, for the console. */
  readonly trigger: 'cli' | 'pull-request' | 'console' | 'schedule' | 'api';
}

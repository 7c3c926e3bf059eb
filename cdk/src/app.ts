import { type App, DefaultStackSynthesizer, type Environment, Tags } from 'aws-cdk-lib';
import type { StageConfig } from './config.js';
import { GitHubStack } from './stacks/github.js';
import { InferenceStack } from './stacks/inference.js';
import { PipelineStack } from './stacks/pipeline.js';
import { repositoryNames, StorageStack } from './stacks/storage.js';
import { TrainingStack } from './stacks/training.js';

/**
 * Feature flags the app is written for; pass them to `new App({ context })` (the CLI and the tests both
 * do), so what the tests synthesize is what `cdk deploy` deploys.
 */
export const APP_CONTEXT = {
  // Access logs reach their bucket through a bucket policy instead of ACLs, so ACLs stay disabled.
  '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
  // Cross-stack values as CloudFormation exports: a stack cannot be deleted while another uses it.
  '@aws-cdk/core:defaultCrossStackReferences': 'strong',
  // Synthesis fails when a template breaks CloudFormation's own rules (schema, common mistakes).
  '@aws-cdk/core:validateAgainstDefaultRules': true,
} as const;

/** A stage's stacks, in deploy order. */
export interface SlipwayStage {
  readonly storage: StorageStack;
  readonly training: TrainingStack;
  readonly inference: InferenceStack;
  readonly pipeline: PipelineStack;
  readonly github: GitHubStack;
}

/** The name of one of a stage's stacks: `slipway-<stage>-<part>`. */
export function stackName(stage: string, part: keyof SlipwayStage): string {
  return `slipway-${stage}-${part}`;
}

/**
 * Adds one stage's full set of stacks to `app`, every resource tagged `slipway:stage`.
 * `env` defaults to the stage's account and region (both unset: environment-agnostic, as in tests).
 * @example addStage(new App(), stageConfig(readConfig(), 'dev'))
 */
export function addStage(app: App, config: StageConfig, env?: Environment): SlipwayStage {
  const { stage, bootstrapQualifier: qualifier } = config;
  const environment = env ?? { account: config.account, region: config.region };
  const repositories = repositoryNames(stage);
  const common = (part: keyof SlipwayStage, description: string, imageAssetsRepositoryName?: string) => ({
    stackName: stackName(stage, part),
    description: `slipway ${stage}: ${description}`,
    env: environment,
    // Image assets of the training and inference stacks are published into the stage's own
    // (immutable) repositories instead of the bootstrap one.
    synthesizer: new DefaultStackSynthesizer({
      qualifier,
      ...(imageAssetsRepositoryName ? { imageAssetsRepositoryName } : {}),
    }),
  });

  const storage = new StorageStack(app, stackName(stage, 'storage'), {
    ...common('storage', 'model store bucket and image repositories'),
    config,
  });
  const training = new TrainingStack(app, stackName(stage, 'training'), {
    ...common('training', 'training image, SageMaker role, Fargate task', repositories.training),
    config,
    modelStore: storage.modelStore,
    repository: storage.trainingRepository,
  });
  const inference = new InferenceStack(app, stackName(stage, 'inference'), {
    ...common('inference', 'inference function, live alias, Function URL', repositories.inferenceBase),
    config,
  });
  // Their image assets are pushed into the storage stack's repositories: publish after it deploys.
  training.addStackDependency(storage);
  inference.addStackDependency(storage);
  const pipeline = new PipelineStack(app, stackName(stage, 'pipeline'), {
    ...common('pipeline', 'state machine, step functions, approval, monitoring'),
    config,
    modelStore: storage.modelStore,
    training: {
      imageUri: training.imageUri,
      repositories: [storage.trainingRepository],
      sageMakerRole: training.sageMakerRole,
      cluster: training.cluster,
      taskDefinition: training.taskDefinition,
      subnets: training.subnets,
    },
    inference: {
      function: inference.function,
      alias: inference.alias,
      url: inference.url,
      baseImageUri: inference.baseImageUri,
      baseRepository: storage.inferenceBaseRepository,
      logGroup: inference.logGroup,
    },
    modelImageRepository: storage.modelImageRepository,
  });
  const github = new GitHubStack(app, stackName(stage, 'github'), {
    ...common('github', 'GitHub OIDC provider and roles'),
    config,
    stateMachine: pipeline.stateMachine,
    modelStore: storage.modelStore,
    pipelineStackName: pipeline.stackName,
    trainingRepository: storage.trainingRepository,
  });
  const stacks = { storage, training, inference, pipeline, github };
  for (const stack of Object.values(stacks)) Tags.of(stack).add('slipway:stage', stage);
  return stacks;
}

import { createHash } from 'node:crypto';
import type {
  ContainerDefinition,
  ECSClient,
  RegisterTaskDefinitionCommandInput,
  TaskDefinition,
} from '@aws-sdk/client-ecs';
import { ENV, IMAGE_BY_DIGEST, IMAGE_BY_DIGEST_RULE } from '@slipway/contracts';
import { InvalidEventError, StepConfigError } from '@slipway/steps';
import { TrainingTaskError } from './errors.js';

/** The slice of the ECS client the training-task step uses. */
export type EcsApi = Pick<ECSClient, 'send'>;

/** Where the stage's Fargate training runs from: its task definition family and container. */
export interface TrainingTaskConfig {
  /** The stage's training family (`slipway-<stage>-training`); RunTask with it starts its latest revision. */
  readonly family: string;
  /** The container that trains (`train`). */
  readonly containerName: string;
  /**
   * The repositories the stage's task execution role may pull from, as `<registry>/<repository>`
   * (an image elsewhere could not be pulled: the task would stop with CannotPullContainerError).
   */
  readonly repositories: readonly string[];
}

/** What the step reads of the TrainingTaskDefinition state's Payload (the state data). */
export interface TrainingTaskEvent {
  /** The execution input's image; absent: the stage's own. */
  readonly trainingImage?: string;
}

/** Reads the Payload: an object whose `trainingImage`, when present, is pinned by digest. */
export function parseTrainingTaskEvent(event: unknown): TrainingTaskEvent {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new InvalidEventError('TrainingTaskDefinition', [
      { path: '(event)', message: 'expected an object' },
    ]);
  }
  const image = (event as { trainingImage?: unknown }).trainingImage;
  if (image === undefined) return {};
  if (typeof image !== 'string' || !IMAGE_BY_DIGEST.test(image)) {
    throw new InvalidEventError('TrainingTaskDefinition', [
      { path: 'trainingImage', message: IMAGE_BY_DIGEST_RULE },
    ]);
  }
  return { trainingImage: image };
}

/**
 * Reads the function's configuration: `TRAINING_FAMILY`, `TRAINING_CONTAINER` and
 * `TRAINING_REPOSITORIES` (comma-separated `<registry>/<repository>`).
 */
export function readTrainingTaskConfig(
  env: Readonly<Record<string, string | undefined>>,
): TrainingTaskConfig {
  const read = (name: string, what: string) => {
    const value = env[name]?.trim();
    if (!value) throw new StepConfigError(`${name} is not set: set it to ${what}`);
    return value;
  };
  const repositories = read(
    ENV.trainingRepositories,
    "the repositories the stage's training tasks pull from, comma-separated <registry>/<repository>",
  )
    .split(',')
    .map((r) => r.trim())
    .filter((r) => r !== '');
  return {
    family: read(ENV.trainingFamily, "the stage's training task definition family"),
    containerName: read(ENV.trainingContainer, "the name of the task definition's training container"),
    repositories,
  };
}

/** What TrainOnFargate runs. */
export interface TrainingTask {
  /** A task definition revision's ARN. */
  readonly taskDefinition: string;
  /** The image its training container runs (lineage's `environment.image`). */
  readonly image: string;
  /** Whether this call registered the revision (false: the stage's own, or one registered before). */
  readonly registered: boolean;
}

// The request members of RegisterTaskDefinition that a described task definition carries back
// (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html, Request
// Parameters; https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_TaskDefinition.html). The
// rest of a description (taskDefinitionArn, revision, status, requiresAttributes, compatibilities,
// registeredAt, registeredBy, deregisteredAt) is the service's own and is not sent back.
const REGISTRABLE = [
  'containerDefinitions',
  'cpu',
  'enableFaultInjection',
  'ephemeralStorage',
  'executionRoleArn',
  'inferenceAccelerators',
  'ipcMode',
  'memory',
  'networkMode',
  'pidMode',
  'placementConstraints',
  'proxyConfiguration',
  'requiresCompatibilities',
  'runtimePlatform',
  'taskRoleArn',
  'volumes',
] as const satisfies readonly (keyof RegisterTaskDefinitionCommandInput & keyof TaskDefinition)[];

type Registrable = Pick<RegisterTaskDefinitionCommandInput, (typeof REGISTRABLE)[number]>;

/** A family name for one training image: the stage's family, `-image-` and 16 hex of the image's sha256. */
export function imageFamily(family: string, image: string): string {
  return `${family}-image-${createHash('sha256').update(image).digest('hex').slice(0, 16)}`;
}

/** `<registry>/<repository>` of an image reference pinned by digest. */
function repositoryOf(image: string): string {
  return image.slice(0, image.lastIndexOf('@'));
}

/**
 * The task definition revision TrainOnFargate runs. ECS's RunTask cannot change a container's image
 * (ContainerOverride has no image: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerOverride.html),
 * so training on another image needs a revision of its own:
 *
 * - no image, or the stage's own: the stage family's latest revision, as RunTask would pick it;
 * - another image: a revision in the image's own family ({@link imageFamily}), a copy of the stage's
 *   latest revision with only the training container's image changed. The stage's family is left alone,
 *   so an execution without an image still trains on the stage's image. A revision already registered
 *   for the image, identical otherwise, is used again: a retried or resumed execution, or another
 *   execution of the same image, registers nothing new.
 *
 * An image outside the stage's repositories is refused before anything is registered.
 * @example await resolveTrainingTask({ trainingImage }, { ecs, config })
 */
export async function resolveTrainingTask(
  event: TrainingTaskEvent,
  deps: { readonly ecs: EcsApi; readonly config: TrainingTaskConfig },
): Promise<TrainingTask> {
  const { ecs, config } = deps;
  const stage = await describe(ecs, config.family);
  if (!stage) {
    throw new TrainingTaskError(
      `the stage's training task definition ${config.family} does not exist (or has no ACTIVE revision); deploy the stage's training stack`,
    );
  }
  const container = trainingContainer(stage, config);
  const stageImage = container.image ?? '';
  const image = event.trainingImage;
  if (image === undefined || image === stageImage) {
    return { taskDefinition: arnOf(stage), image: stageImage, registered: false };
  }
  if (!config.repositories.includes(repositoryOf(image))) {
    throw new TrainingTaskError(
      `the training image ${image} is in ${repositoryOf(image)}, which this stage's training tasks may not pull from; ` +
        `push it to ${config.repositories.join(' or ')} and start again with that digest`,
    );
  }
  const family = imageFamily(config.family, image);
  const wanted = registrable(stage, config, image);
  const existing = await describe(ecs, family);
  if (existing && JSON.stringify(registrable(existing, config, image)) === JSON.stringify(wanted)) {
    return { taskDefinition: arnOf(existing), image, registered: false };
  }
  const { RegisterTaskDefinitionCommand } = await import('@aws-sdk/client-ecs');
  const out = await ecs.send(new RegisterTaskDefinitionCommand({ family, ...wanted }));
  if (!out.taskDefinition) {
    throw new TrainingTaskError(`RegisterTaskDefinition for ${family} answered without a task definition`);
  }
  return { taskDefinition: arnOf(out.taskDefinition), image, registered: true };
}

/** The latest ACTIVE revision of a family, or null when the family has none. */
async function describe(ecs: EcsApi, family: string): Promise<TaskDefinition | null> {
  const { DescribeTaskDefinitionCommand } = await import('@aws-sdk/client-ecs');
  try {
    const out = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: family }));
    return out.taskDefinition ?? null;
  } catch (error) {
    // A family without an ACTIVE revision is a ClientException ("Unable to describe task definition."):
    // https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeTaskDefinition.html (Errors).
    if ((error as Error).name === 'ClientException') return null;
    throw error;
  }
}

function trainingContainer(definition: TaskDefinition, config: TrainingTaskConfig): ContainerDefinition {
  const container = definition.containerDefinitions?.find((c) => c.name === config.containerName);
  if (!container) {
    throw new TrainingTaskError(
      `task definition ${arnOf(definition)} has no container named ${config.containerName}; the definition's ContainerOverrides name it`,
    );
  }
  return container;
}

/** What RegisterTaskDefinition takes of `definition`, with the training container on `image`. */
function registrable(definition: TaskDefinition, config: TrainingTaskConfig, image: string): Registrable {
  trainingContainer(definition, config);
  const out: Record<string, unknown> = {};
  for (const key of REGISTRABLE) {
    if (definition[key] !== undefined) out[key] = definition[key];
  }
  out.containerDefinitions = (definition.containerDefinitions ?? []).map((c) =>
    c.name === config.containerName ? { ...c, image } : c,
  );
  return out as Registrable;
}

function arnOf(definition: TaskDefinition): string {
  if (!definition.taskDefinitionArn) {
    throw new TrainingTaskError(`a task definition of ${definition.family} came back without its ARN`);
  }
  return definition.taskDefinitionArn;
}

/** Builds the TrainingTaskDefinition handler: reads the event, then resolves the revision. */
export function createTrainingTaskHandler(deps: {
  readonly ecs: EcsApi;
  readonly config: TrainingTaskConfig;
}): (event: unknown) => Promise<TrainingTask> {
  return async (event) => resolveTrainingTask(parseTrainingTaskEvent(event), deps);
}

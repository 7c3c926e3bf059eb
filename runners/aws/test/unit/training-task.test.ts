// TrainingTaskDefinition: the Fargate revision an execution trains on, against a double of ECS's task
// definition API (test-helpers/ecs-task-definitions.ts, which cites the pages it copies).
import type { RegisterTaskDefinitionCommandInput, TaskDefinition } from '@aws-sdk/client-ecs';
import { InvalidEventError, StepConfigError } from '@slipway/steps';
import { describe, expect, it } from 'vitest';
import { EcsTaskDefinitionsDouble } from '../../../../test-helpers/ecs-task-definitions.js';
import { TrainingTaskError } from '../../src/errors.js';
import {
  createTrainingTaskHandler,
  type EcsApi,
  imageFamily,
  readTrainingTaskConfig,
  resolveTrainingTask,
  type TrainingTaskConfig,
} from '../../src/training-task.js';

const REGISTRY = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const REPOSITORY = `${REGISTRY}/slipway-dev/training`;
const STAGE_IMAGE = `${REPOSITORY}:${'a'.repeat(64)}`;
const PR_IMAGE = `${REPOSITORY}@sha256:${'b'.repeat(64)}`;
const OTHER_PR_IMAGE = `${REPOSITORY}@sha256:${'c'.repeat(64)}`;
const TASK_ROLE = 'arn:aws:iam::123456789012:role/slipway-dev-training-TaskRole';
const EXECUTION_ROLE = 'arn:aws:iam::123456789012:role/slipway-dev-training-TaskExecutionRole';
const config: TrainingTaskConfig = {
  family: 'slipway-dev-training',
  containerName: 'train',
  repositories: [REPOSITORY],
};

/** The stage's task definition as the training stack registers it. */
const stageDefinition = (memory = '4096'): RegisterTaskDefinitionCommandInput => ({
  family: config.family,
  requiresCompatibilities: ['FARGATE'],
  networkMode: 'awsvpc',
  cpu: '2048',
  memory,
  runtimePlatform: { cpuArchitecture: 'X86_64', operatingSystemFamily: 'LINUX' },
  taskRoleArn: TASK_ROLE,
  executionRoleArn: EXECUTION_ROLE,
  containerDefinitions: [
    {
      name: 'train',
      image: STAGE_IMAGE,
      essential: true,
      logConfiguration: {
        logDriver: 'awslogs',
        options: {
          'awslogs-group': 'TaskLogs',
          'awslogs-stream-prefix': 'training',
          'awslogs-region': 'eu-west-1',
        },
      },
    },
  ],
});

function setup(mayPassRole?: (role: string) => boolean) {
  const ecs = new EcsTaskDefinitionsDouble(mayPassRole ? { mayPassRole } : {});
  const stage = ecs.seed(stageDefinition()) as TaskDefinition;
  const resolve = (trainingImage?: string) =>
    resolveTrainingTask(trainingImage === undefined ? {} : { trainingImage }, {
      ecs: ecs.client<EcsApi>(),
      config,
    });
  const registers = () => ecs.calls.filter((c) => c.command === 'RegisterTaskDefinitionCommand').length;
  return { ecs, stage, resolve, registers };
}

describe('the Fargate task definition an execution trains on', () => {
  it("without an image: the stage family's latest revision, on the stage's image; nothing registered", async () => {
    const { stage, resolve, registers, ecs } = setup();
    expect(await resolve()).toEqual({
      taskDefinition: stage.taskDefinitionArn,
      image: STAGE_IMAGE,
      registered: false,
    });
    // Naming the stage's own image is the same thing.
    expect(await resolve(STAGE_IMAGE)).toEqual(await resolve());
    expect(registers()).toBe(0);
    expect(ecs.familyNames()).toEqual([config.family]);
  });

  it("with a pull request's image: a revision in the image's own family, only the image changed", async () => {
    const { ecs, stage, resolve } = setup();
    const task = await resolve(PR_IMAGE);
    const family = imageFamily(config.family, PR_IMAGE);
    expect(family).toMatch(/^slipway-dev-training-image-[0-9a-f]{16}$/);
    expect(task).toEqual({
      taskDefinition: `arn:aws:ecs:eu-west-1:123456789012:task-definition/${family}:1`,
      image: PR_IMAGE,
      registered: true,
    });
    const [registered] = ecs.revisions(family) as unknown as TaskDefinition[];
    const same = (d: typeof stage) => {
      const { taskDefinitionArn, revision, family: _, registeredAt, containerDefinitions, ...rest } = d;
      return { rest, containers: containerDefinitions?.map(({ image, ...c }) => c) };
    };
    expect(registered?.containerDefinitions?.[0]?.image).toBe(PR_IMAGE);
    expect(same(registered as typeof stage)).toEqual(same(stage));
    // The stage's family is left alone: an execution without an image still trains on the stage's image.
    expect(ecs.revisions(config.family)).toHaveLength(1);
    expect((await resolve()).image).toBe(STAGE_IMAGE);
  });

  it('a retried or resumed execution, or another execution of the same image, registers nothing new', async () => {
    const { ecs, resolve, registers } = setup();
    const first = await resolve(PR_IMAGE);
    const again = await resolve(PR_IMAGE);
    expect(again).toEqual({ ...first, registered: false });
    expect(registers()).toBe(1);
    // Another image gets a family of its own.
    const other = await resolve(OTHER_PR_IMAGE);
    expect(other.taskDefinition).toContain(imageFamily(config.family, OTHER_PR_IMAGE));
    expect(registers()).toBe(2);
    expect(ecs.revisions(imageFamily(config.family, PR_IMAGE))).toHaveLength(1);
  });

  it("after the stage is deployed again, the image's revision follows the stage's new one", async () => {
    const { ecs, resolve, registers } = setup();
    await resolve(PR_IMAGE);
    ecs.seed(stageDefinition('8192'));
    const task = await resolve(PR_IMAGE);
    expect(task).toMatchObject({ registered: true });
    expect(task.taskDefinition).toMatch(/:2$/);
    expect(ecs.revisions(imageFamily(config.family, PR_IMAGE)).at(-1)?.memory).toBe('8192');
    expect(registers()).toBe(2);
  });

  it("an image outside the stage's repositories is refused before anything is registered", async () => {
    const { resolve, registers } = setup();
    for (const image of [
      `ghcr.io/acme/trainer@sha256:${'d'.repeat(64)}`,
      `${REGISTRY}/slipway-prod/training@sha256:${'d'.repeat(64)}`,
      `210987654321.dkr.ecr.eu-west-1.amazonaws.com/slipway-dev/training@sha256:${'d'.repeat(64)}`,
    ]) {
      const refused = resolve(image);
      await expect(refused).rejects.toBeInstanceOf(TrainingTaskError);
      await expect(refused).rejects.toThrow(
        `which this stage's training tasks may not pull from; push it to ${REPOSITORY} and start again`,
      );
    }
    expect(registers()).toBe(0);
  });

  it("ECS's refusal to let the roles be passed fails the step with ECS's error", async () => {
    const { resolve, ecs } = setup((role) => role === TASK_ROLE);
    await expect(resolve(PR_IMAGE)).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: expect.stringContaining(`iam:PassRole on resource: ${EXECUTION_ROLE}`),
    });
    expect(ecs.familyNames()).toEqual([config.family]);
  });

  it('a stage without its training task definition, or without the training container, is named', async () => {
    const empty = new EcsTaskDefinitionsDouble();
    await expect(resolveTrainingTask({}, { ecs: empty.client<EcsApi>(), config })).rejects.toThrow(
      "the stage's training task definition slipway-dev-training does not exist",
    );
    const renamed = new EcsTaskDefinitionsDouble();
    renamed.seed({
      ...stageDefinition(),
      containerDefinitions: [{ name: 'trainer', image: STAGE_IMAGE }],
    });
    await expect(resolveTrainingTask({}, { ecs: renamed.client<EcsApi>(), config })).rejects.toThrow(
      'has no container named train',
    );
  });
});

describe('the TrainingTaskDefinition handler', () => {
  it('reads trainingImage from the state data and ignores the rest', async () => {
    const { ecs } = setup();
    const handler = createTrainingTaskHandler({ ecs: ecs.client<EcsApi>(), config });
    const state = { model: 'sentiment', runId: 'r1', compute: 'fargate', trainingImage: PR_IMAGE };
    expect(await handler(state)).toMatchObject({ image: PR_IMAGE, registered: true });
    expect(await handler({ model: 'sentiment', compute: 'fargate' })).toMatchObject({ image: STAGE_IMAGE });
  });

  it('refuses an image that is not pinned by digest, and an event that is not an object', async () => {
    const { ecs } = setup();
    const handler = createTrainingTaskHandler({ ecs: ecs.client<EcsApi>(), config });
    await expect(handler({ trainingImage: `${REPOSITORY}:pr-42` })).rejects.toBeInstanceOf(InvalidEventError);
    await expect(handler({ trainingImage: `${REPOSITORY}:pr-42` })).rejects.toThrow(
      'trainingImage: expected an image pinned by digest',
    );
    await expect(handler('fargate')).rejects.toBeInstanceOf(InvalidEventError);
    expect(ecs.calls).toEqual([]);
  });

  it('is configured from its environment, each missing variable named', () => {
    expect(
      readTrainingTaskConfig({
        TRAINING_FAMILY: 'slipway-dev-training',
        TRAINING_CONTAINER: 'train',
        TRAINING_REPOSITORIES: `${REPOSITORY}, ${REGISTRY}/slipway-dev/trainers`,
      }),
    ).toEqual({ ...config, repositories: [REPOSITORY, `${REGISTRY}/slipway-dev/trainers`] });
    expect(() =>
      readTrainingTaskConfig({ TRAINING_CONTAINER: 'train', TRAINING_REPOSITORIES: REPOSITORY }),
    ).toThrow(StepConfigError);
    expect(() => readTrainingTaskConfig({ TRAINING_FAMILY: 'f', TRAINING_REPOSITORIES: REPOSITORY })).toThrow(
      'TRAINING_CONTAINER is not set',
    );
    expect(() => readTrainingTaskConfig({ TRAINING_FAMILY: 'f', TRAINING_CONTAINER: 'train' })).toThrow(
      'TRAINING_REPOSITORIES is not set',
    );
  });
});

describe('the ECS double keeps to the documented refusals', () => {
  it('an unknown family, a bad family name, a Fargate definition without awsvpc or task-level cpu and memory', async () => {
    const ecs = new EcsTaskDefinitionsDouble();
    const { DescribeTaskDefinitionCommand, RegisterTaskDefinitionCommand } = await import(
      '@aws-sdk/client-ecs'
    );
    const client = ecs.client<EcsApi>();
    await expect(
      client.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'nope' })),
    ).rejects.toMatchObject({
      name: 'ClientException',
    });
    const register = (input: Partial<RegisterTaskDefinitionCommandInput>) =>
      client.send(new RegisterTaskDefinitionCommand({ ...stageDefinition(), ...input }));
    await expect(register({ family: 'has a space' })).rejects.toMatchObject({ name: 'ClientException' });
    await expect(register({ family: 'f'.repeat(256) })).rejects.toMatchObject({ name: 'ClientException' });
    await expect(register({ networkMode: 'bridge' })).rejects.toThrow('awsvpc');
    await expect(register({ memory: undefined })).rejects.toThrow('cpu and memory');
    await expect(
      register({ containerDefinitions: [{ name: 'train', image: `${REPOSITORY}/${'x'.repeat(256)}` }] }),
    ).rejects.toThrow('at most 255 characters');
    // Revisions count up per family; a family, family:revision and the ARN each describe one.
    const one = await register({});
    const two = await register({});
    expect([one.taskDefinition?.revision, two.taskDefinition?.revision]).toEqual([1, 2]);
    for (const reference of [
      'slipway-dev-training',
      'slipway-dev-training:2',
      String(two.taskDefinition?.taskDefinitionArn),
    ]) {
      const out = await client.send(new DescribeTaskDefinitionCommand({ taskDefinition: reference }));
      expect(out.taskDefinition?.revision, reference).toBe(2);
    }
    const first = await client.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: 'slipway-dev-training:1' }),
    );
    expect(first.taskDefinition?.revision).toBe(1);
  });
});

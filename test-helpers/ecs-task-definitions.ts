// An in-memory Amazon ECS task definition registry, held to what the ECS API reference documents,
// refusals included. It answers the two SDK v3 commands the training-task step sends (`send(command)`,
// dispatched on the command's class name), so the step runs against it unchanged:
// - RegisterTaskDefinition (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html):
//   a family is "up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens"; each
//   registration is the family's next revision, starting at 1; `containerDefinitions` is required, each
//   with a name and an image of up to 255 characters (API_ContainerDefinition.html); a task definition
//   that requires FARGATE needs the `awsvpc` network mode and task-level `cpu` and `memory`
//   (AWS Fargate task definition parameters: fargate-tasks-services.html). Passing a task or execution
//   role needs `iam:PassRole` on it (task-iam-roles.html, task_execution_IAM_role.html): refused with
//   AccessDeniedException when the caller may not.
// - DescribeTaskDefinition (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeTaskDefinition.html):
//   `family` names its latest ACTIVE revision, `family:revision` or the full ARN one revision; anything
//   else is a ClientException. The description is API_TaskDefinition.html's shape: what was registered
//   plus taskDefinitionArn, revision, status, compatibilities, requiresAttributes, registeredAt and
//   registeredBy, and the container defaults ECS fills in (cpu 0, essential true, empty lists).
// The refusals' messages are paraphrased; the code never matches on them, only on the error's name.
import { awsError } from './aws-fake-client.js';

type Input = Record<string, unknown>;

/**
 * A described task definition (API_TaskDefinition.html): a plain record here, so that this folder needs
 * no ECS SDK; callers read it as the SDK's `TaskDefinition`.
 */
export type TaskDefinition = Readonly<Record<string, unknown>> & {
  readonly taskDefinitionArn: string;
  readonly revision: number;
  readonly status: string;
};

/** The request members of RegisterTaskDefinition (API_RegisterTaskDefinition.html, Request Parameters). */
const REQUEST_MEMBERS = new Set([
  'containerDefinitions',
  'cpu',
  'enableFaultInjection',
  'ephemeralStorage',
  'executionRoleArn',
  'family',
  'inferenceAccelerators',
  'ipcMode',
  'memory',
  'networkMode',
  'pidMode',
  'placementConstraints',
  'proxyConfiguration',
  'requiresCompatibilities',
  'runtimePlatform',
  'tags',
  'taskRoleArn',
  'volumes',
]);

const FAMILY = /^[A-Za-z0-9_-]{1,255}$/;

export class EcsTaskDefinitionsDouble {
  private readonly families = new Map<string, TaskDefinition[]>();
  /** Every command received: its name and input. */
  readonly calls: { readonly command: string; readonly input: Input }[] = [];

  constructor(
    private readonly options: {
      readonly account?: string;
      readonly region?: string;
      /** Who registers (registeredBy). */
      readonly caller?: string;
      /** Whether the caller may pass a role to ECS tasks (iam:PassRole, iam:PassedToService ecs-tasks). Default: yes. */
      readonly mayPassRole?: (roleArn: string) => boolean;
    } = {},
  ) {}

  /** A client whose `send` is this double, typed as the step expects. */
  client<T>(): T {
    return { send: (command: { input: unknown }) => this.send(command) } as unknown as T;
  }

  /** Registers a revision as the stage's deploy would (no permission check). */
  seed(input: object): TaskDefinition {
    return this.register(input as Input, false);
  }

  /** Every revision of a family, oldest first. */
  revisions(family: string): readonly TaskDefinition[] {
    return this.families.get(family) ?? [];
  }

  /** The families registered, sorted. */
  familyNames(): string[] {
    return [...this.families.keys()].sort();
  }

  private async send(command: { input: unknown }): Promise<unknown> {
    const name = command.constructor.name;
    const input = structuredClone(command.input) as Input;
    this.calls.push({ command: name, input });
    switch (name) {
      case 'DescribeTaskDefinitionCommand':
        return { taskDefinition: structuredClone(this.describe(String(input.taskDefinition ?? ''))) };
      case 'RegisterTaskDefinitionCommand': {
        const registered = this.register(input, true);
        return { taskDefinition: structuredClone(registered) };
      }
      default:
        throw new Error(`the ECS task definition double does not answer ${name}`);
    }
  }

  private describe(reference: string): TaskDefinition {
    const match =
      /^(?:arn:aws[a-z-]*:ecs:[^:]+:\d{12}:task-definition\/)?([A-Za-z0-9_-]{1,255})(?::(\d+))?$/.exec(
        reference,
      );
    const revisions = match ? this.families.get(match[1] as string) : undefined;
    const found =
      match?.[2] === undefined
        ? revisions?.findLast((r) => r.status === 'ACTIVE')
        : revisions?.find((r) => r.revision === Number(match[2]));
    if (!found) throw awsError('ClientException', 'Unable to describe task definition.');
    return found;
  }

  private register(input: Input, checkRoles: boolean): TaskDefinition {
    const family = input.family;
    if (typeof family !== 'string' || !FAMILY.test(family)) {
      throw awsError(
        'ClientException',
        'Family must be up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores.',
      );
    }
    const containers = input.containerDefinitions;
    if (!Array.isArray(containers) || containers.length === 0) {
      throw awsError('ClientException', 'Container definitions are required.');
    }
    for (const c of containers as Input[]) {
      if (typeof c.name !== 'string' || c.name === '')
        throw awsError('ClientException', 'Container.name should not be null or empty.');
      if (typeof c.image !== 'string' || c.image === '' || c.image.length > 255)
        throw awsError(
          'ClientException',
          'Container.image should not be null or empty, and at most 255 characters.',
        );
    }
    const fargate = ((input.requiresCompatibilities ?? []) as string[]).includes('FARGATE');
    if (fargate && input.networkMode !== 'awsvpc') {
      throw awsError('ClientException', 'Fargate only supports network mode awsvpc.');
    }
    if (fargate && (input.cpu === undefined || input.memory === undefined)) {
      throw awsError('ClientException', 'Fargate requires that cpu and memory be defined at the task level.');
    }
    if (checkRoles) {
      for (const role of [input.taskRoleArn, input.executionRoleArn]) {
        if (typeof role === 'string' && this.options.mayPassRole && !this.options.mayPassRole(role)) {
          throw awsError(
            'AccessDeniedException',
            `User: ${this.options.caller ?? 'caller'} is not authorized to perform: iam:PassRole on resource: ${role}`,
          );
        }
      }
    }
    const revisions = this.families.get(family) ?? [];
    const revision = revisions.length + 1;
    const account = this.options.account ?? '123456789012';
    const region = this.options.region ?? 'eu-west-1';
    const request = Object.fromEntries(
      Object.entries(input).filter(([k, v]) => REQUEST_MEMBERS.has(k) && k !== 'tags' && v !== undefined),
    );
    const definition = {
      ...request,
      containerDefinitions: (containers as Input[]).map((c) => ({
        cpu: 0,
        essential: true,
        portMappings: [],
        environment: [],
        mountPoints: [],
        volumesFrom: [],
        systemControls: [],
        ...c,
      })),
      volumes: request.volumes ?? [],
      placementConstraints: request.placementConstraints ?? [],
      family,
      taskDefinitionArn: `arn:aws:ecs:${region}:${account}:task-definition/${family}:${revision}`,
      revision,
      status: 'ACTIVE',
      compatibilities: fargate ? ['EC2', 'FARGATE'] : ['EC2'],
      requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.task-iam-role' }],
      registeredAt: new Date(Date.UTC(2026, 11, 7, 0, 0, revision)),
      registeredBy: this.options.caller ?? `arn:aws:iam::${account}:role/caller`,
    } as TaskDefinition;
    this.families.set(family, [...revisions, definition]);
    return definition;
  }
}

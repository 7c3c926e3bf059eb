import { ENV, type PIPELINE_OUTPUTS, type StoreArea } from '@slipway/contracts';
import { Aws, CfnOutput, Duration, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import { DockerImageAsset } from 'aws-cdk-lib/aws-ecr-assets';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { StageConfig } from '../config.js';
import { alarmNames, Monitoring } from '../constructs/monitoring.js';
import { StateMachineRole } from '../constructs/state-machine-role.js';
import { StepFunction } from '../constructs/step-function.js';
import { VerifyOnAws } from '../constructs/verify-on-aws.js';
import { DEFINITION_FILE, imageAssetOptions, STEP_HANDLERS, STEPS_IMAGE } from '../images.js';
import { type Suppression, suppress } from '../nag.js';
import { storeStatements, storeWildcards } from '../store-access.js';
import { TRAINING_CONTAINER_NAME } from './training.js';

/** Properties of {@link PipelineStack}. */
export interface PipelineStackProps extends StackProps {
  readonly config: StageConfig;
  readonly modelStore: s3.IBucket;
  /** Training: the image, SageMaker's role, and the Fargate cluster, task definition and subnets. */
  readonly training: {
    readonly imageUri: string;
    /** The repositories an execution's `trainingImage` may come from (the roles pull only from these). */
    readonly repositories: readonly ecr.IRepository[];
    readonly sageMakerRole: iam.IRole;
    readonly cluster: ecs.ICluster;
    readonly taskDefinition: ecs.TaskDefinition;
    readonly subnets: readonly ec2.ISubnet[];
  };
  /** Inference: the function, its live alias and URL, and the base image promotion composes onto. */
  readonly inference: {
    readonly function: lambda.IFunction;
    readonly alias: lambda.IAlias;
    readonly url: lambda.IFunctionUrl;
    readonly baseImageUri: string;
    readonly baseRepository: ecr.IRepository;
    readonly logGroup: logs.ILogGroup;
  };
  /** Where promotion pushes composed inference images. */
  readonly modelImageRepository: ecr.IRepository;
}

/**
 * The state machine from `contracts/state-machine.asl.json`, the functions its Tasks invoke, approval
 * (topic, signing secret, one-click links), and monitoring.
 */
export class PipelineStack extends Stack {
  readonly stateMachine: sfn.StateMachine;
  readonly steps: Readonly<Record<keyof typeof STEP_HANDLERS, StepFunction>>;
  readonly approvalTopic: sns.Topic;
  readonly approvalSecret: secretsmanager.Secret;
  readonly approvalLinksUrl: lambda.FunctionUrl;
  readonly monitoring: Monitoring;
  /** What `slipway verify --aws` reads and needs (its outputs and operators' managed policy). */
  readonly verifyOnAws: VerifyOnAws;
  /** The values the definition's `${Placeholders}` take in this stage. */
  readonly definitionSubstitutions: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const { config, modelStore, training, inference } = props;
    const stage = config.stage;
    const logRetention = config.logRetentionDays as logs.RetentionDays;
    // The store sits at the bucket's root; the URI has no trailing slash (the definition appends /...).
    const storeUri = `s3://${modelStore.bucketName}`;
    const stateMachineName = `slipway-${stage}`;
    const stateMachineArn = `arn:${Aws.PARTITION}:states:${Aws.REGION}:${Aws.ACCOUNT_ID}:stateMachine:${stateMachineName}`;

    const image = new DockerImageAsset(this, 'StepsImage', imageAssetOptions(STEPS_IMAGE));

    this.approvalTopic = new sns.Topic(this, 'ApprovalTopic', {
      displayName: `slipway ${stage}: model approvals`,
      // Only the Approval function publishes here, so the AWS managed key is enough.
      masterKey: kms.Alias.fromAliasName(this, 'SnsManagedKey', 'alias/aws/sns'),
      enforceSSL: true,
    });
    for (const email of config.approvers) {
      this.approvalTopic.addSubscription(new subscriptions.EmailSubscription(email));
    }
    this.approvalSecret = new secretsmanager.Secret(this, 'ApprovalSigningKey', {
      description: `slipway ${stage}: signs the one-click approve/reject links (HMAC key)`,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    suppress(this.approvalSecret, [
      {
        id: 'AwsSolutions-SMG4',
        reason:
          'An HMAC key for approval links: rotating it would void the links already mailed. Links expire and are ' +
          'single use; replace the key by hand (docs/aws.md) if it may have leaked.',
      },
    ]);

    const names = alarmNames(stage);
    const canaryAlarmArn = `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:${names.inferenceErrors}`;
    const functionName = (step: string) => `slipway-${stage}-${step}`;
    const area = (a: StoreArea, access: 'read' | 'write' | 'delete') => ({ area: a, access });
    const storeNag = (reason: string, areas: StoreArea[]): Suppression => ({
      id: 'AwsSolutions-IAM5',
      reason: `Model store prefixes: ${reason}`,
      appliesTo: storeWildcards('.*ModelStore', areas),
    });
    const step = (
      id: keyof typeof STEP_HANDLERS,
      options: {
        description: string;
        memorySize: number;
        timeout: Duration;
        environment: Record<string, string>;
        statements: iam.PolicyStatement[];
        suppressions?: Suppression[];
      },
    ) =>
      new StepFunction(this, `${id[0]?.toUpperCase()}${id.slice(1)}`, {
        image,
        handler: STEP_HANDLERS[id],
        functionName: functionName(
          id === 'smokeTest' ? 'smoke-test' : id === 'approvalLinks' ? 'approval-links' : id,
        ),
        logRetention,
        ...options,
      });

    const evaluate = step('evaluate', {
      description: 'Evaluate: the candidate against production on the held-out split',
      memorySize: 2048,
      timeout: Duration.minutes(15),
      environment: { [ENV.storeUri]: storeUri },
      statements: storeStatements(modelStore, [
        area('datasets', 'read'),
        area('runs', 'read'),
        area('models', 'read'),
        area('executions', 'write'),
      ]),
      suppressions: [
        storeNag('reads datasets, training runs and the production model; writes its execution report.', [
          'datasets',
          'runs',
          'models',
          'executions',
        ]),
      ],
    });
    const register = step('register', {
      description: 'Register: the evaluated artifact becomes an immutable model version',
      memorySize: 1024,
      timeout: Duration.minutes(5),
      environment: { [ENV.storeUri]: storeUri },
      statements: storeStatements(modelStore, [
        area('runs', 'read'),
        area('models', 'delete'),
        area('executions', 'write'),
      ]),
      suppressions: [
        storeNag(
          'reads the training run and the execution report; writes versions and aliases under models/ (deleting an abandoned claim).',
          ['runs', 'models', 'executions'],
        ),
      ],
    });

    const approvalLinks = step('approvalLinks', {
      description: 'Approval links: one-click approve/reject (signed, expiring, single use)',
      memorySize: 256,
      timeout: Duration.seconds(30),
      environment: { [ENV.storeUri]: storeUri, [ENV.approvalSecretArn]: this.approvalSecret.secretArn },
      statements: [
        ...storeStatements(modelStore, [area('executions', 'write')]),
        new iam.PolicyStatement({
          actions: ['secretsmanager:GetSecretValue'],
          resources: [this.approvalSecret.secretArn],
        }),
        new iam.PolicyStatement({
          actions: ['states:SendTaskFailure', 'states:SendTaskSuccess'],
          resources: [stateMachineArn],
        }),
      ],
      suppressions: [
        storeNag('records each decision under executions/ so a link works once.', ['executions']),
      ],
    });
    this.approvalLinksUrl = approvalLinks.function.addFunctionUrl({
      // Clicked from an email: the function itself checks the signature, expiry and single use.
      authType: lambda.FunctionUrlAuthType.NONE,
    });

    const approval = step('approval', {
      description: 'Approval: records the request and mails approve/reject links',
      memorySize: 256,
      timeout: Duration.minutes(1),
      environment: {
        [ENV.storeUri]: storeUri,
        [ENV.approvalTopicArn]: this.approvalTopic.topicArn,
        [ENV.approvalLinksUrl]: this.approvalLinksUrl.url,
        [ENV.approvalSecretArn]: this.approvalSecret.secretArn,
      },
      statements: [
        ...storeStatements(modelStore, [area('executions', 'write')]),
        new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [this.approvalTopic.topicArn] }),
        new iam.PolicyStatement({
          actions: ['secretsmanager:GetSecretValue'],
          resources: [this.approvalSecret.secretArn],
        }),
      ],
      suppressions: [storeNag('records the approval request under executions/.', ['executions'])],
    });

    const endpointUrl = inference.url.url;
    // How callers must reach the endpoint: AWS_IAM means SigV4-signed requests (lambda:InvokeFunctionUrl).
    const endpointAuth = config.inference.publicUrl ? 'NONE' : 'AWS_IAM';
    const inferenceArns = [inference.function.functionArn, `${inference.function.functionArn}:*`];
    const promote = step('promote', {
      description: 'Promote: composes the model image, deploys it to the live alias, rolls back on request',
      memorySize: 1024,
      timeout: Duration.minutes(15),
      environment: {
        [ENV.storeUri]: storeUri,
        [ENV.endpointUrl]: endpointUrl,
        [ENV.inferenceFunctionName]: inference.function.functionName,
        [ENV.inferenceAlias]: inference.alias.aliasName,
        [ENV.inferenceBaseImageUri]: inference.baseImageUri,
        [ENV.modelImageRepositoryUri]: props.modelImageRepository.repositoryUri,
        [ENV.canaryAlarmName]: names.inferenceErrors,
      },
      statements: [
        ...storeStatements(modelStore, [area('models', 'write'), area('executions', 'write')]),
        new iam.PolicyStatement({
          sid: 'PushModelImages',
          actions: [
            'ecr:BatchCheckLayerAvailability',
            'ecr:BatchGetImage',
            'ecr:CompleteLayerUpload',
            'ecr:DescribeImages',
            'ecr:GetDownloadUrlForLayer',
            'ecr:InitiateLayerUpload',
            'ecr:PutImage',
            'ecr:UploadLayerPart',
          ],
          resources: [props.modelImageRepository.repositoryArn],
        }),
        new iam.PolicyStatement({
          sid: 'ReadBaseImage',
          actions: [
            'ecr:BatchCheckLayerAvailability',
            'ecr:BatchGetImage',
            'ecr:DescribeImages',
            'ecr:GetDownloadUrlForLayer',
          ],
          resources: [inference.baseRepository.repositoryArn],
        }),
        new iam.PolicyStatement({
          sid: 'RegistryLogin',
          actions: ['ecr:GetAuthorizationToken'],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'DeployInference',
          actions: [
            'lambda:CreateAlias',
            'lambda:GetAlias',
            'lambda:GetFunction',
            'lambda:GetFunctionConfiguration',
            // The new version's own health check, before it takes all of the traffic.
            'lambda:InvokeFunction',
            'lambda:PublishVersion',
            'lambda:UpdateAlias',
            'lambda:UpdateFunctionCode',
          ],
          resources: inferenceArns,
        }),
        new iam.PolicyStatement({
          sid: 'ReadCanaryAlarm',
          actions: ['cloudwatch:DescribeAlarms'],
          resources: [canaryAlarmArn],
        }),
        new iam.PolicyStatement({
          sid: 'CountCanaryTraffic',
          // Invocations by ExecutedVersion: whether the new version answered anyone during its canary.
          // GetMetricStatistics has no resource types, so "*" is its only resource
          // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html).
          actions: ['cloudwatch:GetMetricStatistics'],
          resources: ['*'],
        }),
      ],
      suppressions: [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'ecr:GetAuthorizationToken and cloudwatch:GetMetricStatistics accept only "*"; X-Ray likewise. Versions of the inference function are ' +
            'published at run time (<function>:*). Model store: moves aliases under models/ and records the ' +
            'promotion under executions/.',
          appliesTo: [
            'Resource::*',
            // The inference function's ARN (imported from the inference stack), qualified by version.
            { regex: '/^Resource::<Function[0-9A-F]{8}\\.Arn>:\\*$/g' },
            ...storeWildcards('.*ModelStore', ['models', 'executions']),
          ],
        },
        {
          id: 'Serverless-LambdaStarPermissions',
          reason:
            'The only "*" resources are ecr:GetAuthorizationToken, cloudwatch:GetMetricStatistics and X-Ray, which accept nothing else; the other ' +
            'wildcards are version suffixes of the inference function and model store prefixes (see AwsSolutions-IAM5).',
        },
      ],
    });

    const smokeTest = step('smokeTest', {
      description: 'SmokeTest: the live endpoint serves the promoted version and agrees with the evaluation',
      memorySize: 512,
      timeout: Duration.minutes(5),
      environment: {
        // The endpoint comes in the event (Promote's result); only how to reach it comes from here.
        [ENV.endpointAuth]: endpointAuth,
        [ENV.smokeTestTimeoutMs]: String(4 * 60 * 1000),
      },
      statements: [],
    });

    const taskDefinition = training.taskDefinition;
    const trainingTask = step('trainingTask', {
      description:
        "TrainingTaskDefinition: the Fargate task definition revision that trains on the execution's image",
      memorySize: 256,
      timeout: Duration.seconds(30),
      environment: {
        [ENV.trainingFamily]: taskDefinition.family,
        [ENV.trainingContainer]: TRAINING_CONTAINER_NAME,
        // <registry>/<repository>, as an image reference names it (the repositories are this account's).
        [ENV.trainingRepositories]: Fn.join(
          ',',
          training.repositories.map(
            (r) => `${Aws.ACCOUNT_ID}.dkr.ecr.${Aws.REGION}.${Aws.URL_SUFFIX}/${r.repositoryName}`,
          ),
        ),
      },
      statements: [
        new iam.PolicyStatement({
          sid: 'ReadTrainingTaskDefinitions',
          // DescribeTaskDefinition supports no resource-level permissions: "*" only (Service Authorization
          // Reference, Amazon ECS). What it reveals is the definitions' settings, no secrets of slipway's.
          actions: ['ecs:DescribeTaskDefinition'],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'RegisterImageRevisions',
          // RegisterTaskDefinition names no resource either; what a revision may do is bounded by the roles
          // it may carry, which PassTrainingTaskRoles limits to the stage's two training roles.
          actions: ['ecs:RegisterTaskDefinition'],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'PassTrainingTaskRoles',
          actions: ['iam:PassRole'],
          resources: [
            taskDefinition.taskRole.roleArn,
            ...(taskDefinition.executionRole ? [taskDefinition.executionRole.roleArn] : []),
          ],
          conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
        }),
      ],
      suppressions: [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'ecs:DescribeTaskDefinition and ecs:RegisterTaskDefinition accept only "*"; the revisions it registers ' +
            "can carry only the stage's task and execution roles (iam:PassRole, PassedToService ecs-tasks).",
          appliesTo: ['Resource::*'],
        },
        {
          id: 'Serverless-LambdaStarPermissions',
          reason:
            'The only "*" resources are ecs:DescribeTaskDefinition and ecs:RegisterTaskDefinition (no resource-level ' +
            'permissions) and X-Ray; see AwsSolutions-IAM5.',
        },
      ],
    });
    // An IAM-auth Function URL needs lambda:InvokeFunctionUrl AND lambda:InvokeFunction (with
    // lambda:InvokedViaFunctionUrl) since October 2025; grantInvokeUrl writes both
    // (https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html).
    for (const caller of [promote, smokeTest]) inference.alias.grantInvokeUrl(caller.function);

    const stateMachineRole = new StateMachineRole(this, 'StateMachineRole', {
      functions: [trainingTask, evaluate, register, approval, promote, smokeTest].map((s) => s.function),
      sageMakerRole: training.sageMakerRole,
      cluster: training.cluster,
      taskDefinition: training.taskDefinition,
    });
    const stateMachineLogs = new logs.LogGroup(this, 'StateMachineLogs', { retention: logRetention });
    this.definitionSubstitutions = {
      StoreUri: storeUri,
      TrainingImageUri: training.imageUri,
      SageMakerRoleArn: training.sageMakerRole.roleArn,
      TrainingInstanceType: config.training.instanceType,
      TrainingClusterArn: training.cluster.clusterArn,
      TrainingTaskFunctionArn: trainingTask.function.functionArn,
      TrainingSubnetIds: Fn.join(
        ',',
        training.subnets.map((s) => s.subnetId),
      ),
      EvaluateFunctionArn: evaluate.function.functionArn,
      RegisterFunctionArn: register.function.functionArn,
      ApprovalFunctionArn: approval.function.functionArn,
      PromoteFunctionArn: promote.function.functionArn,
      SmokeTestFunctionArn: smokeTest.function.functionArn,
    };
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromFile(DEFINITION_FILE),
      definitionSubstitutions: { ...this.definitionSubstitutions },
      role: stateMachineRole.role.withoutPolicyUpdates(),
      // Execution data stays out of the logs: it carries task tokens, and a token approves a model.
      logs: { destination: stateMachineLogs, level: sfn.LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
    });

    this.steps = { trainingTask, evaluate, register, approval, promote, smokeTest, approvalLinks };
    this.monitoring = new Monitoring(this, 'Monitoring', {
      stage,
      stateMachine: this.stateMachine,
      inference: inference.alias,
      steps: Object.values(this.steps).map((s) => s.function),
      p99LatencyMs: config.inference.p99LatencyMs,
      alarmEmails: config.alarmEmails,
    });

    const outputs: Record<(typeof PIPELINE_OUTPUTS)[number], { value: string; description: string }> = {
      StateMachineArn: {
        value: this.stateMachine.stateMachineArn,
        description: 'slipway start --aws runs this',
      },
      StoreUri: { value: storeUri, description: 'The model store (slipway models --store)' },
      InferenceFunctionName: {
        value: inference.function.functionName,
        description: 'The inference function',
      },
      InferenceUrl: { value: endpointUrl, description: 'The live alias Function URL' },
      ApprovalLinksUrl: { value: this.approvalLinksUrl.url, description: 'One-click approve/reject links' },
      ApprovalTopicArn: { value: this.approvalTopic.topicArn, description: 'Subscribe approvers here' },
      LogGroupNames: {
        value: Fn.join(',', [
          stateMachineLogs.logGroupName,
          ...Object.values(this.steps).map((s) => s.logGroup.logGroupName),
          inference.logGroup.logGroupName,
        ]),
        description: 'State machine, step functions, inference (slipway logs --aws)',
      },
    };
    for (const [name, output] of Object.entries(outputs)) new CfnOutput(this, name, output);

    this.verifyOnAws = new VerifyOnAws(this, 'VerifyOnAws', {
      stage,
      modelStore,
      sageMakerRole: training.sageMakerRole,
      trainingImageUri: training.imageUri,
      instanceType: config.training.instanceType,
    });
  }
}

import { Aws, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import { DockerImageAsset } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { StageConfig } from '../config.js';
import { imageAssetOptions, TRAINING_IMAGE } from '../images.js';
import { suppress } from '../nag.js';
import { storeStatements, storeWildcards } from '../store-access.js';

/** Properties of {@link TrainingStack}. */
export interface TrainingStackProps extends StackProps {
  readonly config: StageConfig;
  /** The model store: training reads `datasets/` and writes `runs/`. */
  readonly modelStore: s3.IBucket;
  /** Where the training image is published (the stack's synthesizer must name it). */
  readonly repository: ecr.IRepository;
}

/** The Fargate task's container name; the definition's ContainerOverrides name it. */
export const TRAINING_CONTAINER_NAME = 'train';

/**
 * Where training runs: the training image, SageMaker's execution role, and the Fargate alternative
 * (a VPC without internet access, a cluster, the task definition and its roles).
 */
export class TrainingStack extends Stack {
  /** The training image's URI (tag = content hash), for SageMaker's AlgorithmSpecification. */
  readonly imageUri: string;
  /** The role SageMaker training jobs run as. */
  readonly sageMakerRole: iam.Role;
  readonly cluster: ecs.Cluster;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  /** The subnets Fargate tasks run in (isolated: AWS services are reached through VPC endpoints). */
  readonly subnets: ec2.ISubnet[];
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: TrainingStackProps) {
    super(scope, id, props);
    const { config, modelStore } = props;
    const retention = config.logRetentionDays as logs.RetentionDays;

    const image = new DockerImageAsset(this, 'TrainingImage', imageAssetOptions(TRAINING_IMAGE));
    this.imageUri = image.imageUri;

    // Training reads datasets and writes runs/<job>/output; nothing else in the store.
    const storeAccess = storeStatements(modelStore, [
      { area: 'datasets', access: 'read' },
      { area: 'runs', access: 'write' },
    ]);
    const storeNag = {
      id: 'AwsSolutions-IAM5',
      reason: 'Training reads any dataset version under datasets/ and writes its own run under runs/.',
      appliesTo: storeWildcards('ModelStore', ['datasets', 'runs']),
    };

    this.sageMakerRole = new iam.Role(this, 'SageMakerRole', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: `slipway ${config.stage}: SageMaker training jobs`,
      inlinePolicies: {
        Training: new iam.PolicyDocument({
          statements: [
            ...storeAccess,
            new iam.PolicyStatement({
              actions: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
              resources: [props.repository.repositoryArn],
            }),
            new iam.PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }),
            new iam.PolicyStatement({
              actions: [
                'logs:CreateLogGroup',
                'logs:CreateLogStream',
                'logs:DescribeLogStreams',
                'logs:PutLogEvents',
              ],
              resources: [
                `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:/aws/sagemaker/TrainingJobs`,
                `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:/aws/sagemaker/TrainingJobs:log-stream:*`,
              ],
            }),
            new iam.PolicyStatement({
              actions: ['cloudwatch:PutMetricData'],
              resources: ['*'],
              conditions: { StringEquals: { 'cloudwatch:namespace': '/aws/sagemaker/TrainingJobs' } },
            }),
          ],
        }),
      },
    });
    suppress(this.sageMakerRole, [
      {
        ...storeNag,
        appliesTo: [
          ...storeNag.appliesTo,
          'Resource::*',
          'Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/sagemaker/TrainingJobs:log-stream:*',
        ],
        reason: `${storeNag.reason} ecr:GetAuthorizationToken and cloudwatch:PutMetricData (limited to SageMaker's namespace by condition) accept only "*". SageMaker names each job's log stream itself.`,
      },
    ]);

    // The Fargate alternative. No NAT: the task reaches S3, ECR and CloudWatch Logs through endpoints.
    const vpc = new ec2.Vpc(this, 'TrainingVpc', {
      maxAzs: config.training.availabilityZones,
      natGateways: 0,
      subnetConfiguration: [{ name: 'training', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
      // The definition starts tasks without naming security groups, so they get the VPC's default
      // group: it must keep its outbound rule to reach the endpoints.
      restrictDefaultSecurityGroup: false,
      gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
    });
    vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(
        new logs.LogGroup(this, 'FlowLogGroup', { retention }),
      ),
      trafficType: ec2.FlowLogTrafficType.REJECT,
    });
    for (const [name, service] of [
      ['EcrApi', ec2.InterfaceVpcEndpointAwsService.ECR],
      ['EcrDocker', ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER],
      ['Logs', ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS],
    ] as const) {
      vpc.addInterfaceEndpoint(name, { service, privateDnsEnabled: true });
    }
    this.subnets = vpc.isolatedSubnets;
    suppress(vpc, [
      {
        id: 'CdkNagValidationFailure',
        reason:
          "The endpoints' security groups admit HTTPS from the VPC's own CIDR, which cdk-nag cannot read at synth time (a CloudFormation attribute).",
        appliesTo: ['AwsSolutions-EC23'],
      },
    ]);

    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });

    this.logGroup = new logs.LogGroup(this, 'TaskLogs', { retention });
    const executionRole = new iam.Role(this, 'TaskExecutionRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: `slipway ${config.stage}: pulls the training image and writes the task's logs`,
    });
    const taskRole = new iam.Role(this, 'TaskRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: `slipway ${config.stage}: the Fargate training task`,
      inlinePolicies: {
        Training: new iam.PolicyDocument({
          statements: storeStatements(modelStore, [
            { area: 'datasets', access: 'read' },
            { area: 'runs', access: 'write' },
          ]),
        }),
      },
    });
    suppress(taskRole, [storeNag]);

    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      family: `slipway-${config.stage}-training`,
      cpu: config.training.fargateCpu,
      memoryLimitMiB: config.training.fargateMemoryMiB,
      runtimePlatform: {
        cpuArchitecture: ecs.CpuArchitecture.X86_64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
      executionRole,
      taskRole,
    });
    this.taskDefinition.addContainer('Train', {
      containerName: TRAINING_CONTAINER_NAME,
      image: ecs.ContainerImage.fromDockerImageAsset(image),
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: 'training' }),
      essential: true,
    });
    suppress(executionRole, [
      {
        id: 'AwsSolutions-IAM5',
        reason: 'ecr:GetAuthorizationToken accepts only "*" (added by CDK when granting the image pull).',
        appliesTo: ['Resource::*'],
      },
    ]);
  }
}

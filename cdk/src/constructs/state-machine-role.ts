import { Aws } from 'aws-cdk-lib';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { suppress } from '../nag.js';

/** Properties of {@link StateMachineRole}. */
export interface StateMachineRoleProps {
  /** The functions the definition invokes (Evaluate, Register, Approval, Promote, SmokeTest). */
  readonly functions: readonly lambda.IFunction[];
  /** The role SageMaker training jobs run as (passed to CreateTrainingJob). */
  readonly sageMakerRole: iam.IRole;
  readonly cluster: ecs.ICluster;
  readonly taskDefinition: ecs.TaskDefinition;
}

const arn = (service: string, resource: string) =>
  `arn:${Aws.PARTITION}:${service}:${Aws.REGION}:${Aws.ACCOUNT_ID}:${resource}`;

/**
 * The state machine's role, written out statement by statement from what each Task of
 * `contracts/state-machine.asl.json` needs, including the `.sync` integrations' polling rules. The role
 * is handed to the state machine without policy updates, so nothing is added behind this list's back.
 */
export class StateMachineRole extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: StateMachineRoleProps) {
    super(scope, id);
    const { taskDefinition } = props;
    const statements = [
      new iam.PolicyStatement({
        sid: 'InvokeStepFunctions',
        actions: ['lambda:InvokeFunction'],
        // Unqualified and qualified ARNs: Step Functions may invoke a version or alias.
        resources: props.functions.flatMap((f) => [f.functionArn, `${f.functionArn}:*`]),
      }),
      new iam.PolicyStatement({
        sid: 'RunSageMakerTrainingJobs',
        actions: [
          'sagemaker:CreateTrainingJob',
          'sagemaker:DescribeTrainingJob',
          'sagemaker:StopTrainingJob',
        ],
        // Job names come from the execution input (<model>-<runId>).
        resources: [arn('sagemaker', 'training-job/*')],
      }),
      new iam.PolicyStatement({
        sid: 'ListSageMakerTags',
        // In the documented policy for createTrainingJob.sync; ListTags accepts only "*" there
        // (https://docs.aws.amazon.com/step-functions/latest/dg/sagemaker-iam.html).
        actions: ['sagemaker:ListTags'],
        resources: ['*'],
      }),
      new iam.PolicyStatement({
        sid: 'PassSageMakerRole',
        actions: ['iam:PassRole'],
        resources: [props.sageMakerRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
      }),
      new iam.PolicyStatement({
        sid: 'RunFargateTrainingTasks',
        actions: ['ecs:RunTask'],
        // Any revision of the stage's family, and of the families TrainingTaskDefinition registers for an
        // execution's own image (<family>-image-<hash>): revisions are registered after deploy.
        resources: [
          arn('ecs', `task-definition/${taskDefinition.family}:*`),
          arn('ecs', `task-definition/${taskDefinition.family}-image-*:*`),
        ],
        conditions: { ArnEquals: { 'ecs:cluster': props.cluster.clusterArn } },
      }),
      new iam.PolicyStatement({
        sid: 'TrackFargateTrainingTasks',
        actions: ['ecs:DescribeTasks', 'ecs:StopTask'],
        resources: [arn('ecs', `task/${props.cluster.clusterName}/*`)],
      }),
      new iam.PolicyStatement({
        sid: 'PassFargateTaskRoles',
        actions: ['iam:PassRole'],
        resources: [
          taskDefinition.taskRole.roleArn,
          ...(taskDefinition.executionRole ? [taskDefinition.executionRole.roleArn] : []),
        ],
        conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      }),
      new iam.PolicyStatement({
        sid: 'SyncIntegrationRules',
        // `.sync` Tasks learn that a job or task ended from these managed EventBridge rules.
        actions: ['events:DescribeRule', 'events:PutRule', 'events:PutTargets'],
        resources: [
          arn('events', 'rule/StepFunctionsGetEventsForSageMakerTrainingJobsRule'),
          arn('events', 'rule/StepFunctionsGetEventsForECSTaskRule'),
        ],
      }),
      new iam.PolicyStatement({
        sid: 'DeliverExecutionLogs',
        actions: [
          'logs:CreateLogDelivery',
          'logs:DeleteLogDelivery',
          'logs:DescribeLogGroups',
          'logs:DescribeResourcePolicies',
          'logs:GetLogDelivery',
          'logs:ListLogDeliveries',
          'logs:PutResourcePolicy',
          'logs:UpdateLogDelivery',
        ],
        resources: ['*'],
      }),
      new iam.PolicyStatement({
        sid: 'Tracing',
        actions: [
          'xray:GetSamplingRules',
          'xray:GetSamplingTargets',
          'xray:PutTelemetryRecords',
          'xray:PutTraceSegments',
        ],
        resources: ['*'],
      }),
    ];
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com'),
      description: 'slipway state machine: invokes the steps, runs training, writes logs and traces',
      inlinePolicies: { StateMachine: new iam.PolicyDocument({ statements }) },
    });
    suppress(this.role, [
      {
        id: 'AwsSolutions-IAM5',
        reason:
          'Each wildcard is required: CloudWatch Logs vended-log delivery, X-Ray actions and sagemaker:ListTags ' +
          '(as the documented Step Functions policy writes it) accept only "*"; ' +
          'training job names come from the execution input (training-job/*); Fargate task ids are known only ' +
          'at run time (task/<cluster>/*); RunTask starts the latest revision of the training family ' +
          "(task-definition/<family>:*) or of a family registered for an execution's image " +
          '(task-definition/<family>-image-*:*); Step Functions may invoke a function version or alias (<function>:*).',
        appliesTo: [
          'Resource::*',
          'Resource::arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:training-job/*',
          {
            regex: '/^Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:task\\/<.*>\\/\\*$/g',
          },
          {
            regex:
              '/^Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:task-definition\\/.*:\\*$/g',
          },
          { regex: '/^Resource::<.*>:\\*$/g' },
        ],
      },
    ]);
  }
}

import type { VERIFY_OUTPUTS } from '@slipway/contracts';
import { Aws, CfnOutput, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { suppress } from '../nag.js';
import { storeStatements, storeWildcards } from '../store-access.js';

/**
 * The prefix of every rebuild's training job name in a stage. Lowercase: SageMaker writes job names
 * lowercased into training-job ARNs, which the policy matches.
 */
export function verifyJobNamePrefix(stage: string): string {
  return `slipway-${stage}-verify`;
}

/** Properties of {@link VerifyOnAws}. */
export interface VerifyOnAwsProps {
  readonly stage: string;
  /** The model store: verify reads versions, datasets and the rebuild's run, and adds a verification record. */
  readonly modelStore: s3.IBucket;
  /** The role SageMaker training jobs of the stage run as (the Train state's). */
  readonly sageMakerRole: iam.IRole;
  /** The stage's training image, shown when a version's lineage records none. */
  readonly trainingImageUri: string;
  /** The stage's SageMaker instance type (`ml.m5.large`); the policy allows no other. */
  readonly instanceType: string;
}

/**
 * What `slipway verify <model> <version> --aws` needs from a stage: the outputs it reads (role, image,
 * instance type, job name prefix) and a managed policy for the people who run it. The policy is not
 * attached to any role here: operators attach it to their own role or permission set. The GitHub role
 * does not get it, since a pull request's workflow would then be able to start training jobs that run
 * any image as the SageMaker role.
 *
 * Actions, resources and condition keys after the Service Authorization Reference for SageMaker
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html):
 * CreateTrainingJob, DescribeTrainingJob and StopTrainingJob take the `training-job` resource
 * (`arn:${Partition}:sagemaker:${Region}:${Account}:training-job/${TrainingJobName}`), and
 * CreateTrainingJob accepts `sagemaker:InstanceTypes`; passing the role is `iam:PassRole` with
 * `iam:PassedToService` (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html).
 */
export class VerifyOnAws extends Construct {
  readonly policy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: VerifyOnAwsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const prefix = verifyJobNamePrefix(props.stage);
    const jobs = `arn:${Aws.PARTITION}:sagemaker:${Aws.REGION}:${Aws.ACCOUNT_ID}:training-job/${prefix}-*`;

    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      managedPolicyName: `slipway-${props.stage}-verify-on-aws`,
      description: `slipway ${props.stage}: slipway verify --aws (a rebuild as a training job of the stage)`,
      statements: [
        new iam.PolicyStatement({
          sid: 'StartRebuilds',
          actions: ['sagemaker:CreateTrainingJob'],
          resources: [jobs],
          // Only the stage's instance type (a multivalued key: every value must match).
          conditions: { 'ForAllValues:StringEquals': { 'sagemaker:InstanceTypes': [props.instanceType] } },
        }),
        new iam.PolicyStatement({
          sid: 'FollowRebuilds',
          actions: ['sagemaker:DescribeTrainingJob', 'sagemaker:StopTrainingJob'],
          resources: [jobs],
        }),
        new iam.PolicyStatement({
          sid: 'PassTheTrainingRole',
          actions: ['iam:PassRole'],
          resources: [props.sageMakerRole.roleArn],
          conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
        }),
        new iam.PolicyStatement({
          sid: 'FindTheStage',
          actions: ['cloudformation:DescribeStacks'],
          resources: [
            `arn:${Aws.PARTITION}:cloudformation:${Aws.REGION}:${Aws.ACCOUNT_ID}:stack/${stack.stackName}/*`,
          ],
        }),
        // Versions and their datasets to compare with, the rebuild's model.tar.gz under runs/, and the
        // verification record, create-only: nothing stored can be overwritten.
        ...storeStatements(props.modelStore, [
          { area: 'models', access: 'read' },
          { area: 'models', access: 'create', keys: '*/verifications/*' },
          { area: 'datasets', access: 'read' },
          { area: 'runs', access: 'read' },
        ]),
      ],
    });
    suppress(this.policy, [
      {
        id: 'AwsSolutions-IAM5',
        reason:
          "Training jobs are named at start (training-job/<stage's verify prefix>-*); a stack ARN ends in an id " +
          'CloudFormation assigns (stack/<name>/*). In the model store: any version to verify (models/*), ' +
          'its verification records (models/*/verifications/*, create-only), any dataset version (datasets/*) ' +
          'and the runs the rebuild writes (runs/*).',
        appliesTo: [
          {
            regex: `/^Resource::arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:training-job\\/${prefix}-\\*$/g`,
          },
          {
            regex:
              '/^Resource::arn:<AWS::Partition>:cloudformation:<AWS::Region>:<AWS::AccountId>:stack\\/.*\\/\\*$/g',
          },
          ...storeWildcards('.*ModelStore', ['models', 'datasets', 'runs']),
        ],
      },
    ]);

    const outputs: Record<(typeof VERIFY_OUTPUTS)[number], { value: string; description: string }> = {
      VerifySageMakerRoleArn: {
        value: props.sageMakerRole.roleArn,
        description: 'slipway verify --aws: the role its training jobs run as',
      },
      VerifyTrainingImageUri: {
        value: props.trainingImageUri,
        description: "slipway verify --aws: the stage's training image (a rebuild uses the recorded digest)",
      },
      VerifyInstanceType: {
        value: props.instanceType,
        description: 'slipway verify --aws: the instance type of its training jobs',
      },
      VerifyJobNamePrefix: {
        value: prefix,
        description: 'slipway verify --aws: every training job it starts is named <prefix>-...',
      },
      VerifyPolicyArn: {
        value: this.policy.managedPolicyArn,
        description: 'Attach to the role of whoever runs slipway verify --aws',
      },
    };
    for (const [name, output] of Object.entries(outputs)) {
      new CfnOutput(this, name, output).overrideLogicalId(name);
    }
  }
}

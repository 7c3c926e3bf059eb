import { Aws, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { StageConfig } from '../config.js';
import { suppress } from '../nag.js';
import { storeStatements, storeWildcards } from '../store-access.js';

/** Properties of {@link GitHubStack}. */
export interface GitHubStackProps extends StackProps {
  readonly config: StageConfig;
  /** The state machine the pipeline role may start and read. */
  readonly stateMachine: sfn.StateMachine;
  /**
   * The model store: `slipway start --aws` uploads the execution's dataset (content-addressed, create-only)
   * and reads the evaluation report it renders into the pull request comment.
   */
  readonly modelStore: s3.IBucket;
  /** The stack whose outputs `slipway start --aws` reads to find the state machine. */
  readonly pipelineStackName: string;
  /**
   * The stage's training repository: a pull request's start pushes the image that trains its code there
   * (the built-in trainer composed onto the stage's image, or a Dockerfile trainer built on the runner).
   */
  readonly trainingRepository: ecr.IRepository;
}

/** GitHub's OIDC issuer, without the scheme (as IAM condition keys name it). */
export const GITHUB_ISSUER = 'token.actions.githubusercontent.com';

/**
 * GitHub Actions' way into the stage, without IAM users or access keys: the OIDC provider (or the
 * account's existing one), a pipeline role that can start and read executions of this stage's state
 * machine (plus what `slipway start --aws` needs around that: find the stack, upload the dataset, read
 * the evaluation), and a deploy role that can only assume the CDK bootstrap roles.
 */
export class GitHubStack extends Stack {
  readonly provider: iam.IOidcProvider;
  /** For `slipway start|executions --aws` in workflows (GitHubRoleArn). */
  readonly pipelineRole: iam.Role;
  /** For `cdk deploy` in the deploy workflow (GitHubDeployRoleArn). */
  readonly deployRole: iam.Role;

  constructor(scope: Construct, id: string, props: GitHubStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.provider = config.github.createOidcProvider
      ? new iam.OidcProviderNative(this, 'Provider', {
          url: `https://${GITHUB_ISSUER}`,
          clientIds: ['sts.amazonaws.com'],
        })
      : iam.OidcProviderNative.fromOidcProviderArn(
          this,
          'Provider',
          `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:oidc-provider/${GITHUB_ISSUER}`,
        );

    const subjects = (claims: readonly string[]) =>
      claims.map((claim) => `repo:${config.repository}:${claim}`);
    const principal = (claims: readonly string[]) =>
      new iam.OpenIdConnectPrincipal(this.provider, {
        StringEquals: {
          [`${GITHUB_ISSUER}:aud`]: 'sts.amazonaws.com',
          [`${GITHUB_ISSUER}:sub`]: subjects(claims),
        },
      });

    const executions = `arn:${Aws.PARTITION}:states:${Aws.REGION}:${Aws.ACCOUNT_ID}:execution:${props.stateMachine.stateMachineName}:*`;
    this.pipelineRole = new iam.Role(this, 'PipelineRole', {
      assumedBy: principal(config.github.pipelineSubjects),
      description: `slipway ${config.stage}: GitHub workflows of ${config.repository} start and read pipeline executions`,
      inlinePolicies: {
        Pipeline: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              sid: 'StartExecutions',
              actions: ['states:DescribeStateMachine', 'states:ListExecutions', 'states:StartExecution'],
              resources: [props.stateMachine.stateMachineArn],
            }),
            new iam.PolicyStatement({
              sid: 'ReadExecutions',
              // Not GetExecutionHistory: the history holds the Approval task's parameters, task token
              // included, and IAM cannot withhold them. The CLI follows an execution through
              // DescribeExecution and the records the steps write in the store.
              actions: ['states:DescribeExecution'],
              resources: [executions],
            }),
            new iam.PolicyStatement({
              sid: 'FindStateMachine',
              // The CLI finds the state machine from the pipeline stack's outputs.
              actions: ['cloudformation:DescribeStacks'],
              resources: [
                `arn:${Aws.PARTITION}:cloudformation:${Aws.REGION}:${Aws.ACCOUNT_ID}:stack/${props.pipelineStackName}/*`,
              ],
            }),
            // The CLI puts the pull request's dataset into the store before starting (content-addressed,
            // create-only: the role cannot overwrite a dataset) and follows the execution through the
            // evaluation report and the approval request (neither holds a token), nothing else of an
            // execution's area: the approval's task token is kept there.
            new iam.PolicyStatement({
              sid: 'PushTrainingImages',
              // Read the stage's trainer image and push a pull request's training image beside it, by
              // digest. Tags are immutable there, so the stage's own image cannot be replaced; no delete.
              actions: [
                'ecr:BatchCheckLayerAvailability',
                'ecr:BatchGetImage',
                'ecr:CompleteLayerUpload',
                'ecr:GetDownloadUrlForLayer',
                'ecr:InitiateLayerUpload',
                'ecr:PutImage',
                'ecr:UploadLayerPart',
              ],
              resources: [props.trainingRepository.repositoryArn],
            }),
            new iam.PolicyStatement({
              sid: 'RegistryLogin',
              actions: ['ecr:GetAuthorizationToken'],
              resources: ['*'],
            }),
            ...storeStatements(props.modelStore, [
              { area: 'datasets', access: 'create' },
              { area: 'executions', access: 'read', keys: '*/evaluation.json' },
              { area: 'executions', access: 'read', keys: '*/approval-request.json' },
            ]),
          ],
        }),
      },
    });
    suppress(this.pipelineRole, [
      {
        id: 'AwsSolutions-IAM5',
        reason:
          'Execution ARNs carry a name chosen at start (execution:<state machine>:*); a stack ARN ends in an id ' +
          'CloudFormation assigns (stack/<name>/*). Both are limited to this stage. In the model store: any ' +
          'dataset version (datasets/*, named by content hash) and any execution report (executions/*). ' +
          'ecr:GetAuthorizationToken accepts only "*".',
        appliesTo: [
          'Resource::*',
          {
            regex:
              '/^Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:.*:\\*$/g',
          },
          {
            regex:
              '/^Resource::arn:<AWS::Partition>:cloudformation:<AWS::Region>:<AWS::AccountId>:stack\\/.*\\/\\*$/g',
          },
          ...storeWildcards('.*ModelStore', ['datasets', 'executions']),
        ],
      },
    ]);

    const qualifier = config.bootstrapQualifier;
    this.deployRole = new iam.Role(this, 'DeployRole', {
      assumedBy: principal(config.github.deploySubjects ?? [`environment:${config.stage}`]),
      description: `slipway ${config.stage}: GitHub deploy workflow of ${config.repository} runs cdk deploy`,
      inlinePolicies: {
        Deploy: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              sid: 'AssumeCdkBootstrapRoles',
              // What `cdk deploy` does with its own credentials: assume the bootstrap roles, which hold the
              // deployment permissions.
              actions: ['sts:AssumeRole', 'sts:TagSession'],
              resources: ['deploy', 'file-publishing', 'image-publishing', 'lookup'].map(
                (kind) =>
                  `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/cdk-${qualifier}-${kind}-role-${Aws.ACCOUNT_ID}-${Aws.REGION}`,
              ),
            }),
          ],
        }),
      },
    });

    new CfnOutput(this, 'GitHubRoleArn', {
      value: this.pipelineRole.roleArn,
      description: 'Repository variable SLIPWAY_AWS_ROLE_ARN: train-on-pr assumes it',
    });
    new CfnOutput(this, 'GitHubDeployRoleArn', {
      value: this.deployRole.roleArn,
      description: 'Environment variable SLIPWAY_DEPLOY_ROLE_ARN: deploy assumes it',
    });
  }
}

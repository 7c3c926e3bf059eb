// Every stage synthesizes offline, and each carries the resources the AWS side of slipway is made of.
import { ENV, FUNCTION_ENV, type FunctionEnv, PIPELINE_OUTPUTS, VERIFY_OUTPUTS } from '@slipway/contracts';
import { placeholders, readDefinitionText, substitute } from '@slipway/runner-local';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  alarmNames,
  LIVE_ALIAS,
  readConfig,
  repositoryNames,
  STAGE_NAMES,
  STEP_HANDLERS,
  type StageName,
  stageConfig,
  TRAINING_CONTAINER_NAME,
} from '../../src/index.js';
import {
  deployedDefinitionText,
  logicalId,
  render,
  type SynthesizedStage,
  synthStage,
} from '../helpers/synth.js';

const resources = (t: Template, type: string) => Object.values(t.findResources(type));
const props = (r: { Properties?: unknown }) => (r.Properties ?? {}) as Record<string, unknown>;
const imageFunction = (t: Template, handler: string) =>
  logicalId(
    t,
    'AWS::Lambda::Function',
    (p) => render((p.ImageConfig as { Command?: string[] })?.Command?.[0] ?? '') === handler,
  );

describe.each(STAGE_NAMES)('stage %s', (stage: StageName) => {
  const config = stageConfig(readConfig(), stage);
  let synth: SynthesizedStage;
  beforeAll(() => {
    synth = synthStage(stage);
  });
  afterAll(() => synth?.dispose());

  it('is five stacks named slipway-<stage>-*, every taggable resource tagged slipway:stage', () => {
    expect(synth.assembly.stacks.map((s) => s.stackName).sort()).toEqual(
      ['github', 'inference', 'pipeline', 'storage', 'training'].map((p) => `slipway-${stage}-${p}`),
    );
    let tagged = 0;
    for (const template of Object.values(synth.templates)) {
      for (const [id, resource] of Object.entries(
        template.toJSON().Resources as Record<string, { Type: string; Properties?: { Tags?: unknown } }>,
      )) {
        const tags = resource.Properties?.Tags;
        if (tags === undefined) continue;
        tagged++;
        const value = Array.isArray(tags)
          ? (tags as { Key: string; Value: string }[]).find((t) => t.Key === 'slipway:stage')?.Value
          : (tags as Record<string, string>)['slipway:stage'];
        expect(value, `${id} (${resource.Type})`).toBe(stage);
      }
    }
    expect(tagged).toBeGreaterThan(40);
  });

  it('storage: a private, encrypted, TLS-only model store that aborts incomplete uploads, and immutable repositories', () => {
    const t = synth.templates.storage;
    const store = logicalId(t, 'AWS::S3::Bucket', (p) => p.VersioningConfiguration !== undefined);
    t.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({
            Id: 'abort-incomplete-uploads',
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          }),
        ]),
      },
      LoggingConfiguration: { LogFilePrefix: 'model-store/' },
    });
    expect(t.findResources('AWS::S3::Bucket')[store]?.DeletionPolicy).toBe('Retain');
    t.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: store },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            Principal: { AWS: '*' },
          }),
        ]),
      },
    });

    const names = repositoryNames(stage);
    const repositories = resources(t, 'AWS::ECR::Repository').map(props);
    expect(repositories.map((r) => r.RepositoryName).sort()).toEqual(
      [names.inferenceBase, names.models, names.training].sort(),
    );
    for (const repository of repositories) {
      expect(repository.ImageTagMutability).toBe('IMMUTABLE');
      expect(repository.ImageScanningConfiguration).toEqual({ ScanOnPush: true });
    }
    const policy = (name: string) =>
      JSON.stringify(repositories.find((r) => r.RepositoryName === name)?.RepositoryPolicyText ?? null);
    // The asset publisher may push the training and base images; Lambda may pull base and model images.
    expect(policy(names.training)).toContain('-image-publishing-role-');
    expect(policy(names.inferenceBase)).toContain('-image-publishing-role-');
    expect(policy(names.models)).not.toContain('-image-publishing-role-');
    expect(policy(names.inferenceBase)).toContain('lambda.amazonaws.com');
    expect(policy(names.models)).toContain('lambda.amazonaws.com');
    expect(policy(names.training)).not.toContain('lambda.amazonaws.com');
    // Nothing expires the images that trained or serve a version: pull requests push their training
    // images beside the stage's, lineage names each by digest, verify --aws runs it again, and every
    // Lambda version (a rollback target) points at a model image. Only base images rotate.
    const lifecycle = (name: string) => repositories.find((r) => r.RepositoryName === name)?.LifecyclePolicy;
    expect(lifecycle(names.training)).toBeUndefined();
    expect(lifecycle(names.models)).toBeUndefined();
    expect(lifecycle(names.inferenceBase)).toBeDefined();
  });

  it('training: the image in the stage repository, the SageMaker role, and the Fargate task without internet access', () => {
    const t = synth.templates.training;
    t.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'sagemaker.amazonaws.com' } })],
      },
    });
    t.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Family: `slipway-${stage}-training`,
      Cpu: String(config.training.fargateCpu),
      Memory: String(config.training.fargateMemoryMiB),
      RequiresCompatibilities: ['FARGATE'],
      ContainerDefinitions: [
        Match.objectLike({
          Name: TRAINING_CONTAINER_NAME,
          Image: { 'Fn::Sub': Match.stringLikeRegexp(`/slipway-${stage}/training:[0-9a-f]{64}$`) },
          LogConfiguration: Match.objectLike({ LogDriver: 'awslogs' }),
        }),
      ],
    });
    t.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
    });
    t.resourceCountIs('AWS::EC2::NatGateway', 0);
    t.resourceCountIs('AWS::EC2::InternetGateway', 0);
    t.resourceCountIs('AWS::EC2::Subnet', config.training.availabilityZones);
    const endpoints = resources(t, 'AWS::EC2::VPCEndpoint').map((r) => render(props(r).ServiceName));
    expect(endpoints.map((e) => e.replace(/^.*\.(?=s3$|ecr\.|logs$)/, '')).sort()).toEqual([
      'ecr.api',
      'ecr.dkr',
      'logs',
      's3',
    ]);
    t.resourceCountIs('AWS::EC2::FlowLog', 1);
  });

  it('inference: the base image published as a version, alias live on it (never $LATEST), and its Function URL', () => {
    const t = synth.templates.inference;
    t.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: `slipway-${stage}-inference`,
      PackageType: 'Image',
      MemorySize: config.inference.memoryMiB,
      TracingConfig: { Mode: 'Active' },
      Code: {
        ImageUri: {
          'Fn::Join': [
            '',
            Match.arrayWith([Match.stringLikeRegexp(`/slipway-${stage}/inference-base:[0-9a-f]{64}$`)]),
          ],
        },
      },
    });
    // Lambda refuses AdditionalVersionWeights on an alias of $LATEST: the canary needs a published version.
    const version = logicalId(t, 'AWS::Lambda::Version', () => true);
    t.resourceCountIs('AWS::Lambda::Version', 1);
    t.hasResourceProperties('AWS::Lambda::Alias', {
      Name: LIVE_ALIAS,
      FunctionVersion: { 'Fn::GetAtt': [version, 'Version'] },
    });
    t.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: config.inference.publicUrl ? 'NONE' : 'AWS_IAM',
      Qualifier: LIVE_ALIAS,
    });
    t.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: config.logRetentionDays });
  });

  it('pipeline: one steps image, each function with its entry point, environment and log retention', () => {
    const t = synth.templates.pipeline;
    const functions = resources(t, 'AWS::Lambda::Function').map(props);
    const commands = functions.map((f) => (f.ImageConfig as { Command: string[] }).Command);
    expect(commands.map((c) => c[0]).sort()).toEqual(Object.values(STEP_HANDLERS).sort());
    const images = new Set(functions.map((f) => render((f.Code as { ImageUri: unknown }).ImageUri)));
    expect(images.size).toBe(1);
    expect([...images][0]).toMatch(/container-assets-.*:[0-9a-f]{64}$/);
    for (const f of functions) {
      expect(f.TracingConfig).toEqual({ Mode: 'Active' });
      expect(f.LoggingConfig).toEqual({ LogGroup: { Ref: expect.stringMatching(/Logs/) } });
    }
    t.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: config.logRetentionDays }, 8);

    const environment = (handler: string) => {
      const f = functions.find((x) => (x.ImageConfig as { Command: string[] }).Command[0] === handler);
      return Object.fromEntries(
        Object.entries(
          (f?.Environment as { Variables: Record<string, unknown> } | undefined)?.Variables ?? {},
        ).map(([k, v]) => [k, render(v)]),
      );
    };
    const store = expect.stringMatching(/^s3:\/\/<import:slipway-.*-storage:ExportsOutputRefModelStore/);
    const endpoint = expect.stringMatching(/^<import:slipway-.*-inference:.*LiveFunctionUrl/);
    const links = expect.stringMatching(/^<ApprovalLinksFunctionFunctionUrl.*\.FunctionUrl>$/);
    const secret = expect.stringMatching(/^<ApprovalSigningKey/);
    expect(environment(STEP_HANDLERS.evaluate)).toEqual({ [ENV.storeUri]: store });
    expect(environment(STEP_HANDLERS.register)).toEqual({ [ENV.storeUri]: store });
    expect(environment(STEP_HANDLERS.approval)).toEqual({
      [ENV.storeUri]: store,
      [ENV.approvalTopicArn]: expect.stringMatching(/^<ApprovalTopic/),
      [ENV.approvalLinksUrl]: links,
      [ENV.approvalSecretArn]: secret,
    });
    expect(environment(STEP_HANDLERS.promote)).toEqual({
      [ENV.storeUri]: store,
      [ENV.endpointUrl]: endpoint,
      [ENV.inferenceFunctionName]: expect.stringMatching(
        /^<import:slipway-.*-inference:ExportsOutputRefFunction/,
      ),
      [ENV.inferenceAlias]: LIVE_ALIAS,
      [ENV.inferenceBaseImageUri]: expect.stringMatching(
        new RegExp(`/slipway-${stage}/inference-base:[0-9a-f]{64}$`),
      ),
      [ENV.modelImageRepositoryUri]: expect.stringMatching(/ModelImageRepository/),
      [ENV.canaryAlarmName]: alarmNames(stage).inferenceErrors,
    });
    expect(environment(STEP_HANDLERS.smokeTest)).toEqual({
      [ENV.endpointAuth]: config.inference.publicUrl ? 'NONE' : 'AWS_IAM',
      [ENV.smokeTestTimeoutMs]: '240000',
    });
    expect(environment(STEP_HANDLERS.trainingTask)).toEqual({
      TRAINING_FAMILY: `slipway-${stage}-training`,
      TRAINING_CONTAINER: 'train',
      // The stage's training repository only: an image from anywhere else is refused by name.
      TRAINING_REPOSITORIES: expect.stringMatching(
        /^<AWS::AccountId>\.dkr\.ecr\.<AWS::Region>\.<AWS::URLSuffix>\/<import:slipway-.*-storage:ExportsOutputRefTrainingRepository[^>,]*>$/,
      ),
    });
    expect(environment(STEP_HANDLERS.approvalLinks)).toEqual({
      [ENV.storeUri]: store,
      [ENV.approvalSecretArn]: secret,
    });
  });

  it('every function gets the environment its entry point reads (FUNCTION_ENV): each required name, nothing else', () => {
    const variables = (f: Record<string, unknown>) =>
      Object.keys((f.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {});
    const checked: string[] = [];
    const check = (fn: keyof typeof FUNCTION_ENV, f: Record<string, unknown> | undefined) => {
      expect(f, fn).toBeDefined();
      const set = variables(f ?? {});
      const { required, optional }: FunctionEnv = FUNCTION_ENV[fn];
      expect(
        set.filter(
          (name) => !(required as string[]).includes(name) && !(optional as string[]).includes(name),
        ),
        fn,
      ).toEqual([]);
      expect(
        required.filter((name) => !set.includes(name)),
        fn,
      ).toEqual([]);
      checked.push(fn);
    };
    const steps = resources(synth.templates.pipeline, 'AWS::Lambda::Function').map(props);
    for (const [fn, handler] of Object.entries(STEP_HANDLERS) as [keyof typeof STEP_HANDLERS, string][]) {
      check(
        fn,
        steps.find((f) => (f.ImageConfig as { Command: string[] }).Command[0] === handler),
      );
    }
    const inference = resources(synth.templates.inference, 'AWS::Lambda::Function').map(props);
    expect(inference).toHaveLength(1);
    check('inference', inference[0]);
    // Every function of the stage was checked, and the contract names no function the stage lacks.
    expect(checked.sort()).toEqual(Object.keys(FUNCTION_ENV).sort());
    expect(steps.length + inference.length).toBe(checked.length);
  });

  it('pipeline: each function may do exactly what its step needs', () => {
    const t = synth.templates.pipeline;
    const json = t.toJSON().Resources as Record<
      string,
      { Type: string; Properties: Record<string, unknown> }
    >;
    type Doc = { Statement: { Action: string | string[]; Resource: unknown }[] };
    const grants = (roleId: string) => {
      const docs: Doc[] = [
        ...((json[roleId]?.Properties.Policies as { PolicyDocument: Doc }[] | undefined) ?? []).map(
          (p) => p.PolicyDocument,
        ),
        ...Object.values(json)
          .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles).includes(roleId))
          .map((r) => r.Properties.PolicyDocument as Doc),
      ];
      const found = new Set<string>();
      for (const statement of docs.flatMap((d) => d.Statement)) {
        for (const action of [statement.Action].flat()) {
          // Every function writes its own logs and traces; that is not what sets them apart.
          if (/^(logs:CreateLogStream|logs:PutLogEvents|xray:Put)/.test(action)) continue;
          for (const resource of [statement.Resource].flat()) {
            const area = /\/(datasets|runs|models|executions)\/\*$/.exec(render(resource))?.[1];
            found.add(area ? `${action} ${area}` : action);
          }
        }
      }
      return [...found].sort();
    };
    const role = (handler: string) =>
      render((json[imageFunction(t, handler)]?.Properties.Role as unknown) ?? '').replace(
        /^<(.*)\.Arn>$/,
        '$1',
      );
    const read = (area: string) => [`s3:GetObject ${area}`];
    const write = (area: string) => [...read(area), `s3:PutObject ${area}`];
    const lambdaDeploy = [
      'CreateAlias',
      'GetAlias',
      'GetFunction',
      'GetFunctionConfiguration',
      'PublishVersion',
      'UpdateAlias',
      'UpdateFunctionCode',
    ].map((a) => `lambda:${a}`);
    const expected: Record<keyof typeof STEP_HANDLERS, string[]> = {
      evaluate: [
        ...read('datasets'),
        ...read('runs'),
        ...read('models'),
        ...write('executions'),
        's3:ListBucket',
      ],
      register: [
        ...read('runs'),
        ...write('models'),
        's3:DeleteObject models',
        ...write('executions'),
        's3:ListBucket',
      ],
      approval: [...write('executions'), 's3:ListBucket', 'sns:Publish', 'secretsmanager:GetSecretValue'],
      promote: [
        ...write('models'),
        ...write('executions'),
        's3:ListBucket',
        ...[
          'BatchCheckLayerAvailability',
          'BatchGetImage',
          'CompleteLayerUpload',
          'DescribeImages',
          'GetAuthorizationToken',
          'GetDownloadUrlForLayer',
          'InitiateLayerUpload',
          'PutImage',
          'UploadLayerPart',
        ].map((a) => `ecr:${a}`),
        ...lambdaDeploy,
        'lambda:InvokeFunction',
        'lambda:InvokeFunctionUrl',
        'cloudwatch:DescribeAlarms',
        'cloudwatch:GetMetricStatistics',
      ],
      smokeTest: ['lambda:InvokeFunction', 'lambda:InvokeFunctionUrl'],
      trainingTask: ['ecs:DescribeTaskDefinition', 'ecs:RegisterTaskDefinition', 'iam:PassRole'],
      approvalLinks: [
        ...write('executions'),
        's3:ListBucket',
        'secretsmanager:GetSecretValue',
        'states:SendTaskFailure',
        'states:SendTaskSuccess',
      ],
    };
    for (const [step, handler] of Object.entries(STEP_HANDLERS) as [keyof typeof STEP_HANDLERS, string][]) {
      expect(grants(role(handler)), step).toEqual([...new Set(expected[step])].sort());
    }
  });

  it('pipeline: Promote and SmokeTest may call the IAM-auth Function URL: InvokeFunctionUrl and InvokeFunction via the URL', () => {
    // Since October 2025 a new Function URL with AWS_IAM auth needs both actions
    // (https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html).
    const t = synth.templates.pipeline;
    const json = t.toJSON().Resources as Record<
      string,
      { Type: string; Properties: Record<string, unknown> }
    >;
    for (const handler of [STEP_HANDLERS.promote, STEP_HANDLERS.smokeTest]) {
      const roleId = render((json[imageFunction(t, handler)]?.Properties.Role as unknown) ?? '').replace(
        /^<(.*)\.Arn>$/,
        '$1',
      );
      const statements = Object.values(json)
        .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles).includes(roleId))
        .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement)
        .filter((st) => /^lambda:Invoke/.test(String(st.Action)))
        .map((st) => ({ action: st.Action, resource: render(st.Resource), condition: st.Condition }));
      const alias = expect.stringMatching(/^<import:slipway-.*-inference:.*Live.*>$/);
      expect(statements, handler).toEqual([
        {
          action: 'lambda:InvokeFunctionUrl',
          resource: alias,
          condition: { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } },
        },
        {
          action: 'lambda:InvokeFunction',
          resource: alias,
          condition: { Bool: { 'lambda:InvokedViaFunctionUrl': true } },
        },
      ]);
    }
  });

  it('pipeline: Promote may invoke a published version of the inference function (its smoke test before the full shift)', () => {
    const statements = resources(synth.templates.pipeline, 'AWS::IAM::Role')
      .map(props)
      .flatMap((r) => (r.Policies as { PolicyDocument: { Statement: Record<string, unknown>[] } }[]) ?? [])
      .flatMap((p) => p.PolicyDocument.Statement);
    const deploy = statements.find((st) => st.Sid === 'DeployInference');
    expect(deploy?.Action).toContain('lambda:InvokeFunction');
    expect(((deploy?.Resource ?? []) as unknown[]).map(render)).toEqual([
      expect.stringMatching(/^<import:slipway-.*-inference:.*Function.*Arn.*>$/),
      expect.stringMatching(/^<import:slipway-.*-inference:.*Function.*Arn.*>:\*$/),
    ]);
  });

  it('pipeline: the state machine role has the documented createTrainingJob.sync policy, ListTags included', () => {
    // https://docs.aws.amazon.com/step-functions/latest/dg/sagemaker-iam.html
    const statements = resources(synth.templates.pipeline, 'AWS::IAM::Role')
      .map(props)
      .filter(
        (r) =>
          r.Description === 'slipway state machine: invokes the steps, runs training, writes logs and traces',
      )
      .flatMap((r) => (r.Policies as { PolicyDocument: { Statement: Record<string, unknown>[] } }[]) ?? [])
      .flatMap((p) => p.PolicyDocument.Statement);
    expect(statements.find((st) => st.Sid === 'ListSageMakerTags')).toMatchObject({
      Action: 'sagemaker:ListTags',
      Resource: '*',
    });
    expect(statements.find((st) => st.Sid === 'RunSageMakerTrainingJobs')?.Action).toEqual([
      'sagemaker:CreateTrainingJob',
      'sagemaker:DescribeTrainingJob',
      'sagemaker:StopTrainingJob',
    ]);
  });

  it('pipeline: approval topic (encrypted, TLS only), signing secret, and a public links URL', () => {
    const t = synth.templates.pipeline;
    t.hasResourceProperties('AWS::SNS::Topic', {
      DisplayName: `slipway ${stage}: model approvals`,
      KmsMasterKeyId: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([':alias/aws/sns'])] }),
    });
    const topics = Object.keys(t.findResources('AWS::SNS::Topic'));
    expect(topics).toHaveLength(2);
    for (const topic of topics) {
      t.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [{ Ref: topic }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
    t.resourcePropertiesCountIs(
      'AWS::SNS::Subscription',
      { Protocol: 'email' },
      config.approvers.length + config.alarmEmails.length,
    );
    t.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true },
    });
    t.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'NONE',
      TargetFunctionArn: { 'Fn::GetAtt': [imageFunction(t, STEP_HANDLERS.approvalLinks), 'Arn'] },
    });
    t.resourceCountIs('AWS::Lambda::Url', 1);
  });

  it('pipeline: the state machine from the definition file, logging everything but execution data, traced', () => {
    const t = synth.templates.pipeline;
    t.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: `slipway-${stage}`,
      StateMachineType: 'STANDARD',
      DefinitionS3Location: Match.objectLike({ Key: Match.stringLikeRegexp('^[0-9a-f]{64}\\.json$') }),
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: false }),
      TracingConfiguration: { Enabled: true },
    });
    expect(Object.keys(t.findResources('AWS::StepFunctions::StateMachine'))).toHaveLength(1);
  });

  it('deploys the very definition the local runtime runs, with every placeholder substituted', () => {
    const machine = props(resources(synth.templates.pipeline, 'AWS::StepFunctions::StateMachine')[0] ?? {});
    const values = Object.fromEntries(
      Object.entries(machine.DefinitionSubstitutions as Record<string, unknown>).map(([k, v]) => [
        k,
        render(v),
      ]),
    );
    const local = readDefinitionText();
    expect(Object.keys(values).sort()).toEqual(placeholders(local));
    const deployed = substitute(deployedDefinitionText(synth), values);
    expect(deployed).toBe(substitute(local, values));

    // And the values name this stage's resources.
    const t = synth.templates.pipeline;
    const states = JSON.parse(deployed).States as Record<string, { Parameters: Record<string, unknown> }>;
    const fn = (handler: string) => `<${imageFunction(t, handler)}.Arn>`;
    expect(states.Evaluate?.Parameters.FunctionName).toBe(fn(STEP_HANDLERS.evaluate));
    expect(states.Register?.Parameters.FunctionName).toBe(fn(STEP_HANDLERS.register));
    expect(states.Approval?.Parameters.FunctionName).toBe(fn(STEP_HANDLERS.approval));
    expect(states.Promote?.Parameters.FunctionName).toBe(fn(STEP_HANDLERS.promote));
    expect(states.RollBack?.Parameters.FunctionName).toBe(fn(STEP_HANDLERS.promote));
    expect(states.SmokeTest?.Parameters.FunctionName).toBe(fn(STEP_HANDLERS.smokeTest));
    const sagemaker = states.TrainOnSageMaker?.Parameters as {
      AlgorithmSpecification: { 'TrainingImage.$': string };
      Environment: Record<string, string>;
      RoleArn: string;
      ResourceConfig: { InstanceType: string };
      OutputDataConfig: { S3OutputPath: string };
    };
    expect(sagemaker.ResourceConfig.InstanceType).toBe(config.training.instanceType);
    // The image comes from the execution input; an input without one gets the stage's image first.
    expect(sagemaker.AlgorithmSpecification['TrainingImage.$']).toBe('$.trainingImage');
    expect(sagemaker.Environment['SLIPWAY_TRAINING_IMAGE.$']).toBe('$.trainingImage');
    expect(states.StageTrainingImage).toMatchObject({
      ResultPath: '$.trainingImage',
      Next: 'TrainOnSageMaker',
    });
    expect((states.StageTrainingImage as unknown as { Result: string }).Result).toMatch(
      new RegExp(`^\\$\\{AWS::AccountId\\}\\.dkr\\.ecr\\..*/slipway-${stage}/training:[0-9a-f]{64}$`),
    );
    expect(sagemaker.RoleArn).toMatch(/^<import:slipway-.*-training:.*SageMakerRole/);
    expect(sagemaker.OutputDataConfig.S3OutputPath).toMatch(/^s3:\/\/<import:.*ModelStore.*>\/runs$/);
    const fargate = states.TrainOnFargate?.Parameters as { 'TaskDefinition.$': string; Cluster: string };
    // The revision TrainingTaskDefinition names: the stage's, or one for the execution's own image.
    expect(fargate['TaskDefinition.$']).toBe('$.trainingTask.taskDefinition');
    expect(states.TrainingTaskDefinition?.Parameters.FunctionName).toBe(fn(STEP_HANDLERS.trainingTask));
    expect(fargate.Cluster).toMatch(/^<import:slipway-.*-training:.*Cluster/);
    expect(values.TrainingSubnetIds?.split(',')).toHaveLength(config.training.availabilityZones);
  });

  it('pipeline: alarms on failed executions, inference errors and p99 latency, a dashboard, and the outputs the CLI reads', () => {
    const t = synth.templates.pipeline;
    const names = alarmNames(stage);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: names.failedExecutions,
      Metrics: Match.arrayWith([Match.objectLike({ Expression: 'failed + timedOut + aborted' })]),
      Threshold: 1,
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: names.inferenceErrors,
      // 5xx answers of the Function URL: the handler turns failures into 500s, which Errors never counts.
      MetricName: 'Url5xxCount',
      Namespace: 'AWS/Lambda',
      Statistic: 'Sum',
      Dimensions: Match.arrayWith([{ Name: 'Resource', Value: Match.anyValue() }]),
      Threshold: 1,
      // No requests is no data, not a pass.
      TreatMissingData: 'missing',
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: names.inferenceLatency,
      MetricName: 'UrlRequestLatency',
      ExtendedStatistic: 'p99',
      Threshold: config.inference.p99LatencyMs,
    });
    t.resourceCountIs('AWS::CloudWatch::Alarm', 3);
    t.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: `slipway-${stage}` });
    t.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });

    const outputs = Object.keys(t.toJSON().Outputs).filter((o) => !o.startsWith('ExportsOutput'));
    expect(outputs.sort()).toEqual([...PIPELINE_OUTPUTS, ...VERIFY_OUTPUTS].sort());
    const logGroups = render(t.toJSON().Outputs.LogGroupNames.Value).split(',');
    expect(logGroups).toHaveLength(9);
    expect(logGroups[0]).toMatch(/^<StateMachineLogs/);
    expect(logGroups[8]).toMatch(/^<import:slipway-.*-inference:ExportsOutputRefLogs/);
  });

  it('github: OIDC trust for this repository only, a role that starts and reads this state machine and nothing else', () => {
    const t = synth.templates.github;
    t.resourceCountIs('AWS::IAM::OIDCProvider', config.github.createOidcProvider ? 1 : 0);
    t.resourceCountIs('AWS::IAM::User', 0);
    t.resourceCountIs('AWS::IAM::AccessKey', 0);
    const roles = t.findResources('AWS::IAM::Role');
    const pipelineRole = Object.entries(roles).find(([id]) => id.startsWith('PipelineRole'))?.[1];
    const document = props(pipelineRole ?? {});
    const trust = (
      document.AssumeRolePolicyDocument as { Statement: { Action: string; Condition: unknown }[] }
    ).Statement;
    expect(trust).toHaveLength(1);
    expect(trust[0]?.Action).toBe('sts:AssumeRoleWithWebIdentity');
    expect(trust[0]?.Condition).toEqual({
      StringEquals: {
        'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
        'token.actions.githubusercontent.com:sub': config.github.pipelineSubjects.map(
          (s) => `repo:${config.repository}:${s}`,
        ),
      },
    });
    const statements = (
      document.Policies as {
        PolicyDocument: { Statement: { Action: unknown; Resource: unknown; Condition?: unknown }[] };
      }[]
    )
      .flatMap((p) => p.PolicyDocument.Statement)
      .map((s) => ({
        actions: [s.Action].flat(),
        resource: Array.isArray(s.Resource) ? s.Resource.map(render) : render(s.Resource),
        ...(s.Condition && !JSON.stringify(s.Condition).includes('s3:prefix')
          ? { condition: s.Condition }
          : {}),
      }));
    // Nothing that reads a task token from the store or settles one.
    const allActions = statements.flatMap((st) => st.actions);
    expect(allActions).not.toContain('states:SendTaskSuccess');
    expect(allActions).not.toContain('states:SendTaskFailure');
    expect(allActions).not.toContain('states:GetExecutionHistory');
    expect(allActions).not.toContain('ecr:BatchDeleteImage');
    expect(statements).toEqual([
      {
        actions: ['states:DescribeStateMachine', 'states:ListExecutions', 'states:StartExecution'],
        resource: expect.stringMatching(/^<import:slipway-.*-pipeline:ExportsOutputRefStateMachine/),
      },
      // Not GetExecutionHistory: the history holds the approval's task token.
      {
        actions: ['states:DescribeExecution'],
        resource: expect.stringMatching(/:execution:<import:slipway-.*-pipeline:.*StateMachine.*Name.*>:\*$/),
      },
      {
        actions: ['cloudformation:DescribeStacks'],
        resource: expect.stringMatching(new RegExp(`:stack/slipway-${stage}-pipeline/\\*$`)),
      },
      // slipway start --aws and train-on-pr.yml: push a pull request's training image into the stage's
      // training repository (immutable tags, no delete), and the registry login that needs.
      {
        actions: [
          'ecr:BatchCheckLayerAvailability',
          'ecr:BatchGetImage',
          'ecr:CompleteLayerUpload',
          'ecr:GetDownloadUrlForLayer',
          'ecr:InitiateLayerUpload',
          'ecr:PutImage',
          'ecr:UploadLayerPart',
        ],
        resource: expect.stringMatching(/^<import:slipway-.*-storage:.*TrainingRepository.*Arn.*>$/),
      },
      { actions: ['ecr:GetAuthorizationToken'], resource: '*' },
      // slipway start --aws: read datasets, the evaluation report and the approval request (never the
      // approval's task token)...
      {
        actions: ['s3:GetObject'],
        resource: [
          expect.stringMatching(/^<import:slipway-.*-storage:.*ModelStore.*Arn.*>\/datasets\/\*$/),
          expect.stringMatching(
            /^<import:slipway-.*-storage:.*ModelStore.*Arn.*>\/executions\/\*\/evaluation\.json$/,
          ),
          expect.stringMatching(
            /^<import:slipway-.*-storage:.*ModelStore.*Arn.*>\/executions\/\*\/approval-request\.json$/,
          ),
        ],
      },
      // ...and upload a dataset create-only: S3 refuses a PutObject without If-None-Match.
      {
        actions: ['s3:PutObject'],
        resource: expect.stringMatching(/^<import:slipway-.*-storage:.*ModelStore.*Arn.*>\/datasets\/\*$/),
        condition: { Null: { 's3:if-none-match': 'false' } },
      },
      {
        actions: ['s3:ListBucket'],
        resource: expect.stringMatching(/^<import:slipway-.*-storage:.*ModelStore.*Arn.*>$/),
      },
    ]);
    // Only the inline policy: no managed policies, no policies attached elsewhere.
    expect(document.ManagedPolicyArns).toBeUndefined();
    t.resourceCountIs('AWS::IAM::Policy', 0);

    // The deploy role: the stage's GitHub environment only, and only the CDK bootstrap roles.
    const deployRole = props(Object.entries(roles).find(([id]) => id.startsWith('DeployRole'))?.[1] ?? {});
    expect(JSON.stringify(deployRole.AssumeRolePolicyDocument)).toContain(
      JSON.stringify(
        (config.github.deploySubjects ?? [`environment:${stage}`]).map(
          (s) => `repo:${config.repository}:${s}`,
        ),
      ),
    );
    const deployStatements = (
      deployRole.Policies as { PolicyDocument: { Statement: { Action: unknown; Resource: unknown[] }[] } }[]
    ).flatMap((p) => p.PolicyDocument.Statement);
    expect(deployStatements).toHaveLength(1);
    expect(deployStatements[0]?.Action).toEqual(['sts:AssumeRole', 'sts:TagSession']);
    expect(deployStatements[0]?.Resource.map(render)).toEqual(
      ['deploy', 'file-publishing', 'image-publishing', 'lookup'].map(
        (kind) =>
          `arn:<AWS::Partition>:iam::<AWS::AccountId>:role/cdk-hnb659fds-${kind}-role-<AWS::AccountId>-<AWS::Region>`,
      ),
    );
    expect(Object.keys(t.toJSON().Outputs)).toEqual(
      expect.arrayContaining(['GitHubRoleArn', 'GitHubDeployRoleArn']),
    );
  });
});

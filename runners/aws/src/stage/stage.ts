import { STACK_OUTPUTS, type StackOutputName } from '@slipway/contracts';
import type { AwsClients } from './clients.js';
import { AwsStageError } from './errors.js';

/** Which deployment a command talks to. */
export interface AwsStageOptions {
  /** Default `dev`. */
  readonly stage?: string;
  /** Default: the SDK's (AWS_REGION, profile). */
  readonly region?: string;
  /** Default `slipway-<stage>-pipeline`. */
  readonly stack?: string;
}

/** A resolved stage: its stack's outputs, read once per command. */
export interface AwsStage {
  readonly stage: string;
  readonly stackName: string;
  readonly region: string | undefined;
  readonly outputs: Readonly<Partial<Record<StackOutputName, string>>>;
  /** An output the command cannot do without. */
  need(name: StackOutputName): string;
  /** `LogGroupNames`, split. */
  logGroupNames(): string[];
}

/**
 * Reads the stage's stack outputs (CloudFormation DescribeStacks), failing with how to deploy it when the
 * stack is missing.
 * @example const stage = await resolveAwsStage({ stage: 'dev' }, clients);
 */
export async function resolveAwsStage(
  options: AwsStageOptions,
  clients: Pick<AwsClients, 'cloudformation'>,
): Promise<AwsStage> {
  const stage = options.stage ?? 'dev';
  if (!/^[a-z][a-z0-9-]{0,20}$/.test(stage)) {
    throw new AwsStageError(
      `invalid stage ${JSON.stringify(stage)}: use lowercase letters, digits and dashes (e.g. dev, prod)`,
    );
  }
  const stackName = options.stack ?? `slipway-${stage}-pipeline`;
  const where = options.region === undefined ? '' : ` in ${options.region}`;
  const deploy = `deploy it with \`npx cdk deploy -c stage=${stage}\`, or pick another with --stage/--stack/--region`;
  const { DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  let stacks: { StackStatus?: string; Outputs?: { OutputKey?: string; OutputValue?: string }[] }[];
  try {
    stacks =
      (await clients.cloudformation.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks ?? [];
  } catch (error) {
    const err = error as Error;
    if (err.name === 'ValidationError' && /does not exist/.test(err.message)) {
      throw new AwsStageError(`the stack ${stackName} does not exist${where}: ${deploy}`, { cause: error });
    }
    if (err.name === 'CredentialsProviderError' || err.name === 'ExpiredTokenException') {
      throw new AwsStageError(
        `no usable AWS credentials (${err.message}): sign in (aws sso login, AWS_PROFILE, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) and retry`,
        { cause: error },
      );
    }
    throw new AwsStageError(`cannot read the stack ${stackName}${where} (${err.name}: ${err.message})`, {
      cause: error,
    });
  }
  const stack = stacks[0];
  if (stack === undefined)
    throw new AwsStageError(`the stack ${stackName} does not exist${where}: ${deploy}`);
  if (stack.StackStatus?.endsWith('_FAILED') || stack.StackStatus === 'ROLLBACK_COMPLETE') {
    throw new AwsStageError(
      `the stack ${stackName} is in ${stack.StackStatus}: fix the deployment, then ${deploy}`,
    );
  }
  const outputs: Partial<Record<StackOutputName, string>> = {};
  for (const output of stack.Outputs ?? []) {
    const key = output.OutputKey as StackOutputName | undefined;
    if (key !== undefined && (STACK_OUTPUTS as readonly string[]).includes(key) && output.OutputValue) {
      outputs[key] = output.OutputValue;
    }
  }
  return {
    stage,
    stackName,
    region: options.region,
    outputs,
    need(name) {
      const value = outputs[name];
      if (value === undefined) {
        throw new AwsStageError(
          `the stack ${stackName} has no ${name} output: it was deployed by an older version; ${deploy.replace('deploy it', 'redeploy it')}`,
        );
      }
      return value;
    },
    logGroupNames() {
      return (outputs.LogGroupNames ?? '')
        .split(',')
        .map((name) => name.trim())
        .filter((name) => name !== '');
    },
  };
}

import { GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { StepConfigError } from '@slipway/steps';
import { describe, expect, it } from 'vitest';
import { awsError, FakeAws } from '../../../../test-helpers/aws-fake-client.js';
import {
  readApprovalLinksConfig,
  readApprovalNotifyConfig,
  readImageDeployConfig,
} from '../../src/config.js';
import { type EcrApi, ecrAuthorization } from '../../src/ecr.js';
import { RegistryError } from '../../src/errors.js';
import { formatImageReference, parseImageReference } from '../../src/oci/reference.js';
import { readSigningSecret, type SecretsApi } from '../../src/secret.js';

const ECR = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const promoteEnv = {
  INFERENCE_FUNCTION_NAME: 'slipway-dev-inference',
  INFERENCE_BASE_IMAGE_URI: `${ECR}/slipway-inference:base`,
  MODEL_IMAGE_REPOSITORY_URI: `${ECR}/slipway-models`,
};

describe('image references', () => {
  it('parse tags, digests and ports, and format back', () => {
    const digest = `sha256:${'0'.repeat(64)}`;
    expect(parseImageReference(`${ECR}/slipway-inference:base`)).toEqual({
      registry: ECR,
      repository: 'slipway-inference',
      reference: 'base',
    });
    expect(parseImageReference(`127.0.0.1:5000/team/models@${digest}`)).toEqual({
      registry: '127.0.0.1:5000',
      repository: 'team/models',
      reference: digest,
    });
    expect(parseImageReference('localhost:5000/models').reference).toBe('latest');
    expect(formatImageReference(parseImageReference(`${ECR}/m@${digest}`))).toBe(`${ECR}/m@${digest}`);
    expect(() => parseImageReference('slipway-inference:base')).toThrow(RegistryError);
    expect(() => parseImageReference(`${ECR}/Upper`)).toThrow('invalid repository name "Upper"');
  });
});

describe('readImageDeployConfig', () => {
  it('is null without INFERENCE_FUNCTION_NAME (the endpoint follows the alias itself)', () => {
    expect(readImageDeployConfig({ STORE_URI: 's3://b/p' })).toBeNull();
  });

  it('reads the image settings with their defaults', () => {
    expect(readImageDeployConfig(promoteEnv)).toEqual({
      functionName: 'slipway-dev-inference',
      alias: 'live',
      baseImage: { registry: ECR, repository: 'slipway-inference', reference: 'base' },
      repository: { registry: ECR, repository: 'slipway-models' },
      canary: null,
    });
    expect(
      readImageDeployConfig({
        ...promoteEnv,
        INFERENCE_ALIAS: 'blue',
        CANARY_ALARM_NAME: 'errors',
        CANARY_SECONDS: '120',
      }),
    ).toMatchObject({ alias: 'blue', canary: { alarmName: 'errors', seconds: 120 } });
    expect(readImageDeployConfig({ ...promoteEnv, CANARY_ALARM_NAME: 'errors' })?.canary).toEqual({
      alarmName: 'errors',
      seconds: 300,
    });
  });

  it('fails naming the variable', () => {
    const { INFERENCE_BASE_IMAGE_URI: _, ...noBase } = promoteEnv;
    expect(() => readImageDeployConfig(noBase)).toThrow(
      new StepConfigError(
        'INFERENCE_BASE_IMAGE_URI is not set: set it to the inference base image, e.g. <account>.dkr.ecr.<region>.amazonaws.com/slipway-inference:base',
      ),
    );
    expect(() => readImageDeployConfig({ ...promoteEnv, CANARY_SECONDS: '900' })).toThrow(
      /^CANARY_SECONDS must be an integer from 1 to 840/,
    );
    expect(() =>
      readImageDeployConfig({ ...promoteEnv, MODEL_IMAGE_REPOSITORY_URI: `${ECR}/slipway-models:v1` }),
    ).toThrow('MODEL_IMAGE_REPOSITORY_URI must name a repository without tag or digest');
    expect(() =>
      readImageDeployConfig({
        ...promoteEnv,
        MODEL_IMAGE_REPOSITORY_URI: '999999999999.dkr.ecr.us-east-1.amazonaws.com/m',
      }),
    ).toThrow('must be on the same registry');
    expect(() =>
      readImageDeployConfig({ ...promoteEnv, INFERENCE_BASE_IMAGE_URI: 'inference:base' }),
    ).toThrow(/^INFERENCE_BASE_IMAGE_URI: image reference "inference:base" names no registry host/);
  });
});

describe('approval configuration', () => {
  const env = {
    APPROVAL_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:approvals',
    APPROVAL_LINKS_URL: 'https://abc.lambda-url.eu-west-1.on.aws/',
    APPROVAL_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:links',
  };
  it('reads the notifier settings; null without a topic', () => {
    expect(readApprovalNotifyConfig({})).toBeNull();
    expect(readApprovalNotifyConfig(env)).toEqual({
      topicArn: env.APPROVAL_TOPIC_ARN,
      linksUrl: env.APPROVAL_LINKS_URL,
      secretArn: env.APPROVAL_SECRET_ARN,
      linkTtlSeconds: 86_400,
    });
    expect(() => readApprovalNotifyConfig({ ...env, APPROVAL_SECRET_ARN: '' })).toThrow(
      'APPROVAL_SECRET_ARN is not set',
    );
    expect(() => readApprovalNotifyConfig({ ...env, APPROVAL_LINKS_URL: 'links' })).toThrow(
      'APPROVAL_LINKS_URL must be an http(s) URL',
    );
  });
  it('reads the links function settings', () => {
    expect(readApprovalLinksConfig({ STORE_URI: 's3://b/p', APPROVAL_SECRET_ARN: 'arn:s' })).toEqual({
      storeUri: 's3://b/p',
      secretArn: 'arn:s',
    });
    expect(() => readApprovalLinksConfig({ APPROVAL_SECRET_ARN: 'arn:s' })).toThrow('STORE_URI is not set');
  });
});

describe('ecrAuthorization', () => {
  it('asks ECR once and reuses the token until five minutes before it expires', async () => {
    let now = 0;
    const ecr = new FakeAws().on(GetAuthorizationTokenCommand, (_: unknown, n: number) => ({
      authorizationData: [{ authorizationToken: `QVdTOnBhc3N3b3Jk${n}`, expiresAt: new Date(3_600_000) }],
    }));
    const auth = ecrAuthorization(ecr.client<EcrApi>(), () => now);
    expect(await Promise.all([auth(), auth()])).toEqual([
      'Basic QVdTOnBhc3N3b3Jk1',
      'Basic QVdTOnBhc3N3b3Jk1',
    ]);
    now = 3_300_000;
    expect(await auth()).toBe('Basic QVdTOnBhc3N3b3Jk2');
    expect(ecr.calls).toHaveLength(2);
  });

  it('names the missing permission', async () => {
    const ecr = new FakeAws().on(
      GetAuthorizationTokenCommand,
      awsError('AccessDeniedException', 'not authorized'),
    );
    await expect(ecrAuthorization(ecr.client<EcrApi>())()).rejects.toThrow(
      'ECR GetAuthorizationToken failed (AccessDeniedException: not authorized); the promote role needs ecr:GetAuthorizationToken',
    );
  });
});

describe('readSigningSecret', () => {
  it('returns a long enough SecretString and refuses a short one', async () => {
    const secrets = new FakeAws().on(
      GetSecretValueCommand,
      { SecretString: 's'.repeat(32) },
      { SecretString: 'short' },
    );
    expect(await readSigningSecret(secrets.client<SecretsApi>(), 'arn:secret')).toBe('s'.repeat(32));
    await expect(readSigningSecret(secrets.client<SecretsApi>(), 'arn:secret')).rejects.toThrow(
      'the approval secret arn:secret must be a SecretString of at least 32 characters',
    );
    expect(secrets.inputs(GetSecretValueCommand)[0]).toEqual({ SecretId: 'arn:secret' });
  });
});

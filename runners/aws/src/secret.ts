import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { StepConfigError } from '@slipway/steps';

/** The slice of a Secrets Manager client reading a secret needs. */
export type SecretsApi = Pick<SecretsManagerClient, 'send'>;

/**
 * Reads the approval link signing secret (a SecretString of at least 32 characters, as a generated
 * secret is). Read once per container: rotating it invalidates links already sent.
 * @example const secret = await readSigningSecret(new SecretsManagerClient({}), process.env.APPROVAL_SECRET_ARN)
 */
export async function readSigningSecret(secrets: SecretsApi, secretId: string): Promise<string> {
  const { GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  let value: string | undefined;
  try {
    value = (await secrets.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString;
  } catch (error) {
    throw new StepConfigError(
      `cannot read the approval secret ${secretId} (${(error as Error).name}: ${(error as Error).message}); ` +
        'the function needs secretsmanager:GetSecretValue on it (and kms:Decrypt on its key)',
      { cause: error },
    );
  }
  if (value === undefined || value.length < 32) {
    throw new StepConfigError(
      `the approval secret ${secretId} must be a SecretString of at least 32 characters; generate one (e.g. Secret with generateSecretString)`,
    );
  }
  return value;
}

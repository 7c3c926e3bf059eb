import type { ECRClient } from '@aws-sdk/client-ecr';
import { RegistryError } from './errors.js';

/** The slice of an ECR client the registry authorization needs. */
export type EcrApi = Pick<ECRClient, 'send'>;

/**
 * The `Authorization` header for ECR's registry API: `Basic <token>` from GetAuthorizationToken (the
 * token is already base64 of `AWS:<password>`), fetched once and reused until five minutes before it
 * expires (tokens last 12 hours).
 * @example new RegistryClient({ registry, authorization: ecrAuthorization(new ECRClient({})) })
 */
export function ecrAuthorization(
  ecr: EcrApi,
  now: () => number = Date.now,
  who = 'the promote role',
): () => Promise<string> {
  let cached: { header: string; until: number } | undefined;
  let pending: Promise<string> | undefined;
  return async () => {
    if (cached !== undefined && now() < cached.until) return cached.header;
    pending ??= (async () => {
      try {
        const { GetAuthorizationTokenCommand } = await import('@aws-sdk/client-ecr');
        const { authorizationData } = await ecr.send(new GetAuthorizationTokenCommand({}));
        const data = authorizationData?.[0];
        if (!data?.authorizationToken) {
          throw new RegistryError(
            'ECR GetAuthorizationToken returned no token; retry, or check the ECR service health',
          );
        }
        const expires = data.expiresAt?.getTime() ?? now() + 3_600_000;
        cached = { header: `Basic ${data.authorizationToken}`, until: expires - 300_000 };
        return cached.header;
      } catch (error) {
        if (error instanceof RegistryError) throw error;
        throw new RegistryError(
          `ECR GetAuthorizationToken failed (${(error as Error).name}: ${(error as Error).message}); ` +
            `${who} needs ecr:GetAuthorizationToken`,
          null,
          { cause: error },
        );
      } finally {
        pending = undefined;
      }
    })();
    return pending;
  };
}

import { RegistryError } from '../errors.js';

/** An image reference split into registry host, repository and tag or digest. */
export interface ImageReference {
  /** `123456789012.dkr.ecr.eu-west-1.amazonaws.com` or `127.0.0.1:5000`. */
  readonly registry: string;
  readonly repository: string;
  /** A tag or a `sha256:` digest. */
  readonly reference: string;
}

const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

/**
 * Parses `host/repo[:tag|@sha256:…]` (the form ECR and Lambda use; the registry host is required).
 * A repository URI without tag or digest gets `defaultReference`.
 * @example parseImageReference('123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipway-inference:base')
 */
export function parseImageReference(uri: string, defaultReference = 'latest'): ImageReference {
  const slash = uri.indexOf('/');
  const registry = slash === -1 ? '' : uri.slice(0, slash);
  if (registry === '' || !/[.:]|^localhost$/.test(registry)) {
    throw new RegistryError(
      `image reference ${JSON.stringify(uri)} names no registry host: use <host>/<repository>[:tag|@sha256:digest], ` +
        'e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipway-inference:base',
    );
  }
  let rest = uri.slice(slash + 1);
  let reference = defaultReference;
  const at = rest.indexOf('@');
  if (at !== -1) {
    reference = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(reference)) {
      throw new RegistryError(
        `image reference ${JSON.stringify(uri)} has a malformed digest: expected sha256:<64 hex>`,
      );
    }
  } else {
    const colon = rest.lastIndexOf(':');
    if (colon !== -1) {
      reference = rest.slice(colon + 1);
      rest = rest.slice(0, colon);
      if (!TAG.test(reference)) {
        throw new RegistryError(
          `image reference ${JSON.stringify(uri)} has a malformed tag ${JSON.stringify(reference)}`,
        );
      }
    }
  }
  if (!REPOSITORY.test(rest)) {
    throw new RegistryError(
      `image reference ${JSON.stringify(uri)} has an invalid repository name ${JSON.stringify(rest)}: ` +
        'use lowercase letters, digits and separators (".", "_", "-", "/")',
    );
  }
  return { registry, repository: rest, reference };
}

/** Formats a reference back: `host/repo@sha256:…` for digests, `host/repo:tag` for tags. */
export function formatImageReference(ref: ImageReference): string {
  const sep = DIGEST.test(ref.reference) ? '@' : ':';
  return `${ref.registry}/${ref.repository}${sep}${ref.reference}`;
}

/** Whether a string is a `sha256:` digest. */
export function isDigest(reference: string): boolean {
  return DIGEST.test(reference);
}

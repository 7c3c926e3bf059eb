import { createHmac, timingSafeEqual } from 'node:crypto';

/** What an approval link carries: which execution, which decision, until when, and the request's nonce. */
export interface LinkClaims {
  readonly executionId: string;
  readonly decision: 'approve' | 'reject';
  /** Unix time in seconds after which the link is refused. */
  readonly expiresAt: number;
  /** The approval request's nonce: ties the link to one request and makes it single use. */
  readonly nonce: string;
}

/** A link token's check: its claims, or why it is refused. */
export type LinkCheck =
  | { readonly ok: true; readonly claims: LinkClaims }
  | {
      readonly ok: false;
      readonly problem: 'malformed' | 'signature' | 'expired';
      readonly claims?: LinkClaims;
    };

const VERSION = 1;

function mac(payload: string, secret: string): Buffer {
  return createHmac('sha256', secret).update(`slipway.approval-link.v${VERSION}\n${payload}`).digest();
}

/**
 * Signs an approval link token: `<payload>.<HMAC-SHA256>`, both base64url; the payload holds the
 * execution, decision, expiry and nonce (no task token: that stays in the store).
 * @example signLinkToken({ executionId, decision: 'approve', expiresAt, nonce }, secret)
 */
export function signLinkToken(claims: LinkClaims, secret: string): string {
  const payload = Buffer.from(
    JSON.stringify([VERSION, claims.executionId, claims.decision, claims.expiresAt, claims.nonce]),
  ).toString('base64url');
  return `${payload}.${mac(payload, secret).toString('base64url')}`;
}

/** Checks a link token's signature (in constant time) and expiry. */
export function verifyLinkToken(token: string, secret: string, nowMs: number = Date.now()): LinkCheck {
  const dot = token.indexOf('.');
  if (dot <= 0 || token.length > 2048) return { ok: false, problem: 'malformed' };
  const payload = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1), 'base64url');
  const expected = mac(payload, secret);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, problem: 'signature' };
  }
  let claims: LinkClaims;
  try {
    const [version, executionId, decision, expiresAt, nonce] = JSON.parse(
      Buffer.from(payload, 'base64url').toString('utf8'),
    ) as unknown[];
    if (
      version !== VERSION ||
      typeof executionId !== 'string' ||
      (decision !== 'approve' && decision !== 'reject') ||
      typeof expiresAt !== 'number' ||
      typeof nonce !== 'string' ||
      !/^[0-9a-f]{32}$/.test(nonce)
    ) {
      return { ok: false, problem: 'malformed' };
    }
    claims = { executionId, decision, expiresAt, nonce };
  } catch {
    return { ok: false, problem: 'malformed' };
  }
  if (nowMs >= claims.expiresAt * 1000) return { ok: false, problem: 'expired', claims };
  return { ok: true, claims };
}

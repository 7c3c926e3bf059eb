import type { ModelStore } from '@slipway/model-store';
import { readApprovalRequest } from '@slipway/steps';
import { type LinkClaims, verifyLinkToken } from '../approval/link-token.js';
import {
  readApprovalToken,
  readDecision,
  type SettleOutcome,
  type SfnApi,
  settleApproval,
} from '../approval/settle.js';
import { escapeHtml, page } from './page.js';

/** The parts of a Lambda Function URL event (payload 2.0) the links function reads. */
export interface FunctionUrlEvent {
  readonly requestContext?: { readonly http?: { readonly method?: string } };
  readonly queryStringParameters?: Readonly<Record<string, string | undefined>> | null;
  readonly headers?: Readonly<Record<string, string | undefined>> | null;
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
}

/** A Function URL response. */
export interface FunctionUrlResult {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** What the links function needs. */
export interface ApprovalLinksDeps {
  readonly store: ModelStore;
  readonly sfn: SfnApi;
  /** The link signing secret (the Approval function signs with the same one). */
  readonly secret: string;
  readonly now?: () => Date;
  /** Failures worth an operator's look (never with the token); default none. */
  readonly log?: (message: string, detail: Record<string, unknown>) => void;
}

const MAX_BODY = 8 * 1024;
const MAX_NAME = 100;
const MAX_NOTE = 1000;

const HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  // The URL carries the link token: never pass it on to another site.
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-robots-tag': 'noindex, nofollow',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
};

const respond = (statusCode: number, title: string, html: string, extra: Record<string, string> = {}) => ({
  statusCode,
  headers: { ...HEADERS, ...extra },
  body: page(title, html),
});

const REFUSED = {
  malformed: [
    400,
    'This link is not valid',
    'The link is damaged or incomplete. Open it again from the message, or use the CLI command it lists.',
  ],
  signature: [
    403,
    'This link is not valid',
    'The link was not signed by this deployment. Open it again from the message, or use the CLI command it lists.',
  ],
  expired: [
    410,
    'This link has expired',
    'Approval links work for a limited time. Decide with the CLI command from the message (<code>slipway approve --aws …</code>) or in the Step Functions console.',
  ],
  'not-requested': [404, 'No approval request', 'No approval request was found for this execution.'],
  stale: [
    410,
    'This link is out of date',
    'The execution asked for approval again since this link was sent; use the newest message.',
  ],
} as const;

/**
 * The approval links function (Lambda Function URL). GET shows a confirmation page and changes nothing,
 * so a link preview that fetches the URL cannot decide; POST (the page's button) verifies the link
 * again and settles the Approval task once.
 * @example export const handler = createApprovalLinksHandler({ store, sfn: new SFNClient({}), secret });
 */
export function createApprovalLinksHandler(
  deps: ApprovalLinksDeps,
): (event: FunctionUrlEvent) => Promise<FunctionUrlResult> {
  const now = deps.now ?? (() => new Date());
  const log = deps.log ?? (() => {});

  return async (event) => {
    const method = event.requestContext?.http?.method?.toUpperCase() ?? 'GET';
    try {
      if (method === 'GET' || method === 'HEAD') {
        return await confirm(event.queryStringParameters?.t ?? '');
      }
      if (method === 'POST') return await decide(event);
      return respond(405, 'Method not allowed', '<p>Open the link from the approval message.</p>', {
        allow: 'GET, POST',
      });
    } catch (error) {
      log('approval link failed', { error: (error as Error).name, message: (error as Error).message });
      return respond(
        500,
        'Nothing was decided',
        `<p>The decision could not be recorded: ${escapeHtml((error as Error).message)}</p><p>Try again in a minute, or use the CLI command from the message.</p>`,
      );
    }
  };

  function check(token: string): { claims: LinkClaims } | { refused: FunctionUrlResult } {
    const result = verifyLinkToken(token, deps.secret, now().getTime());
    if (result.ok) return { claims: result.claims };
    const [status, title, text] = REFUSED[result.problem];
    return { refused: respond(status, title, `<p>${text}</p>`) };
  }

  async function confirm(token: string): Promise<FunctionUrlResult> {
    const checked = check(token);
    if ('refused' in checked) return checked.refused;
    const { claims } = checked;
    const record = await readApprovalToken(deps.store, claims.executionId);
    if (record === undefined) return outcome({ status: 'not-requested' }, claims);
    if (record.nonce !== claims.nonce) return outcome({ status: 'stale' }, claims);
    const decided = await readDecision(deps.store, claims.executionId, claims.nonce);
    if (decided !== undefined) return outcome({ status: 'already-decided', marker: decided }, claims);
    const request = await readApprovalRequest(deps.store, claims.executionId);
    const approve = claims.decision === 'approve';
    const what = request ? `${request.model} v${request.version}` : 'the candidate';
    const figures = request
      ? `<table><tr><th></th><th>accuracy</th><th>macro-F1</th></tr>
<tr><td>candidate v${request.version}</td><td>${pct(request.candidate.accuracy)}</td><td>${pct(request.candidate.macroF1)}</td></tr>
${request.production ? `<tr><td>production v${request.production.version}</td><td>${pct(request.production.accuracy)}</td><td>${pct(request.production.macroF1)}</td></tr>` : '<tr><td>production</td><td colspan="2">none yet</td></tr>'}
</table><p>${escapeHtml(request.summary)}</p>`
      : '';
    return respond(
      200,
      `${approve ? 'Approve' : 'Reject'} ${what}?`,
      `<p>Execution <code>${escapeHtml(claims.executionId)}</code></p>
${figures}
<form method="post">
<input type="hidden" name="t" value="${escapeHtml(token)}">
<label>Your name <input name="by" required maxlength="${MAX_NAME}" autocomplete="name"></label>
<label>${approve ? 'Comment (optional)' : 'Reason'} <textarea name="note" maxlength="${MAX_NOTE}"${approve ? '' : ' required'}></textarea></label>
<button type="submit" class="${approve ? 'approve' : 'reject'}">${approve ? 'Approve' : 'Reject'} ${escapeHtml(what)}</button>
</form>`,
    );
  }

  async function decide(event: FunctionUrlEvent): Promise<FunctionUrlResult> {
    const raw = event.body ?? '';
    const body = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
    if (body.length > MAX_BODY)
      return respond(413, 'Request too large', '<p>The form is larger than expected.</p>');
    const form = new URLSearchParams(body);
    const checked = check(form.get('t') ?? '');
    if ('refused' in checked) return checked.refused;
    const { claims } = checked;
    const by = (form.get('by') ?? '').trim().slice(0, MAX_NAME);
    const note = (form.get('note') ?? '').trim().slice(0, MAX_NOTE);
    if (by === '') {
      return respond(
        400,
        'Your name is needed',
        '<p>Go back and enter your name: it is recorded with the decision.</p>',
      );
    }
    const decision =
      claims.decision === 'approve'
        ? { decision: 'approve' as const, by, comment: note }
        : { decision: 'reject' as const, by, reason: note };
    const result = await settleApproval({
      store: deps.store,
      sfn: deps.sfn,
      executionId: claims.executionId,
      decision,
      nonce: claims.nonce,
      via: 'link',
      now: now(),
    });
    return outcome(result, claims);
  }
}

function outcome(result: SettleOutcome, claims: LinkClaims): FunctionUrlResult {
  const execution = `<p>Execution <code>${escapeHtml(claims.executionId)}</code></p>`;
  switch (result.status) {
    case 'settled':
      return result.decision === 'approve'
        ? respond(
            200,
            'Approved',
            `${execution}<p>Approved by ${escapeHtml(result.output.approvedBy)}. The pipeline goes on to promote the candidate.</p>`,
          )
        : respond(
            200,
            'Rejected',
            `${execution}<p>Rejected: ${escapeHtml(result.cause)}. The execution ends in Rejected.</p>`,
          );
    case 'already-decided': {
      const { marker } = result;
      return respond(
        409,
        'Already decided',
        `${execution}<p>This request was already ${marker.decision === 'approve' ? 'approved' : 'rejected'} by ${escapeHtml(marker.by)} at ${escapeHtml(marker.at)}.</p>`,
      );
    }
    case 'closed':
      return respond(
        410,
        'No longer waiting',
        `${execution}<p>The execution no longer waits for approval (it timed out, stopped or was decided elsewhere).</p>`,
      );
    default: {
      const [status, title, text] = REFUSED[result.status];
      return respond(status, title, `${execution}<p>${text}</p>`);
    }
  }
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

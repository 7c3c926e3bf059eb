import type { SNSClient } from '@aws-sdk/client-sns';
import type { ModelStore } from '@slipway/model-store';
import {
  type ApprovalEvent,
  type ApprovalNotice,
  approvalEventSchema,
  createApprovalHandler,
} from '@slipway/steps';
import { signLinkToken } from './link-token.js';
import { type ApprovalTokenRecord, recordApprovalToken } from './settle.js';

/** The slice of an SNS client the notifier needs. */
export type SnsApi = Pick<SNSClient, 'send'>;

/** What the AWS Approval function needs. */
export interface AwsApprovalDeps {
  readonly store: ModelStore;
  readonly sns: SnsApi;
  readonly topicArn: string;
  /** The approval links function's URL (a Function URL). */
  readonly linksUrl: string;
  /** The link signing secret (from Secrets Manager). */
  readonly secret: string;
  /** How long links work. Default 86 400 s (24 h). */
  readonly linkTtlSeconds?: number;
  readonly now?: () => Date;
}

/** The CLI commands that decide an AWS execution (by execution name). */
export function awsApprovalCommands(executionId: string): { approve: string; reject: string } {
  const name = executionName(executionId);
  return {
    approve: `slipway approve --aws ${name}`,
    reject: `slipway reject --aws ${name} --reason "<why>"`,
  };
}

/** The execution's name: the last part of its ARN (or the id itself). */
export function executionName(executionId: string): string {
  return /^arn:aws[\w-]*:states:/.test(executionId)
    ? (executionId.split(':').at(-1) ?? executionId)
    : executionId;
}

/** The Step Functions console page of an execution ARN; undefined for anything else. */
export function executionConsoleUrl(executionId: string): string | undefined {
  const match = /^arn:(aws[\w-]*):states:([a-z0-9-]+):\d{12}:execution:[^:]+:[^:]+$/.exec(executionId);
  if (match === null) return undefined;
  const region = match[2] as string;
  const domain = match[1] === 'aws-cn' ? 'console.amazonaws.cn' : 'console.aws.amazon.com';
  return `https://${region}.${domain}/states/home?region=${region}#/v2/executions/details/${executionId}`;
}

/** The approve and reject links of a request. */
export function approvalLinks(
  record: ApprovalTokenRecord,
  options: { linksUrl: string; secret: string; expiresAt: number },
): { approve: string; reject: string } {
  const link = (decision: 'approve' | 'reject') => {
    const url = new URL(options.linksUrl);
    url.searchParams.set(
      't',
      signLinkToken(
        { executionId: record.executionId, decision, expiresAt: options.expiresAt, nonce: record.nonce },
        options.secret,
      ),
    );
    return url.href;
  };
  return { approve: link('approve'), reject: link('reject') };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** The approvers' message: what to decide, the figures, the links and the commands. */
export function approvalMessage(
  notice: ApprovalNotice,
  event: ApprovalEvent,
  links: { approve: string; reject: string },
  expiresAt: Date,
): { subject: string; message: string } {
  const { candidate, production } = event.evaluation;
  const pr = String(event.git.pullRequest);
  const subject =
    `Approve ${notice.model} v${notice.version} for production? (${executionName(notice.executionId)})`
      .replace(/[^\x20-\x7e]/g, '?')
      .slice(0, 100);
  const lines = [
    `${notice.model} v${notice.version} waits for approval before it replaces production.`,
    '',
    `Gate: ${notice.summary}`,
    `Candidate v${notice.version}: accuracy ${pct(candidate.accuracy)}, macro-F1 ${pct(candidate.macroF1)}`,
    production === null
      ? 'Production: none yet (this would be the first)'
      : `Production v${production.version}: accuracy ${pct(production.accuracy)}, macro-F1 ${pct(production.macroF1)}`,
    ...Object.entries(candidate.perClassF1).map(([cls, f1]) => `  F1 ${cls}: ${pct(f1)}`),
    `Source: ${pr === '' ? '' : `pull request #${pr}, `}commit ${event.git.commit === '' ? 'unknown' : event.git.commit.slice(0, 12)}`,
    '',
    `Approve: ${links.approve}`,
    `Reject:  ${links.reject}`,
    `Each link opens a confirmation page; they work once and expire at ${expiresAt.toISOString()}.`,
    '',
    'Or from a terminal with access to the account:',
    `  ${notice.approveCommand} [--comment "..."]`,
    `  ${notice.rejectCommand}`,
    ...(notice.consoleUrl === undefined ? [] : ['', `Execution: ${notice.consoleUrl}`]),
  ];
  return { subject, message: `${lines.join('\n')}\n` };
}

/**
 * The Approval function on AWS: keeps the task token in the store (for the links function and the CLI),
 * records the request as the local step does, and publishes the approvers' message with signed,
 * expiring, single-use approve/reject links to the SNS topic.
 * @example createAwsApprovalHandler({ store, sns: new SNSClient({}), topicArn, linksUrl, secret })
 */
export function createAwsApprovalHandler(
  deps: AwsApprovalDeps,
): (event: unknown) => Promise<{ notified: true }> {
  const now = deps.now ?? (() => new Date());
  const ttl = deps.linkTtlSeconds ?? 86_400;
  return async (event) => {
    const parsed = approvalEventSchema.safeParse(event);
    // A malformed event goes to the step itself, which names every problem without echoing the token.
    if (!parsed.success) return createApprovalHandler({ store: deps.store, notify: () => {} })(event);
    const input = parsed.data;
    const record = await recordApprovalToken(deps.store, {
      executionId: input.executionId,
      taskToken: input.taskToken,
      now: now(),
    });
    const expiresAt = Math.floor(Date.parse(record.createdAt) / 1000) + ttl;
    const links = approvalLinks(record, { linksUrl: deps.linksUrl, secret: deps.secret, expiresAt });
    const { PublishCommand } = await import('@aws-sdk/client-sns');
    const consoleUrl = executionConsoleUrl(input.executionId);
    return createApprovalHandler({
      store: deps.store,
      commands: awsApprovalCommands,
      ...(consoleUrl === undefined ? {} : { consoleUrl: () => consoleUrl }),
      now,
      notify: async (notice) => {
        const { subject, message } = approvalMessage(notice, input, links, new Date(expiresAt * 1000));
        await deps.sns.send(
          new PublishCommand({ TopicArn: deps.topicArn, Subject: subject, Message: message }),
        );
      },
    })(input);
  };
}

/**
 * A decision on an execution's Approval task, as every decider records it: the local runtime's token
 * registry (`slipway approve`/`reject`, the console, `--approve-if-better`) and, on AWS, `settleApproval`
 * (the CLI's `--aws`, the console's AWS view, the e-mailed links). One create-only record per approval
 * request at {@link executionLayout}`.decision(request)` in the execution's area: the write that wins is
 * the decision, and whoever reads who decided and why (RecordRejection, the console, the CLI) reads these
 * fields, never the text Step Functions carries as a rejection's cause.
 *
 * @example { decision: 'reject', by: 'carol', reason: 'worse on refunds', at: '2026-12-06T10:00:00.000Z', via: 'console' }
 */
export type ApprovalDecisionRecord =
  | {
      readonly decision: 'approve';
      readonly by: string;
      readonly comment: string;
      /** ISO 8601. */
      readonly at: string;
      /** Where it was made, when the decider says: `cli`, `console`, `link`. */
      readonly via?: string;
    }
  | {
      readonly decision: 'reject';
      readonly by: string;
      readonly reason: string;
      readonly at: string;
      readonly via?: string;
    };

/**
 * A decision record read back from the store, or undefined for anything that is not one (a foreign
 * file, a record cut short).
 */
export function asDecisionRecord(value: unknown): ApprovalDecisionRecord | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const r = value as Record<string, unknown>;
  if (typeof r.by !== 'string' || typeof r.at !== 'string') return undefined;
  const via = typeof r.via === 'string' ? { via: r.via } : {};
  if (r.decision === 'approve' && typeof r.comment === 'string')
    return { decision: 'approve', by: r.by, comment: r.comment, at: r.at, ...via };
  if (r.decision === 'reject' && typeof r.reason === 'string')
    return { decision: 'reject', by: r.by, reason: r.reason, at: r.at, ...via };
  return undefined;
}

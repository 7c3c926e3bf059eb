import type { CompactEvaluation, EvaluationReport } from '@slipway/lambdas';
import type { ExecutionProgress } from './executions.js';

/** The hidden marker the PR workflow finds its comment by (first line of the comment). */
export const PR_COMMENT_MARKER = '<!-- slipway-evaluation -->';

/** What the PR comment is rendered from. */
export interface PrCommentInput {
  readonly model: string;
  readonly executionName: string;
  readonly executionArn: string;
  readonly stage: string;
  readonly progress: ExecutionProgress;
  /** The full report from the store, when it could be read (adds production's per-class F1). */
  readonly report?: EvaluationReport | null;
  readonly commit?: string;
}

const pct = (x: number | undefined) => (x === undefined ? '—' : `${(x * 100).toFixed(1)}%`);

/** Link to an execution in the Step Functions console. */
export function consoleLink(arn: string): string {
  const region = arn.split(':')[3] ?? '';
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${arn}`;
}

function headline(input: PrCommentInput): string {
  const { progress, model } = input;
  const version = progress.version === null ? 'the candidate' : `${model} v${progress.version}`;
  if (progress.waitingForApproval) return `${version} passed the gate and waits for approval`;
  if (progress.status === 'SUCCEEDED') return `${version} was approved and promoted to production`;
  if (progress.status === 'RUNNING') return `the execution is running (at ${progress.state ?? '?'})`;
  if (progress.error === 'GateFailed') return `the candidate did not pass the gate`;
  if (progress.error === 'Rejected') return `${version} was rejected`;
  return `the execution ended ${progress.status}${progress.error ? ` in ${progress.error}` : ''}`;
}

function table(
  evaluation: CompactEvaluation,
  report: EvaluationReport | null | undefined,
  version: number | null,
): string[] {
  const production = evaluation.production;
  const candidateLabel = version === null ? 'candidate' : `candidate v${version}`;
  const productionLabel = production === null ? 'production (none)' : `production v${production.version}`;
  const productionPerClass = report?.production?.metrics.perClass;
  const classes = Object.keys(evaluation.candidate.perClassF1).sort();
  return [
    `| | ${candidateLabel} | ${productionLabel} |`,
    '|---|---:|---:|',
    `| accuracy | ${pct(evaluation.candidate.accuracy)} | ${pct(production?.accuracy)} |`,
    `| macro-F1 | ${pct(evaluation.candidate.macroF1)} | ${pct(production?.macroF1)} |`,
    ...classes.map(
      (cls) =>
        `| F1 \`${cls.replace(/[|`]/g, '')}\` | ${pct(evaluation.candidate.perClassF1[cls])} | ${pct(productionPerClass && Object.hasOwn(productionPerClass, cls) ? productionPerClass[cls]?.f1 : undefined)} |`,
    ),
  ];
}

/**
 * The pull request comment: headline, evaluation table (candidate vs production, per-class F1), the
 * gate's verdict and how to approve or reject. Starts with the marker so the workflow edits one comment.
 */
export function renderPrComment(input: PrCommentInput): string {
  const { progress, executionName, stage } = input;
  const stageFlag = stage === 'dev' ? '' : ` --stage ${stage}`;
  const lines = [
    PR_COMMENT_MARKER,
    `### slipway: ${headline(input)}`,
    '',
    `Execution [\`${executionName}\`](${consoleLink(input.executionArn)}) on stage \`${stage}\`` +
      `${input.commit ? ` for commit ${input.commit.slice(0, 12)}` : ''}: **${progress.waitingForApproval ? 'WAITING FOR APPROVAL' : progress.status}**`,
    '',
  ];
  const evaluation = progress.evaluation;
  if (evaluation !== null) {
    lines.push(...table(evaluation, input.report, progress.version), '');
    lines.push(
      `Gate: **${evaluation.verdict.passed ? 'passed' : 'failed'}**: ${evaluation.verdict.summary}`,
      '',
    );
  } else {
    lines.push('No evaluation yet.', '');
  }
  if (progress.status !== 'RUNNING' && progress.error !== null) {
    lines.push(
      `Ended in \`${progress.error}\`${progress.cause ? `: ${progress.cause.slice(0, 500)}` : ''}`,
      '',
    );
  }
  if (progress.waitingForApproval) {
    lines.push(
      '**To approve**, with AWS credentials for the account:',
      '```sh',
      `slipway approve --aws ${executionName}${stageFlag} --comment "<why>"`,
      '```',
      '**To reject**:',
      '```sh',
      `slipway reject --aws ${executionName}${stageFlag} --reason "<why>"`,
      '```',
      `Approvers subscribed to the approval topic also got one-click links by email. The execution is in the [Step Functions console](${consoleLink(input.executionArn)}).`,
      '',
    );
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

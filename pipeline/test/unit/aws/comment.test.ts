import type { EvaluationReport } from '@slipway/lambdas';
import { describe, expect, it } from 'vitest';
import { renderPrComment } from '../../../src/aws/comment.js';
import type { ExecutionProgress } from '../../../src/aws/executions.js';
import { evaluation, executionArnOf } from '../../helpers/aws/sfn.js';

const progress = (over: Partial<ExecutionProgress>): ExecutionProgress => ({
  status: 'RUNNING',
  state: 'Approval',
  waitingForApproval: true,
  evaluation,
  version: 4,
  error: null,
  cause: null,
  exited: [],
  startDate: null,
  stopDate: null,
  ...over,
});

const ARN = executionArnOf('sentiment-20250301t120000-abc123');
const CONSOLE = `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${ARN}`;

describe('the pull request comment', () => {
  it('waiting for approval: marker first, the table with per-class F1 of both models, how to approve', () => {
    const report = {
      production: { metrics: { perClass: { negative: { f1: 0.821 }, positive: { f1: 0.843 } } } },
    } as unknown as EvaluationReport;
    const text = renderPrComment({
      model: 'sentiment',
      executionName: 'sentiment-20250301t120000-abc123',
      executionArn: ARN,
      stage: 'dev',
      progress: progress({}),
      report,
      commit: '0123456789abcdef0123',
    });
    expect(text).toBe(
      [
        '<!-- slipway-evaluation -->',
        '### slipway: sentiment v4 passed the gate and waits for approval',
        '',
        `Execution [\`sentiment-20250301t120000-abc123\`](${CONSOLE}) on stage \`dev\` for commit 0123456789ab: **WAITING FOR APPROVAL**`,
        '',
        '| | candidate v4 | production v3 |',
        '|---|---:|---:|',
        '| accuracy | 84.2% | 83.3% |',
        '| macro-F1 | 84.1% | 83.2% |',
        '| F1 `negative` | 83.0% | 82.1% |',
        '| F1 `positive` | 85.2% | 84.3% |',
        '',
        'Gate: **passed**: candidate accuracy 0.842 ≥ 0.600: passed',
        '',
        '**To approve**, with AWS credentials for the account:',
        '```sh',
        'slipway approve --aws sentiment-20250301t120000-abc123 --comment "<why>"',
        '```',
        '**To reject**:',
        '```sh',
        'slipway reject --aws sentiment-20250301t120000-abc123 --reason "<why>"',
        '```',
        `Approvers subscribed to the approval topic also got one-click links by email. The execution is in the [Step Functions console](${CONSOLE}).`,
        '',
      ].join('\n'),
    );
  });

  it('gate-fails on another stage: compact figures only, the failure, no approval instructions', () => {
    const text = renderPrComment({
      model: 'sentiment',
      executionName: 'e1',
      executionArn: ARN,
      stage: 'prod',
      progress: progress({
        status: 'FAILED',
        state: null,
        waitingForApproval: false,
        version: null,
        error: 'GateFailed',
        cause: 'candidate accuracy 0.410 < 0.600: failed',
        evaluation: { ...evaluation, verdict: { ...evaluation.verdict, passed: false } },
      }),
    });
    expect(text.split('\n').slice(0, 4)).toEqual([
      '<!-- slipway-evaluation -->',
      '### slipway: the candidate did not pass the gate',
      '',
      `Execution [\`e1\`](${CONSOLE}) on stage \`prod\`: **FAILED**`,
    ]);
    expect(text).toContain('| F1 `negative` | 83.0% | — |');
    expect(text).toContain('Ended in `GateFailed`: candidate accuracy 0.410 < 0.600: failed');
    expect(text).not.toContain('slipway approve');
  });
});

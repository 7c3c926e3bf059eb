import type { EvaluationReport } from '@slipway/lambdas';
import { describe, expect, it } from 'vitest';
import { mermaidTrend, renderPrComment } from '../../../src/aws/comment.js';
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

/**
 * Checks a block against Mermaid's xychart grammar (mermaid-js/mermaid
 * packages/mermaid/src/diagrams/xychart/parser/xychart.jison): the `xychart-beta` keyword, then
 * `title text`, `x-axis [text, …]`, `y-axis text NUM --> NUM`, `line text [NUM, …]`, where a quoted
 * text holds no double quote and a number is `[+-]?(\d+(\.\d+)?|\.\d+)`. Returns what is wrong.
 */
function xychartProblems(block: string[]): string[] {
  const text = '"[^"\n]*"';
  const num = '[+-]?(?:\\d+(?:\\.\\d+)?|\\.\\d+)';
  const list = (item: string) => `\\[${item}(?:, ${item})*\\]`;
  const rules = [
    new RegExp(`^title ${text}$`),
    new RegExp(`^x-axis ${list(text)}$`),
    new RegExp(`^y-axis ${text} ${num} --> ${num}$`),
    new RegExp(`^line ${text} ${list(num)}$`),
  ];
  const problems: string[] = [];
  if (block[0] !== '```mermaid' || block.at(-1) !== '```') problems.push('not a mermaid code block');
  const body = block.slice(1, -1).map((l) => l.trim());
  if (body[0] !== 'xychart-beta') problems.push(`starts with ${body[0]}`);
  for (const line of body.slice(1))
    if (!rules.some((r) => r.test(line))) problems.push(`bad statement: ${line}`);
  const bands = (body.find((l) => l.startsWith('x-axis')) ?? '').match(/"[^"]*"/g)?.length ?? 0;
  for (const line of body.filter((l) => l.startsWith('line')))
    if ((line.match(/\[(.*)\]/)?.[1]?.split(', ').length ?? 0) !== bands)
      problems.push(`${line} has not ${bands} values`);
  return problems;
}

describe('the trend chart in the comment', () => {
  it('charts the latest versions and the candidate, production and rejections named, as xychart-beta', () => {
    const block = mermaidTrend(
      [
        { version: 1, accuracy: 0.8333, macroF1: 0.8331, production: true, rejected: false },
        { version: 2, accuracy: 0.79, macroF1: 0.7, production: false, rejected: true },
        { version: 3, accuracy: 0.86, macroF1: 0.85, production: false, rejected: false },
      ],
      { version: 3, accuracy: 0.86, macroF1: 0.85 },
    );
    expect(block).toEqual([
      '```mermaid',
      'xychart-beta',
      '  title "Accuracy and macro-F1 (%) by version"',
      '  x-axis ["v1 production", "v2 rejected", "v3 candidate"]',
      '  y-axis "%" 60 --> 100',
      '  line "accuracy" [83.3, 79.0, 86.0]',
      '  line "macro-F1" [83.3, 70.0, 85.0]',
      '```',
    ]);
    expect(xychartProblems(block)).toEqual([]);
  });

  it('a candidate that never registered (gate failed) is the last point; no history still charts it', () => {
    const block = mermaidTrend([], { version: null, accuracy: 1, macroF1: 0.999 });
    expect(block[3]).toBe('  x-axis ["candidate"]');
    expect(block[4]).toBe('  y-axis "%" 90 --> 100');
    expect(xychartProblems(block)).toEqual([]);
    // The validator is not a rubber stamp: an unquoted label with a space, or a count mismatch, fails.
    expect(
      xychartProblems([...block.slice(0, 3), '  x-axis [v1 production]', ...block.slice(4)]),
    ).not.toEqual([]);
    expect(
      xychartProblems([...block.slice(0, 5), '  line "accuracy" [1, 2]', ...block.slice(6)]),
    ).not.toEqual([]);
  });

  it('is in the comment, under the gate', () => {
    const text = renderPrComment({
      model: 'sentiment',
      executionName: 'sentiment-20250301t120000-abc123',
      executionArn: ARN,
      stage: 'dev',
      progress: progress({}),
      history: [{ version: 3, accuracy: 0.833, macroF1: 0.832, production: true, rejected: false }],
    });
    expect(text).toContain(
      'Gate: **passed**: candidate accuracy 0.842 ≥ 0.600: passed\n\n<details open><summary>Trend',
    );
    expect(text).toContain('  x-axis ["v3 production", "v4 candidate"]\n');
  });
});

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

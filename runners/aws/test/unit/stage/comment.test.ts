import type { EvaluationReport } from '@slipway/steps';
import { describe, expect, it } from 'vitest';
import { evaluation, executionArnOf } from '../../../../../test-helpers/sfn-history.js';
import { mermaidTrend, renderPrComment } from '../../../src/stage/comment.js';
import type { ExecutionProgress } from '../../../src/stage/executions.js';

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
        'Trained from commit `0123456789abcdef0123`; the training image is not recorded.',
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

  it('names the commit and the image that trained the candidate: its lineage in the report, else what was started', () => {
    const commit = '0123456789abcdef0123456789abcdef01234567';
    const image = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipway-dev/training@sha256:${'a'.repeat(64)}`;
    const other = image.replace('a'.repeat(64), 'b'.repeat(64));
    const base = {
      model: 'sentiment',
      executionName: 'sentiment-20250301t120000-abc123',
      executionArn: ARN,
      stage: 'dev',
      progress: progress({}),
      commit,
      trainingImage: image,
    };
    const report = (candidate: Record<string, unknown>) =>
      ({ candidate: { metrics: {}, ...candidate }, production: null }) as unknown as EvaluationReport;
    const trained = (text: string) => text.split('\n').filter((l) => /^Trained|Warning/.test(l));

    // Before the report is readable: what the execution was started with.
    expect(trained(renderPrComment({ ...base, report: null }))).toEqual([
      `Trained from commit \`${commit}\` in image \`${image}\` (the execution input).`,
    ]);
    // The report's lineage is what ran.
    expect(
      trained(renderPrComment({ ...base, report: report({ gitCommit: commit, trainingImage: image }) })),
    ).toEqual([`Trained from commit \`${commit}\` in image \`${image}\` (the candidate's lineage).`]);
    // Another image or commit than the start asked for is said plainly.
    expect(
      trained(
        renderPrComment({ ...base, report: report({ gitCommit: 'f'.repeat(40), trainingImage: other }) }),
      ),
    ).toEqual([
      `Trained from commit \`${'f'.repeat(40)}\` in image \`${other}\` (the candidate's lineage).`,
      `**Warning**: the candidate's lineage names image \`${other}\`, not the \`${image}\` it was started with and commit \`${'f'.repeat(40)}\`, not ${commit}; these figures are not this pull request's code.`,
    ]);
    // An older report without lineage fields, and a start without commit: the image alone.
    expect(trained(renderPrComment({ ...base, commit: '', report: report({}) }))).toEqual([
      `Trained in image \`${image}\` (the execution input); the commit is not recorded.`,
    ]);
    expect(trained(renderPrComment({ ...base, commit: '', trainingImage: undefined }))).toEqual([]);
  });

  it('says whether the candidate was verified (slipway verify): never, or the latest outcome', () => {
    const base = {
      model: 'sentiment',
      executionName: 'sentiment-20250301t120000-abc123',
      executionArn: ARN,
      stage: 'prod',
      progress: progress({}),
    };
    expect(renderPrComment({ ...base, verification: null })).toContain(
      'Gate: **passed**: candidate accuracy 0.842 ≥ 0.600: passed\n\nRebuild: **not verified**: `slipway verify --aws sentiment 4 --stage prod` rebuilds it from its lineage and compares the bytes.\n',
    );
    const verification = {
      model: 'sentiment',
      version: 4,
      id: '20250301120500000-0a1b2c3d',
      outcome: 'reproducible',
      by: 'ci',
      at: '2025-03-01T12:05:00.000Z',
      where: 'aws',
      trainer: { type: 'builtin', version: '0.1.0' },
      environment: { node: '22.11.0', onnxruntime: '1.30.0', platform: 'linux-x64', image: null },
      registeredSha256: 'a'.repeat(64),
      rebuiltSha256: 'a'.repeat(64),
      differences: [],
      predictions: null,
      summary: `the rebuild's model.onnx has the registered sha256 ${'a'.repeat(64)}`,
    } as const;
    expect(renderPrComment({ ...base, verification })).toContain(
      `Rebuild: **verified, rebuilds bit for bit** (slipway verify, 2025-03-01T12:05:00.000Z by ci, aws): the rebuild's model.onnx has the registered sha256 ${'a'.repeat(64)}\n`,
    );
    // Without the verification read at all (older callers), the comment says nothing about it.
    expect(renderPrComment(base)).not.toContain('Rebuild:');
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

/**
 * A full report for `names`: candidate F1 0.70 for every class but the moved ones, production 0.70 minus
 * a small, class-dependent step; `moved` sets a class's candidate F1 outright. One large confusion.
 */
function manyClassReport(names: string[], moved: Record<string, number> = {}): EvaluationReport {
  const perClass = (f1: (name: string, i: number) => number) =>
    Object.fromEntries(
      names.map((n, i) => [n, { precision: f1(n, i), recall: f1(n, i), f1: f1(n, i), support: 20 }]),
    );
  const confusion = (big: number) =>
    names.map((_, i) =>
      names.map((__, j) => (i === j ? 14 : i === 5 && j === 6 ? big : j === (i + 1) % names.length ? 1 : 0)),
    );
  const candidate = { classes: names, perClass: perClass((n) => moved[n] ?? 0.7), confusion: confusion(9) };
  const production = {
    classes: names,
    perClass: perClass((_, i) => 0.7 - (i % 5) / 100),
    confusion: confusion(4),
  };
  return {
    candidate: { metrics: candidate },
    production: { version: 3, metrics: production },
  } as unknown as EvaluationReport;
}

const compactOf = (report: EvaluationReport) => ({
  ...evaluation,
  candidate: {
    accuracy: 0.61,
    macroF1: 0.6,
    perClassF1: Object.fromEntries(
      Object.entries(report.candidate.metrics.perClass).map(([n, m]) => [n, (m as { f1: number }).f1]),
    ),
  },
});

const commentFor = (report: EvaluationReport) =>
  renderPrComment({
    model: 'tickets',
    executionName: 'e43',
    executionArn: ARN,
    stage: 'dev',
    progress: progress({ evaluation: compactOf(report) }),
    report,
  });

describe('the pull request comment with many classes', () => {
  const names = (count: number, prefix = 'topic') =>
    Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(3, '0')}`);

  it('43 classes: the ten that changed most first, the top confusions, the other 33 folded in <details>', () => {
    const classes = names(43);
    const text = commentFor(manyClassReport(classes, { 'topic-017': 0.95, 'topic-030': 0.4 }));
    const lines = text.split('\n');
    const at = lines.indexOf('| F1 by class | candidate v4 | production v3 | change (points) |');
    expect(lines[at - 2]).toBe('**43 classes**; the 10 that changed most against production first:');
    // topic-030 fell 30 points, topic-017 rose 25 (production 0.70 - 0.02 = 0.68 → 0.95 is +27).
    expect(lines.slice(at + 2, at + 4)).toEqual([
      '| `topic-030` | 40.0% | 70.0% | −30.0 |',
      '| `topic-017` | 95.0% | 68.0% | +27.0 |',
    ]);
    const mainRows = lines.slice(at + 2, lines.indexOf('', at));
    expect(mainRows).toHaveLength(10);
    expect(text).toContain(
      'Top confusions (actual → predicted, test rows of the candidate):\n\n- `topic-005` → `topic-006`: 9 of 23 (39.1%); production 4\n',
    );
    expect(lines.filter((l) => l.startsWith('- `'))).toHaveLength(5);
    const details = text.slice(
      text.indexOf('<details><summary>The other 33 classes</summary>'),
      text.indexOf('</details>'),
    );
    expect(details.split('\n').filter((l) => l.startsWith('| `'))).toHaveLength(33);
    // Every class exactly once in a table row, none cut.
    for (const name of classes) expect(lines.filter((l) => l.startsWith(`| \`${name}\` |`))).toHaveLength(1);
  });

  it('2 classes: every class in the one table, no fold', () => {
    const text = commentFor(manyClassReport(['negative', 'positive']));
    expect(text).toContain('| F1 `negative` | 70.0% | 70.0% |\n| F1 `positive` | 70.0% | 69.0% |\n');
    expect(text).not.toContain('<details>');
    expect(text).not.toContain('Top confusions');
  });

  it('200 classes with long names stay under GitHub’s 65,536 characters with every class listed; 1,000 are cut with a note', () => {
    const long = names(
      200,
      'billing-and-payment-question-about-an-invoice-that-was-sent-twice-to-the-customer',
    );
    const text = commentFor(manyClassReport(long));
    expect(text.length).toBeLessThan(65_536);
    expect(text).toContain('<details><summary>The other 190 classes</summary>');
    expect(text.split('\n').filter((l) => l.startsWith('| `'))).toHaveLength(200);
    expect(text).not.toContain('more: `slipway executions show`');

    const huge = commentFor(manyClassReport(names(1000, long[0] as string)));
    expect(huge.length).toBeLessThan(65_536);
    expect(huge).toMatch(/… and \d+ more: `slipway executions show` or the console lists every class\./);
  });
});

import { FAIL_STATES, PRODUCTION_ALIAS } from '@slipway/contracts';
import type { ModelStore, VerificationRecord } from '@slipway/model-store';
import { type CompactEvaluation, classChanges, type EvaluationReport, topConfusions } from '@slipway/steps';
import type { ExecutionProgress } from './executions.js';

/** One registered version in the trend the comment charts. */
export interface TrendPoint {
  readonly version: number;
  readonly accuracy: number;
  readonly macroF1: number;
  /** Production points at it now. */
  readonly production: boolean;
  /** People rejected it at approval. */
  readonly rejected: boolean;
}

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
  /** The image the execution was started with (`<registry>/<repository>@sha256:…`). */
  readonly trainingImage?: string;
  /** The model's latest versions, oldest first, for the trend chart. */
  readonly history?: readonly TrendPoint[];
  /** The candidate's latest `slipway verify`, null when it was never verified (see {@link readLatestVerification}). */
  readonly verification?: VerificationRecord | null;
}

/** The latest verification of a version (`slipway verify`), null when there is none. */
export async function readLatestVerification(
  store: ModelStore,
  model: string,
  version: number,
): Promise<VerificationRecord | null> {
  return (await store.listVerifications(model, version)).at(-1) ?? null;
}

/** One line on whether the candidate rebuilds bit for bit from its lineage. */
function verificationLine(input: PrCommentInput, version: number, stageFlag: string): string {
  const v = input.verification;
  if (!v) {
    return `Rebuild: **not verified**: \`slipway verify --aws ${input.model} ${version}${stageFlag}\` rebuilds it from its lineage and compares the bytes.`;
  }
  const what = v.outcome === 'reproducible' ? 'verified, rebuilds bit for bit' : v.outcome;
  return `Rebuild: **${what}** (slipway verify, ${v.at} by ${v.by}, ${v.where}): ${v.summary.slice(0, 400)}`;
}

/**
 * The latest `limit` versions of a model with their figures, production and rejections, oldest first.
 * Rejections are the registry's records (the RecordRejection state writes them, on AWS as locally).
 */
export async function readVersionTrend(store: ModelStore, model: string, limit = 10): Promise<TrendPoint[]> {
  const [page, aliases, rejections] = await Promise.all([
    store.listVersions(model, { limit, cursor: null }),
    store.listAliases(model).catch(() => []),
    store.listRejections(model).catch(() => new Map<number, unknown>()),
  ]);
  const production = aliases.find((a) => a.alias === PRODUCTION_ALIAS)?.version;
  const points = page.versions.map((v): TrendPoint | null => {
    const m = v.manifest?.metrics;
    if (!m || typeof m.accuracy !== 'number' || typeof m.macroF1 !== 'number') return null;
    return {
      version: v.version,
      accuracy: m.accuracy,
      macroF1: m.macroF1,
      production: v.version === production,
      rejected: rejections.has(v.version),
    };
  });
  return points.filter((p): p is TrendPoint => p !== null).reverse();
}

const percent = (x: number) => (Math.round(x * 1000) / 10).toFixed(1);
/** Text Mermaid's grammar accepts inside "…": no double quote, no newline. */
const quoted = (text: string) => `"${text.replace(/["\n\r]/g, ' ')}"`;

/**
 * The trend as a Mermaid `xychart-beta` block GitHub renders: accuracy and macro-F1 (percent) of the
 * latest versions and the candidate, each labelled with what it is (production, rejected, candidate).
 * Grammar: mermaid-js/mermaid packages/mermaid/src/diagrams/xychart/parser/xychart.jison.
 */
export function mermaidTrend(
  history: readonly TrendPoint[],
  candidate: { readonly version: number | null; readonly accuracy: number; readonly macroF1: number },
): string[] {
  const points = history.filter((p) => p.version !== candidate.version);
  const labels = [
    ...points.map((p) => `v${p.version}${p.production ? ' production' : p.rejected ? ' rejected' : ''}`),
    candidate.version === null ? 'candidate' : `v${candidate.version} candidate`,
  ];
  const accuracy = [...points.map((p) => p.accuracy), candidate.accuracy];
  const macroF1 = [...points.map((p) => p.macroF1), candidate.macroF1];
  const lowest = Math.min(...accuracy, ...macroF1);
  // The axis starts under the lowest figure, at a multiple of 10 points, so changes are visible.
  const floor = Math.max(0, Math.floor((lowest * 100 - 2) / 10) * 10);
  return [
    '```mermaid',
    'xychart-beta',
    `  title ${quoted('Accuracy and macro-F1 (%) by version')}`,
    `  x-axis [${labels.map(quoted).join(', ')}]`,
    `  y-axis ${quoted('%')} ${floor} --> 100`,
    `  line ${quoted('accuracy')} [${accuracy.map(percent).join(', ')}]`,
    `  line ${quoted('macro-F1')} [${macroF1.map(percent).join(', ')}]`,
    '```',
  ];
}

/**
 * What trained the candidate: the commit and image its lineage names, from the evaluation report (what
 * actually ran), else what the execution was started with. A report that names another image or commit
 * than the start asked for is said plainly: the figures above are that code's.
 */
function trainedByLines(input: PrCommentInput): string[] {
  const candidate = input.report?.candidate;
  const image = candidate?.trainingImage ?? input.trainingImage ?? null;
  const commit = candidate?.gitCommit || input.commit || null;
  if (image === null && commit === null) return [];
  const from = candidate?.trainingImage ? "the candidate's lineage" : 'the execution input';
  const lines = [
    image === null
      ? `Trained from commit \`${commit}\`; the training image is not recorded.`
      : commit === null
        ? `Trained in image \`${image}\` (${from}); the commit is not recorded.`
        : `Trained from commit \`${commit}\` in image \`${image}\` (${from}).`,
  ];
  const mismatches = [
    candidate?.trainingImage && input.trainingImage && candidate.trainingImage !== input.trainingImage
      ? `image \`${candidate.trainingImage}\`, not the \`${input.trainingImage}\` it was started with`
      : null,
    candidate?.gitCommit && input.commit && candidate.gitCommit !== input.commit
      ? `commit \`${candidate.gitCommit}\`, not ${input.commit}`
      : null,
  ].filter((m): m is string => m !== null);
  if (mismatches.length > 0) {
    lines.push(
      '',
      `**Warning**: the candidate's lineage names ${mismatches.join(' and ')}; these figures are not this pull request's code.`,
    );
  }
  return [...lines, ''];
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
  if (progress.error === FAIL_STATES.EvaluationFailedGate.error) return `the candidate did not pass the gate`;
  if (progress.error === FAIL_STATES.Rejected.error) return `${version} was rejected`;
  return `the execution ended ${progress.status}${progress.error ? ` in ${progress.error}` : ''}`;
}

/** Up to this many classes, the table lists every class by name; above it, the review layout. */
const ALL_CLASSES_UP_TO = 12;
/** Classes in the main table above {@link ALL_CLASSES_UP_TO}: those that changed most. */
const TOP_CLASSES = 10;
const TOP_CONFUSIONS = 5;
/** GitHub refuses a comment body over 65,536 characters; this leaves room for the rest of the comment. */
const CLASS_TEXT_BUDGET = 50_000;

/** A class name as Markdown code, without what breaks a table cell, cut at 60 characters. */
const className = (cls: string) => {
  const clean = cls.replace(/[|`\n\r]/g, '');
  return `\`${clean.length > 60 ? `${clean.slice(0, 59)}…` : clean}\``;
};
const delta = (d: number | null) =>
  d === null ? '—' : `${d > 0 ? '+' : d < 0 ? '−' : '±'}${(Math.abs(d) * 100).toFixed(1)}`;

/** One class's F1 for the candidate and production, and the change, whatever the report holds. */
interface ClassRow {
  readonly cls: string;
  readonly candidate: number | undefined;
  readonly production: number | undefined;
  readonly delta: number | null;
}

/**
 * Classes ordered for review: with the full report, by how much F1 moved against production (the
 * terminal prompt's and the console's order); with the compact figures only, the weakest first.
 */
function classRows(evaluation: CompactEvaluation, report: EvaluationReport | null | undefined): ClassRow[] {
  const productionPerClass = report?.production?.metrics.perClass;
  const productionF1 = (cls: string) =>
    productionPerClass && Object.hasOwn(productionPerClass, cls) ? productionPerClass[cls]?.f1 : undefined;
  if (report?.candidate?.metrics?.perClass && report.candidate.metrics.classes) {
    return classChanges(report).map((c) => ({
      cls: c.class,
      candidate: c.candidate.f1,
      production: c.production?.f1,
      delta: c.deltaF1,
    }));
  }
  return Object.entries(evaluation.candidate.perClassF1)
    .map(([cls, f1]) => {
      const production = productionF1(cls);
      return { cls, candidate: f1, production, delta: production === undefined ? null : f1 - production };
    })
    .sort((a, b) => (a.candidate ?? 0) - (b.candidate ?? 0) || a.cls.localeCompare(b.cls));
}

function table(
  evaluation: CompactEvaluation,
  report: EvaluationReport | null | undefined,
  version: number | null,
): string[] {
  const production = evaluation.production;
  const candidateLabel = version === null ? 'candidate' : `candidate v${version}`;
  const productionLabel = production === null ? 'production (none)' : `production v${production.version}`;
  const head = [
    `| | ${candidateLabel} | ${productionLabel} |`,
    '|---|---:|---:|',
    `| accuracy | ${pct(evaluation.candidate.accuracy)} | ${pct(production?.accuracy)} |`,
    `| macro-F1 | ${pct(evaluation.candidate.macroF1)} | ${pct(production?.macroF1)} |`,
  ];
  const rows = classRows(evaluation, report);
  if (rows.length <= ALL_CLASSES_UP_TO) {
    return [
      ...head,
      ...[...rows]
        .sort((a, b) => a.cls.localeCompare(b.cls))
        .map((r) => `| F1 ${className(r.cls)} | ${pct(r.candidate)} | ${pct(r.production)} |`),
    ];
  }
  // Many classes: the ones that changed most, the top confusions, the rest folded away.
  const row = (r: ClassRow) =>
    `| ${className(r.cls)} | ${pct(r.candidate)} | ${pct(r.production)} | ${delta(r.delta)} |`;
  const classHead = [
    `| F1 by class | ${candidateLabel} | ${productionLabel} | change (points) |`,
    '|---|---:|---:|---:|',
  ];
  const top = rows.slice(0, TOP_CLASSES);
  const rest = rows.slice(TOP_CLASSES);
  const byChange = Boolean(report?.candidate?.metrics?.perClass);
  const lines = [
    ...head,
    '',
    `**${rows.length} classes**; the ${top.length} that ${byChange ? 'changed most against production' : 'score lowest'} first:`,
    '',
    ...classHead,
    ...top.map(row),
  ];
  const metrics = report?.candidate?.metrics;
  if (metrics?.confusion && metrics.classes) {
    const confusions = topConfusions(metrics, TOP_CONFUSIONS, report?.production?.metrics);
    if (confusions.length > 0) {
      lines.push(
        '',
        'Top confusions (actual → predicted, test rows of the candidate):',
        '',
        ...confusions.map(
          (c) =>
            `- ${className(c.actual)} → ${className(c.predicted)}: ${c.count} of ${c.support} (${pct(c.rate)})` +
            `${c.productionCount === null ? '' : `; production ${c.productionCount}`}`,
        ),
      );
    }
  }
  let budget = CLASS_TEXT_BUDGET - lines.join('\n').length;
  const folded: string[] = [];
  for (const r of rest) {
    const text = row(r);
    if (budget - text.length - 1 < 0) break;
    budget -= text.length + 1;
    folded.push(text);
  }
  const left = rest.length - folded.length;
  lines.push(
    '',
    `<details><summary>The other ${rest.length} classes</summary>`,
    '',
    ...classHead,
    ...folded,
    ...(left > 0
      ? ['', `… and ${left} more: \`slipway executions show\` or the console lists every class.`]
      : []),
    '',
    '</details>',
  );
  return lines;
}

/**
 * The pull request comment when nothing was started: the training image (or the stage) was refused
 * before the execution, so the pull request says why instead of keeping an older evaluation.
 * @example renderRefusedComment({ stage: 'dev', commit, reason: error.message })
 */
export function renderRefusedComment(input: {
  readonly stage: string;
  readonly commit?: string;
  readonly reason: string;
}): string {
  return [
    PR_COMMENT_MARKER,
    '### slipway: nothing was trained for this pull request',
    '',
    `\`slipway start --aws\` on stage \`${input.stage}\`${input.commit ? ` for commit ${input.commit.slice(0, 12)}` : ''} refused before starting an execution:`,
    '',
    '```text',
    input.reason.replace(/```/g, "'''").slice(0, 4000),
    '```',
    '',
  ].join('\n');
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
    ...trainedByLines(input),
  ];
  const evaluation = progress.evaluation;
  if (evaluation !== null) {
    lines.push(...table(evaluation, input.report, progress.version), '');
    lines.push(
      `Gate: **${evaluation.verdict.passed ? 'passed' : 'failed'}**: ${evaluation.verdict.summary}`,
      '',
    );
    if (progress.version !== null && input.verification !== undefined) {
      lines.push(verificationLine(input, progress.version, stageFlag), '');
    }
    if (input.history !== undefined) {
      lines.push(
        '<details open><summary>Trend: accuracy (first line) and macro-F1 (second) of the latest versions and this candidate</summary>',
        '',
        ...mermaidTrend(input.history, {
          version: progress.version,
          accuracy: evaluation.candidate.accuracy,
          macroF1: evaluation.candidate.macroF1,
        }),
        '',
        '</details>',
        '',
      );
    }
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

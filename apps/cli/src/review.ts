import type { LineageComparison, LineageRow } from '@slipway/model-store';
import { type EvaluationReport, reviewReport } from '@slipway/steps';

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const points = (d: number) =>
  Math.abs(d) < 0.0005 ? 'same' : `${d < 0 ? '−' : '+'}${Math.abs(d * 100).toFixed(1)} pt`;

/** Cuts a name longer than `width` in the middle, so both its start and its end stay readable. */
function fitName(name: string, width: number): string {
  if (name.length <= width) return name;
  const head = Math.ceil((width - 1) / 2);
  return `${name.slice(0, head)}…${name.slice(name.length - (width - 1 - head))}`;
}

/** `C 10 -> 20`, `dataset sentiment e9457954 -> reviews 1b57a2eb`: one changed fact. */
export function describeChange(row: LineageRow): string {
  return `${row.label} ${row.production ?? '(none)'} -> ${row.candidate ?? '(none)'}`;
}

/** The hyperparameters of a comparison as `name=value` pairs. */
function hyperparameters(comparison: LineageComparison): string {
  return comparison.rows
    .filter((r) => r.key.startsWith('hp.') && r.candidate !== null)
    .map((r) => `${r.label}=${r.candidate}`)
    .join(' ');
}

/** Lines of `width` characters at most, words kept whole. */
function wrap(textValue: string, width: number, indent: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of textValue.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines.map((l, i) => (i === 0 ? l : `${indent}${l}`));
}

/** Where the candidate came from and how it differs from production, in a few lines. */
function lineageLines(comparison: LineageComparison, indent = '    '): string[] {
  const get = (key: string) => comparison.rows.find((r) => r.key === key);
  const lines = [
    `${indent}dataset      ${get('dataset')?.candidate ?? '-'}`,
    `${indent}commit       ${get('commit')?.candidate ?? '-'}${get('pullRequest')?.candidate ? `  pull request ${get('pullRequest')?.candidate}` : ''}`,
    `${indent}hyperparams  ${wrap(hyperparameters(comparison) || '-', 76, `${indent}             `).join('\n')}`,
  ];
  if (comparison.productionVersion === null) lines.push(`${indent}(no production model to compare with)`);
  else if (comparison.changed.length === 0)
    lines.push(
      `${indent}same dataset, commit and hyperparameters as production v${comparison.productionVersion}`,
    );
  else {
    lines.push(`${indent}changed from production v${comparison.productionVersion}:`);
    for (const row of comparison.changed) lines.push(`${indent}  ${describeChange(row)}`);
  }
  return lines;
}

/** How many classes the prompt lists one by one before it summarizes. */
const CLASS_LINES = 6;
const CONFUSION_LINES = 3;
const NAME_WIDTH = 40;

/**
 * The approval prompt's summary of a report: headline figures side by side, where the candidate came
 * from and what changed, the classes that moved most, the top confusions and the gate. About 20 lines
 * whether the model has 2 classes or 200; the console's report page has everything.
 */
export function reviewLines(
  report: EvaluationReport,
  comparison: LineageComparison | null,
  reportUrl: string | null,
): string[] {
  const c = report.candidate.metrics;
  const p = report.production;
  const review = reviewReport(report, CONFUSION_LINES);
  const candidateHead = comparison?.candidateVersion
    ? `candidate v${comparison.candidateVersion}`
    : 'candidate';
  const productionHead = p ? `production v${p.version}` : 'production';
  const lines = [
    `    ${''.padEnd(12)} ${candidateHead.padStart(13)}  ${productionHead.padStart(13)}  change`,
    `    ${'accuracy'.padEnd(12)} ${pct(c.accuracy).padStart(13)}  ${(p ? pct(p.metrics.accuracy) : '(none)').padStart(13)}  ${p ? points(c.accuracy - p.metrics.accuracy) : ''}`.trimEnd(),
    `    ${'macro-F1'.padEnd(12)} ${pct(c.macroF1).padStart(13)}  ${(p ? pct(p.metrics.macroF1) : '(none)').padStart(13)}  ${p ? points(c.macroF1 - p.metrics.macroF1) : ''}`.trimEnd(),
  ];
  if (comparison) lines.push(...lineageLines(comparison));

  const total = review.classes.length;
  const shown = review.classes.slice(0, total <= CLASS_LINES + 2 ? total : CLASS_LINES);
  const width = Math.min(NAME_WIDTH, Math.max(...shown.map((x) => x.class.length), 5));
  lines.push(
    p
      ? `  ${total} classes: ${review.improved} better, ${review.worsened} worse, ${total - review.improved - review.worsened} unchanged${shown.length < total ? `; the ${shown.length} that moved most:` : ':'}`
      : `  ${total} classes${shown.length < total ? `; the ${shown.length} weakest:` : ':'}`,
  );
  for (const x of shown) {
    const f1 = `F1 ${pct(x.candidate.f1).padStart(6)}`;
    const before = x.production
      ? `  production ${pct(x.production.f1).padStart(6)}  ${x.deltaF1 === null ? '' : points(x.deltaF1)}`
      : '';
    lines.push(`    ${fitName(x.class, width).padEnd(width)}  ${f1}${before}  (${x.support} rows)`);
  }
  if (review.confusions.length > 0) {
    lines.push('  top confusions (true -> predicted):');
    for (const x of review.confusions) {
      const pair = `${fitName(x.actual, NAME_WIDTH)} -> ${fitName(x.predicted, NAME_WIDTH)}`;
      lines.push(
        `    ${pair}  ${x.count} of ${x.support} rows (${pct(x.rate)})${x.productionCount === null ? '' : `, production ${x.productionCount}`}`,
      );
    }
  }
  lines.push(`  gate ${report.verdict.passed ? 'passed' : 'failed'}: ${report.verdict.summary}`);
  if (reportUrl) lines.push(`  full report: ${reportUrl}`);
  return lines;
}

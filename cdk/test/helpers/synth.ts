import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import {
  APP_CONTEXT,
  addStage,
  applyNagChecks,
  readConfig,
  type SlipwayStage,
  type StageName,
  stageConfig,
} from '../../src/index.js';

/** One stage synthesized in-process, as `cdk synth -c stage=<stage>` would (no Docker, no credentials). */
export interface SynthesizedStage {
  readonly stage: StageName;
  readonly stacks: SlipwayStage;
  readonly assembly: CloudAssembly;
  readonly templates: Readonly<Record<keyof SlipwayStage, Template>>;
  /** Removes the cloud assembly folder. */
  dispose(): void;
}

/**
 * Synthesizes one stage from `cdk/stages.json` into a temporary folder, optionally with cdk-nag's packs.
 * About 5–10 s and 500 MB each on this machine: synthesize once per test file (beforeAll).
 */
export function synthStage(stage: StageName, options: { nag?: boolean } = {}): SynthesizedStage {
  const outdir = mkdtempSync(join(tmpdir(), `slipway-cdk-${stage}-`));
  const app = new App({ outdir, context: { ...APP_CONTEXT } });
  const stacks = addStage(app, stageConfig(readConfig(), stage));
  if (options.nag) applyNagChecks(app);
  const assembly = app.synth();
  const templates = Object.fromEntries(
    Object.entries(stacks).map(([part, stack]) => [part, Template.fromStack(stack)]),
  ) as Record<keyof SlipwayStage, Template>;
  return {
    stage,
    stacks,
    assembly,
    templates,
    dispose: () => rmSync(outdir, { recursive: true, force: true }),
  };
}

/** The state machine definition file the pipeline stack deploys, read from the cloud assembly. */
export function deployedDefinitionText(synth: SynthesizedStage): string {
  const stack = synth.stacks.pipeline;
  const machine = Object.values(
    synth.templates.pipeline.findResources('AWS::StepFunctions::StateMachine'),
  )[0];
  const key = (machine?.Properties as { DefinitionS3Location?: { Key?: string } } | undefined)
    ?.DefinitionS3Location?.Key;
  if (key === undefined)
    throw new Error('the state machine has no DefinitionS3Location: it must come from a file');
  const manifestPath = join(synth.assembly.directory, `${stack.artifactId}.assets.json`);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
    files: Record<string, { source: { path: string }; destinations: Record<string, { objectKey: string }> }>;
  };
  const file = Object.values(manifest.files).find((f) =>
    Object.values(f.destinations).some((d) => d.objectKey === key),
  );
  if (!file) throw new Error(`no file asset is published to ${key}`);
  return readFileSync(join(synth.assembly.directory, file.source.path), 'utf8');
}

/**
 * Renders a CloudFormation value as readable text: `{Ref: X}` → `<X>`, `{Fn::GetAtt: [X, Y]}` → `<X.Y>`,
 * `{Fn::ImportValue: N}` → `<import:N>`, joins joined. Two values render alike only if CloudFormation
 * would resolve them alike.
 */
export function render(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value && typeof value === 'object') {
    const [[fn, arg]] = Object.entries(value) as [[string, unknown]];
    if (fn === 'Ref') return `<${String(arg)}>`;
    if (fn === 'Fn::GetAtt') return `<${(arg as string[]).join('.')}>`;
    if (fn === 'Fn::ImportValue') return `<import:${render(arg)}>`;
    if (fn === 'Fn::Sub') return typeof arg === 'string' ? arg : render((arg as unknown[])[0]);
    if (fn === 'Fn::Select') {
      const [index, list] = arg as [number, unknown];
      return `select(${index}, ${render(list)})`;
    }
    if (fn === 'Fn::Split') {
      const [sep, source] = arg as [string, unknown];
      return `split(${sep}, ${render(source)})`;
    }
    if (fn === 'Fn::Join') {
      const [sep, parts] = arg as [string, unknown[]];
      return parts.map(render).join(sep);
    }
  }
  throw new Error(`cannot render ${JSON.stringify(value)}`);
}

/** The logical id of the only resource of `type` whose properties match `predicate`. */
export function logicalId(
  template: Template,
  type: string,
  predicate: (properties: Record<string, unknown>) => boolean,
): string {
  const ids = Object.entries(template.findResources(type))
    .filter(([, r]) => predicate((r.Properties ?? {}) as Record<string, unknown>))
    .map(([id]) => id);
  if (ids.length !== 1)
    throw new Error(`expected one ${type} to match, found ${ids.length}: ${ids.join(', ')}`);
  return ids[0] as string;
}

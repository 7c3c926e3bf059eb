// The images the stacks build: each build context holds exactly what its Dockerfile copies (no more,
// so unrelated changes do not rebuild an image; no less, so the build finds every file).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ImageSpec, INFERENCE_IMAGE, REPO_ROOT, STEPS_IMAGE, TRAINING_IMAGE } from '../../src/index.js';

/** The sources of a Dockerfile's COPY lines that read the build context (not `--from` a stage). */
function copiedPaths(dockerfile: string): string[] {
  return readFileSync(join(REPO_ROOT, dockerfile), 'utf8')
    .split('\n')
    .filter((line) => /^COPY\s/.test(line) && !/--from=/.test(line))
    .flatMap((line) => {
      const args = line.trim().split(/\s+/).slice(1);
      return args.slice(0, -1).map((p) => p.replace(/\/$/, ''));
    });
}

describe.each([
  ['training', TRAINING_IMAGE],
  ['inference', INFERENCE_IMAGE],
  ['steps', STEPS_IMAGE],
] as [string, ImageSpec][])('the %s image', (_name, spec) => {
  it('has a build context of exactly the paths its Dockerfile copies', () => {
    expect([...new Set(copiedPaths(spec.file))].sort()).toEqual([...spec.context].sort());
    for (const path of spec.context) expect(existsSync(join(REPO_ROOT, path)), path).toBe(true);
  });
});

/** The workspace a Dockerfile's `npm ci --workspace <name>` installs, and its manifest. */
function installedWorkspace(dockerfile: string): { name: string; dependencies: Record<string, string> } {
  const text = readFileSync(join(REPO_ROOT, dockerfile), 'utf8');
  const name = /npm ci --workspace (\S+)/.exec(text)?.[1];
  if (name === undefined) throw new Error(`${dockerfile} has no \`npm ci --workspace\` line`);
  const root = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { workspaces: string[] };
  for (const folder of root.workspaces) {
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, folder, 'package.json'), 'utf8'));
    if (manifest.name === name) return { name, dependencies: manifest.dependencies ?? {} };
  }
  throw new Error(`${dockerfile} installs ${name}, which is no workspace`);
}

/** A core's optional peer dependencies: packages it imports only on a path some programs take. */
function optionalPeers(folder: string): string[] {
  const manifest = JSON.parse(readFileSync(join(REPO_ROOT, folder, 'package.json'), 'utf8'));
  const meta: Record<string, { optional?: boolean }> = manifest.peerDependenciesMeta ?? {};
  return Object.keys(manifest.peerDependencies ?? {}).filter((name) => meta[name]?.optional === true);
}

// On AWS each image takes the path its core's optional peers serve: the training container's Fargate
// mode reads and writes S3, the step functions open the s3:// store. npm installs an optional peer
// only when something installed depends on it, so the workspace an image installs must.
describe.each([
  ['training', TRAINING_IMAGE, 'training-job'],
  ['steps', STEPS_IMAGE, 'model-store'],
] as [string, ImageSpec, string][])('the %s image', (_name, spec, core) => {
  it(`installs a workspace that depends on ${core}'s optional peers`, () => {
    const peers = optionalPeers(core);
    expect(peers).toContain('@aws-sdk/client-s3');
    const installed = installedWorkspace(spec.file);
    for (const peer of peers) expect(Object.keys(installed.dependencies), installed.name).toContain(peer);
  });
});

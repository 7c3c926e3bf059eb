// The house rule on package manifests (docs/architecture.md): what runs locally installs no AWS SDK
// client, directly or through another workspace; an adapter of a core names the client it imports as an
// optional peer; and what takes that path on AWS or with an s3:// store declares the client itself.
// (lint:deps checks the imports; this checks what npm installs.)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, sourceFiles, WORKSPACES } from '../helpers/workspaces.js';

interface Manifest {
  readonly name: string;
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

const manifests = new Map(
  WORKSPACES.map((folder) => [
    folder,
    JSON.parse(readFileSync(join(ROOT, folder, 'package.json'), 'utf8')) as Manifest,
  ]),
);
const byName = new Map([...manifests].map(([folder, manifest]) => [manifest.name, folder]));

/** The workspaces that run on a machine with no AWS account: the ground floor, the cores, the local runner. */
const LOCAL = ['contracts', 'model-store', 'training-job', 'inference', 'steps', 'runners/local'];
const isSdk = (name: string) => name.startsWith('@aws-sdk/');

/** What npm installs for a workspace: its dependencies and optional ones, and theirs, through workspaces. */
function installed(folder: string, seen = new Set<string>()): Map<string, string> {
  const found = new Map<string, string>();
  if (seen.has(folder)) return found;
  seen.add(folder);
  const manifest = manifests.get(folder) as Manifest;
  for (const name of Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies })) {
    found.set(name, manifest.name);
    const workspace = byName.get(name);
    if (workspace !== undefined) for (const [n, via] of installed(workspace, seen)) found.set(n, via);
  }
  return found;
}

describe('AWS SDK clients in package manifests', () => {
  it('knows every local workspace', () => {
    for (const folder of LOCAL) expect(manifests.has(folder), folder).toBe(true);
  });

  it.each(LOCAL)('%s installs none, directly or through a workspace it depends on', (folder) => {
    const sdk = [...installed(folder)]
      .filter(([name]) => isSdk(name))
      .map(([name, via]) => `${name} (${via})`);
    expect(sdk).toEqual([]);
  });

  it.each(LOCAL)('%s names every AWS SDK peer as optional', (folder) => {
    const manifest = manifests.get(folder) as Manifest;
    for (const name of Object.keys(manifest.peerDependencies ?? {}).filter(isSdk)) {
      expect({ name, optional: manifest.peerDependenciesMeta?.[name]?.optional }).toEqual({
        name,
        optional: true,
      });
    }
  });

  it('what opens stores outside the local workspaces declares model-store’s optional peers itself', () => {
    const store = manifests.get('model-store') as Manifest;
    const peers = Object.keys(store.peerDependencies ?? {});
    expect(peers).toContain('@aws-sdk/client-s3');
    const openers = WORKSPACES.filter(
      (folder) =>
        !LOCAL.includes(folder) &&
        sourceFiles(join(ROOT, folder, 'src')).some((file) =>
          readFileSync(file, 'utf8').includes('openStore('),
        ),
    );
    expect(openers.sort()).toEqual(['apps/cli', 'apps/console', 'runners/aws']);
    for (const folder of openers) {
      const dependencies = Object.keys((manifests.get(folder) as Manifest).dependencies ?? {});
      for (const peer of peers)
        expect({ folder, peer, declared: dependencies.includes(peer) }).toMatchObject({ declared: true });
    }
  });
});

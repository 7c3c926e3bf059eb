/**
 * Workspaces installed as a program that depends on them would get them, without their optional peer
 * dependencies: each workspace's package.json and sources are copied into `node_modules/<name>` of a
 * temporary folder, each of its `dependencies` is linked there from the repository's node_modules, and
 * nothing else. A package an installed file imports then resolves only through that folder, as it would
 * in a project that never installed it (this repository's own node_modules holds every package).
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TSX = fileURLToPath(import.meta.resolve('tsx'));

interface Manifest {
  readonly name: string;
  readonly dependencies?: Readonly<Record<string, string>>;
}

/** What a script run in the install printed, and how it ended. */
interface ScriptRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface PeerlessInstall {
  /** The temporary folder: `node_modules/` and the scripts run in it. */
  readonly dir: string;
  /** Runs an ES module script (its text) from `dir`, with the sources' `source` export condition. */
  run(script: string, env?: Readonly<Record<string, string>>): Promise<ScriptRun>;
  remove(): Promise<void>;
}

/**
 * Installs `workspaces` (folders relative to the repository root, e.g. `model-store`) and what they
 * depend on, leaving out every peer dependency. Workspace dependencies must be listed too.
 */
export async function installWithoutPeers(workspaces: readonly string[]): Promise<PeerlessInstall> {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-peerless-'));
  const modules = join(dir, 'node_modules');
  const linked = new Set<string>();
  const manifests = await Promise.all(
    workspaces.map(
      async (folder) => JSON.parse(await readFile(join(ROOT, folder, 'package.json'), 'utf8')) as Manifest,
    ),
  );
  const names = new Set(manifests.map((m) => m.name));
  for (const [i, folder] of workspaces.entries()) {
    const manifest = manifests[i] as Manifest;
    const target = join(modules, manifest.name);
    await mkdir(target, { recursive: true });
    await cp(join(ROOT, folder, 'package.json'), join(target, 'package.json'));
    await cp(join(ROOT, folder, 'src'), join(target, 'src'), { recursive: true });
    for (const dependency of Object.keys(manifest.dependencies ?? {})) {
      if (dependency.startsWith('@slipway/')) {
        if (!names.has(dependency)) throw new Error(`${manifest.name} depends on ${dependency}: list it too`);
        continue;
      }
      if (linked.has(dependency)) continue;
      linked.add(dependency);
      await mkdir(dirname(join(modules, dependency)), { recursive: true });
      await symlink(join(ROOT, 'node_modules', dependency), join(modules, dependency), 'dir');
    }
  }
  let scripts = 0;
  return {
    dir,
    async run(script, env = {}) {
      scripts += 1;
      const file = join(dir, `script-${scripts}.mjs`);
      await writeFile(file, script);
      return new Promise((resolve) => {
        execFile(
          process.execPath,
          ['--conditions=source', '--import', TSX, file],
          {
            cwd: dir,
            env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
          },
          (error, stdout, stderr) => {
            const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
            resolve({ code, stdout, stderr });
          },
        );
      });
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

// A git checkout holding a built-in trainer build, as `slipway start --aws` composes it: the sources a
// commit holds (package.json, bin, src) and the build next to them (dist, ignored by git), built after
// the sources were last written. Commits change the trainer the way a pull request does.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A checkout and how to change its trainer. */
export interface TrainerCheckout {
  readonly root: string;
  /** The commit checked out. */
  head(): Promise<string>;
  /** Writes `files` (paths from the root), rebuilds (touches the build marks), commits; the new commit. */
  commit(message: string, files: Record<string, Uint8Array | string>): Promise<string>;
  /** Writes files without committing or building. */
  write(files: Record<string, Uint8Array | string>): Promise<void>;
  /** Marks the build as made now (what `npm run build` leaves behind). */
  build(): Promise<void>;
}

async function git(root: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(
    'git',
    ['-C', root, '-c', 'user.name=slipway test', '-c', 'user.email=test@slipway.invalid', ...args],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  return stdout.trim();
}

/**
 * Makes a checkout in `root` from a build (readBuiltTrainer's files, keyed by repository path) and one
 * source file per workspace, committed as the first commit.
 */
export async function trainerCheckout(
  root: string,
  built: Readonly<Record<string, Uint8Array>>,
): Promise<TrainerCheckout> {
  const write = async (files: Record<string, Uint8Array | string>) => {
    for (const [path, body] of Object.entries(files)) {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await writeFile(join(root, path), body);
    }
  };
  // Build marks a little after the sources: file systems with coarse timestamps would tie them.
  const build = async () => {
    const later = new Date(Date.now() + 2000);
    for (const mark of ['training-job/dist/.tsbuildinfo', 'contracts/dist/.tsbuildinfo']) {
      await write({ [mark]: '{}' });
      await utimes(join(root, mark), later, later);
    }
  };
  await mkdir(root, { recursive: true });
  await git(root, 'init', '--quiet', '--initial-branch=main');
  await write({
    '.gitignore': 'dist/\n*.tsbuildinfo\n',
    'training-job/src/index.ts': 'export const trainer = 1;\n',
    'contracts/src/index.ts': 'export const contract = 1;\n',
    ...built,
  });
  await git(root, 'add', '--all');
  // A commit id of its own: the same tree committed in the same second would otherwise be the same
  // commit in every checkout, and the images composed for it would be shared between tests.
  await git(root, 'commit', '--quiet', '-m', `the trainer (${randomUUID()})`);
  await build();
  const checkout: TrainerCheckout = {
    root,
    head: () => git(root, 'rev-parse', 'HEAD'),
    write,
    build,
    async commit(message, files) {
      await write(files);
      await git(root, 'add', '--all');
      await git(root, 'commit', '--quiet', '-m', message);
      await build();
      return checkout.head();
    },
  };
  return checkout;
}

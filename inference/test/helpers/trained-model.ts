// Real models for integration tests and the bench, trained once by the real trainer and cached
// under the system temp folder (keyed by the trainer's source, so a trainer change retrains).

import { createHash } from 'node:crypto';
import { cp, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelManifest } from '@slipway/contracts';
import {
  type Hyperparameters,
  loadDataset,
  resolveHyperparameters,
  trainModel,
  writeModelDir,
} from '@slipway/training-job';

const trainerSource = join(dirname(fileURLToPath(import.meta.url)), '../../../training-job/src');

/** Variants: `default` uses the trainer's defaults; `alt` a different C so its probabilities differ. */
const VARIANTS: Record<string, Partial<Hyperparameters>> = {
  default: {},
  alt: { C: 1 },
};

/**
 * A folder holding a model trained on builtin:sentiment (model.onnx, manifest.json, metrics.json).
 * Read-only: copy it (copyModel) before changing anything.
 */
export async function trainedModelDir(variant: keyof typeof VARIANTS & string = 'default'): Promise<string> {
  const hp = VARIANTS[variant] ?? {};
  const key = createHash('sha256')
    .update(await sourceDigest(trainerSource))
    .update(JSON.stringify(hp))
    .digest('hex')
    .slice(0, 16);
  const root = join(tmpdir(), 'slipway-test-models');
  const dir = join(root, `sentiment-${variant}-${key}`);
  if (await exists(join(dir, 'manifest.json'))) return dir;
  await mkdir(root, { recursive: true });
  const lock = `${dir}.lock`;
  // Test files run in parallel processes: one trains, the others wait for its folder.
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch {
      if (await exists(join(dir, 'manifest.json'))) return dir;
      const age = Date.now() - (await stat(lock).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (age > 120_000) await rm(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    if (await exists(join(dir, 'manifest.json'))) return dir;
    const hyperparameters = resolveHyperparameters(hp);
    const dataset = await loadDataset('builtin:sentiment', {
      seed: hyperparameters.seed,
      testFraction: hyperparameters.testFraction,
    });
    const result = await trainModel(dataset, hyperparameters, { name: 'sentiment' });
    const temp = `${dir}.tmp-${process.pid}`;
    await writeModelDir(temp, result);
    await rm(dir, { recursive: true, force: true });
    await rename(temp, dir);
    return dir;
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

/** Copies a model folder to `dest`, optionally rewriting its manifest (files keep their checksums). */
export async function copyModel(
  source: string,
  dest: string,
  edit?: (manifest: ModelManifest) => ModelManifest,
): Promise<string> {
  await cp(source, dest, { recursive: true });
  if (edit) {
    const path = join(dest, 'manifest.json');
    const manifest = JSON.parse(await readFile(path, 'utf8')) as ModelManifest;
    await writeFile(path, `${JSON.stringify(edit(manifest), null, 2)}\n`);
  }
  return dest;
}

/** A manifest edit that makes the self-test expect the wrong label for its first text. */
export function breakSelfTest(manifest: ModelManifest): ModelManifest {
  const [first, ...rest] = manifest.selfTest;
  if (first === undefined) throw new Error('the trained manifest has no self-test texts');
  const wrong = manifest.classes.find((c) => c !== first.label) ?? first.label;
  return { ...manifest, selfTest: [{ text: first.text, label: wrong }, ...rest] };
}

async function sourceDigest(dir: string): Promise<string> {
  const hash = createHash('sha256');
  const entries = (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
  for (const file of entries) hash.update(file).update(await readFile(file));
  return hash.digest('hex');
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, posix, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENV, MANIFEST_FILE, type ModelManifest } from '@slipway/contracts';
import { unpackArchive } from '@slipway/contracts/tar';
import type { ModelStore } from '@slipway/model-store';
import { ArtifactError } from './errors.js';

/** A training artifact read from the store: its files (manifest.json included) verified against the manifest. */
export interface Artifact {
  readonly uri: string;
  /** Every file of the archive by name, including `manifest.json`. */
  readonly files: Readonly<Record<string, Uint8Array>>;
  /** The manifest the trainer wrote (`version: null`). */
  readonly manifest: ModelManifest;
}

/**
 * The store key of an artifact URI (`<store uri>/runs/<job>/output/model.tar.gz`).
 * @example artifactKey('s3://b/p', 's3://b/p/runs/j/output/model.tar.gz') // 'runs/j/output/model.tar.gz'
 */
export function artifactKey(storeUri: string, artifact: string): string {
  const base = storeUri.replace(/\/+$/, '');
  let key: string | undefined;
  if (base.startsWith('file:') && artifact.startsWith('file:')) {
    // Compare paths, not strings: one side may percent-encode what the other does not.
    try {
      const rel = relative(fileURLToPath(base), fileURLToPath(artifact));
      if (rel !== '' && !rel.startsWith('..') && !rel.startsWith(sep)) key = rel.split(sep).join(posix.sep);
    } catch {
      key = undefined;
    }
  } else if (artifact.startsWith(`${base}/`)) {
    key = artifact.slice(base.length + 1);
  }
  if (
    key === undefined ||
    key === '' ||
    key.split('/').some((part) => part === '' || part === '..' || part === '.')
  ) {
    throw new ArtifactError(
      `the artifact ${JSON.stringify(artifact)} is not inside the model store ${storeUri}; ` +
        'the training job must write to <store>/runs/<job>/output/model.tar.gz: check the StoreUri the state machine ' +
        `was deployed with and the step's ${ENV.storeUri}`,
    );
  }
  return key;
}

/**
 * Reads model.tar.gz from the store, unpacks it and checks every file the manifest lists against its sha256.
 * Throws ArtifactError saying what is wrong with which artifact.
 */
export async function readArtifact(store: ModelStore, uri: string, model: string): Promise<Artifact> {
  const key = artifactKey(store.backend.uri, uri);
  const found = await store.backend.get(key);
  if (!found) {
    throw new ArtifactError(
      `no artifact at ${uri}: the training job did not write one; check that it finished and its output path`,
    );
  }
  let files: Record<string, Uint8Array>;
  try {
    files = unpackArchive(found.body);
  } catch (cause) {
    throw new ArtifactError(
      `the artifact ${uri} cannot be unpacked (${(cause as Error).message}); it is corrupt or not a model.tar.gz: re-run the training`,
      { cause },
    );
  }
  const manifestBytes = files[MANIFEST_FILE];
  if (!manifestBytes) {
    throw new ArtifactError(
      `the artifact ${uri} has no ${MANIFEST_FILE} (it holds ${Object.keys(files).join(', ') || 'nothing'}); ` +
        'it was not written by the slipway trainer: re-run the training',
    );
  }
  let manifest: ModelManifest;
  try {
    manifest = JSON.parse(new TextDecoder().decode(manifestBytes)) as ModelManifest;
    if (
      typeof manifest !== 'object' ||
      manifest === null ||
      typeof manifest.files !== 'object' ||
      manifest.files === null
    ) {
      throw new Error('it lists no files');
    }
  } catch (cause) {
    throw new ArtifactError(
      `the ${MANIFEST_FILE} in ${uri} cannot be read: ${(cause as Error).message}; re-run the training`,
      {
        cause,
      },
    );
  }
  if (manifest.name !== model) {
    throw new ArtifactError(
      `the artifact ${uri} holds model ${JSON.stringify(manifest.name)}, not "${model}"; ` +
        "the training job was given another model name: re-run it with this execution's model",
    );
  }
  if (!manifest.files['model.onnx']) {
    throw new ArtifactError(`the ${MANIFEST_FILE} in ${uri} lists no model.onnx; re-run the training`);
  }
  for (const [file, entry] of Object.entries(manifest.files)) {
    const body = files[file];
    const actual = body ? createHash('sha256').update(body).digest('hex') : 'none (the file is missing)';
    if (actual !== entry.sha256) {
      throw new ArtifactError(
        `the artifact ${uri} is corrupt: ${file} has sha256 ${actual}, its manifest expects ${entry.sha256}; re-run the training`,
      );
    }
  }
  return { uri, files, manifest };
}

/** Writes an artifact's files into `dir` so `openModel` can load it. */
export async function writeArtifact(artifact: Artifact, dir: string): Promise<string> {
  for (const [file, body] of Object.entries(artifact.files)) {
    const target = join(dir, ...file.split('/'));
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, body);
  }
  return dir;
}

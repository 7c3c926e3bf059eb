import { type DATASET_SCHEMA, type FileEntry, MODEL_SCHEMA, type ModelManifest } from '@slipway/contracts';
import { CorruptManifestError, InvalidManifestError } from './errors.js';

/** The registry's record of one dataset version (`datasets/<name>/<sha256>/manifest.json`). */
export interface DatasetManifest {
  schema: typeof DATASET_SCHEMA;
  name: string;
  sha256: string;
  files: Record<string, FileEntry>;
  createdAt: string;
  /** Whatever the caller described the dataset with (rows, labels, source, licence, ...). */
  [extra: string]: unknown;
}

/** The lineage fields the store queries by; missing ones read as null. */
export interface LineageIds {
  gitCommit: string | null;
  pullRequest: number | null;
  executionId: string | null;
  datasetName: string | null;
  datasetSha256: string | null;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads the lineage ids a manifest carries, tolerating manifests that lack some of them. */
export function lineageIds(manifest: { lineage?: unknown }): LineageIds {
  const lineage = isObject(manifest.lineage) ? manifest.lineage : {};
  const dataset = isObject(lineage.dataset) ? lineage.dataset : {};
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  return {
    gitCommit: str(lineage.gitCommit),
    pullRequest: typeof lineage.pullRequest === 'number' ? lineage.pullRequest : null,
    executionId: str(lineage.executionId),
    datasetName: str(dataset.name),
    datasetSha256: str(dataset.sha256),
  };
}

/** Problems with the parts of a manifest the store relies on; empty when usable. */
function problems(value: Json, checkFiles: boolean): string[] {
  const found: string[] = [];
  if (value.schema !== undefined && value.schema !== MODEL_SCHEMA) {
    found.push(`schema is ${JSON.stringify(value.schema)}, expected "${MODEL_SCHEMA}"`);
  }
  if (typeof value.name !== 'string') found.push('"name" is not a string');
  if (checkFiles) {
    if (!isObject(value.files)) found.push('"files" is not an object');
    else {
      for (const [file, entry] of Object.entries(value.files)) {
        if (
          !isObject(entry) ||
          typeof entry.sha256 !== 'string' ||
          !/^[0-9a-f]{64}$/.test(entry.sha256) ||
          typeof entry.bytes !== 'number'
        ) {
          found.push(`files["${file}"] is not {sha256: <64 hex>, bytes: <number>}`);
        }
      }
    }
  }
  if (value.lineage !== undefined) {
    if (!isObject(value.lineage)) found.push('"lineage" is not an object');
    else {
      const l = value.lineage;
      const nullable = (key: string, type: 'string' | 'number') => {
        if (l[key] !== undefined && l[key] !== null && typeof l[key] !== type) {
          found.push(`lineage.${key} is not a ${type} or null`);
        }
      };
      nullable('gitCommit', 'string');
      nullable('executionId', 'string');
      nullable('pullRequest', 'number');
      if (l.dataset !== undefined && (!isObject(l.dataset) || typeof l.dataset.sha256 !== 'string')) {
        found.push('lineage.dataset is not {name, sha256}');
      }
    }
  }
  return found;
}

/** Validates a manifest handed in for registration; returns a copy the store may fill in. */
export function validateIncomingManifest(manifest: unknown, name: string): Json {
  if (!isObject(manifest)) {
    throw new InvalidManifestError(
      `the manifest for model "${name}" is not a JSON object; pass the manifest.json the training job wrote`,
    );
  }
  const copy: Json = structuredClone(manifest);
  if (copy.name === undefined) copy.name = name;
  const found = problems(copy, copy.files !== undefined);
  if (copy.name !== name) found.push(`"name" is ${JSON.stringify(copy.name)} but the model is "${name}"`);
  if (copy.version !== undefined && copy.version !== null) {
    found.push(`"version" is ${JSON.stringify(copy.version)}; leave it null: the store allocates versions`);
  }
  if (found.length > 0) {
    throw new InvalidManifestError(
      `the manifest for model "${name}" cannot be registered: ${found.join('; ')}`,
    );
  }
  copy.schema = MODEL_SCHEMA;
  return copy;
}

/** Parses a stored model manifest, checking it belongs where it was found. */
export function parseStoredManifest(
  body: Uint8Array,
  key: string,
  name: string,
  version: number,
): ModelManifest {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(body));
  } catch (error) {
    throw new CorruptManifestError(key, `it is not valid JSON (${(error as Error).message})`, {
      cause: error,
    });
  }
  if (!isObject(value)) throw new CorruptManifestError(key, 'it is not a JSON object');
  const found = problems(value, true);
  if (value.name !== name) found.push(`"name" is ${JSON.stringify(value.name)}, expected "${name}"`);
  if (value.version !== version)
    found.push(`"version" is ${JSON.stringify(value.version)}, expected ${version}`);
  if (found.length > 0) throw new CorruptManifestError(key, found.join('; '));
  return value as unknown as ModelManifest;
}

/** Parses any stored JSON record, reporting (not throwing a SyntaxError for) one that does not parse. */
export function parseRecord(body: Uint8Array, key: string): Json {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(body));
  } catch (error) {
    throw new CorruptManifestError(key, `it is not valid JSON (${(error as Error).message})`, {
      cause: error,
    });
  }
  if (!isObject(value)) throw new CorruptManifestError(key, 'it is not a JSON object');
  return value;
}

/** Encodes a record the way the store writes every JSON object. */
export function encodeJson(value: unknown): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);
}

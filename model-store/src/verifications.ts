import { randomUUID } from 'node:crypto';
import { layout, type TrainerRecord, type TrainingEnvironment } from '@slipway/contracts';
import type { StorageBackend } from './backend.js';
import { CorruptManifestError, InvalidManifestError } from './errors.js';
import { encodeJson, parseRecord } from './manifest.js';
import { assertName, assertVersion } from './names.js';

/** What a rebuild of a version showed (see `slipway verify`). */
export type VerificationOutcome =
  /** The rebuilt model.onnx has the registered sha256. */
  | 'reproducible'
  /** The rebuilt bytes differ; `differences` and `predictions` say what and by how much. */
  | 'differs'
  /** Two rebuilds from the same inputs differ from each other: the trainer is not deterministic. */
  | 'not-deterministic'
  /** The stored dataset does not hash to the sha256 the lineage records: nothing was trained. */
  | 'dataset-refused'
  /** The lineage lacks what a rebuild needs (an old manifest), or the trainer cannot be run here. */
  | 'unverifiable';

export const VERIFICATION_OUTCOMES: readonly VerificationOutcome[] = [
  'reproducible',
  'differs',
  'not-deterministic',
  'dataset-refused',
  'unverifiable',
];

/** One fact that differs between the recorded lineage and the rebuild. */
export interface VerificationDifference {
  /** `environment.node`, `environment.onnxruntime`, `environment.platform`, `environment.image`, `trainer`, `dataset`. */
  readonly field: string;
  readonly recorded: string | null;
  readonly rebuilt: string | null;
}

/** How the rebuilt model's predictions on the test split compare with the registered model's. */
export interface PredictionAgreement {
  readonly rows: number;
  /** Rows whose predicted label is the same. */
  readonly sameLabel: number;
  /** Largest absolute difference of any class probability over every row. */
  readonly maxProbabilityDiff: number;
}

/** One verification of a version, at `models/<model>/verifications/<version>/<id>.json` (create-only). */
export interface VerificationRecord {
  readonly model: string;
  readonly version: number;
  readonly id: string;
  readonly outcome: VerificationOutcome;
  /** Who ran it (the store's actor). */
  readonly by: string;
  readonly at: string;
  /** Where the rebuild ran: this machine, or a training job of the stage. */
  readonly where: 'local' | 'aws';
  /** The trainer and runtime of the rebuild (null when nothing was trained). */
  readonly trainer: TrainerRecord | null;
  readonly environment: TrainingEnvironment | null;
  readonly registeredSha256: string | null;
  readonly rebuiltSha256: string | null;
  readonly differences: readonly VerificationDifference[];
  readonly predictions: PredictionAgreement | null;
  /** One sentence a person reads: why, in words. */
  readonly summary: string;
}

/** A record to write; the store fills `model`, `version`, `id` and, when absent, `by` and `at`. */
export type VerificationInput = Omit<VerificationRecord, 'model' | 'version' | 'id' | 'by' | 'at'> & {
  readonly by?: string;
  readonly at?: string;
};

/**
 * Writes a verification record create-only. Its id starts with the time, so a listing is in order;
 * the random tail keeps two verifications in the same millisecond apart.
 */
export async function recordVerification(
  backend: StorageBackend,
  name: string,
  version: number,
  input: VerificationInput,
  defaults: { readonly by: string; readonly at: string },
): Promise<VerificationRecord> {
  assertName(name);
  assertVersion(version);
  if (!VERIFICATION_OUTCOMES.includes(input.outcome)) {
    throw new InvalidManifestError(
      `verification outcome ${JSON.stringify(input.outcome)} is not one of ${VERIFICATION_OUTCOMES.join(', ')}`,
    );
  }
  const at = input.at ?? defaults.at;
  const id = `${at.replace(/[^0-9]/g, '').slice(0, 17)}-${randomUUID().slice(0, 8)}`;
  const record: VerificationRecord = {
    ...input,
    model: name,
    version,
    id,
    by: input.by ?? defaults.by,
    at,
  };
  if (!(await backend.putIfAbsent(layout.verification(name, version, id), encodeJson(record)))) {
    // A random id collided: a second attempt is a new record, never a replaced one.
    return recordVerification(backend, name, version, { ...input, at }, defaults);
  }
  return record;
}

/** Every verification of a version, oldest first. A record that does not parse is reported, not skipped. */
export async function listVerifications(
  backend: StorageBackend,
  name: string,
  version: number,
): Promise<VerificationRecord[]> {
  assertName(name);
  assertVersion(version);
  const prefix = layout.verifications(name, version);
  const keys = (await backend.list(prefix)).map((o) => o.key).filter((k) => k.endsWith('.json'));
  const records: VerificationRecord[] = [];
  for (const key of keys.sort()) {
    const found = await backend.get(key);
    if (found) records.push(parseVerification(found.body, key, name, version));
  }
  return records;
}

function parseVerification(body: Uint8Array, key: string, name: string, version: number): VerificationRecord {
  const value = parseRecord(body, key);
  if (
    value.model !== name ||
    value.version !== version ||
    typeof value.at !== 'string' ||
    !VERIFICATION_OUTCOMES.includes(value.outcome as VerificationOutcome)
  ) {
    throw new CorruptManifestError(
      key,
      `expected a verification record of ${name} version ${version} with "at" and an outcome`,
    );
  }
  return value as unknown as VerificationRecord;
}

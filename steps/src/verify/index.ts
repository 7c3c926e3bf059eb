import { createHash } from 'node:crypto';
import {
  describeTrainer,
  type ModelManifest,
  type RebuildLineage,
  rebuildLineage,
  type TrainerRecord,
} from '@slipway/contracts';
import { legacyDatasetContentHash, sha256OfFiles } from '@slipway/contracts/dataset-hash';
import {
  IntegrityError,
  type ModelStore,
  NotFoundError,
  type PredictionAgreement,
  type VerificationDifference,
  type VerificationInput,
  type VerificationRecord,
} from '@slipway/model-store';
import { OnnxClassifier } from '@slipway/training-job';
import { StepError } from '../errors.js';

/** What a rebuild is asked to train: the recorded inputs, read from the version's lineage. */
export interface RebuildRequest {
  readonly model: string;
  readonly version: number;
  /** The stored dataset (`datasets/<name>/<sha256>/`), already checked against its sha256. */
  readonly dataset: { readonly name: string; readonly sha256: string };
  /** As SageMaker passes them (hyperparameters.json): every value a string. */
  readonly hyperparameters: Readonly<Record<string, string>>;
  readonly trainer: TrainerRecord;
  readonly lineage: RebuildLineage;
  /** 1 for the rebuild, 2 for the second one that tells a non-deterministic trainer apart. */
  readonly attempt: number;
}

/** What a rebuild produced: model.onnx and the manifest its trainer wrote (its lineage names its runtime). */
export interface Rebuilt {
  readonly modelBytes: Uint8Array;
  readonly manifest: ModelManifest;
}

/** Collaborators of {@link verifyVersion}. */
export interface VerifyDeps {
  readonly store: ModelStore;
  /** Trains from the recorded inputs: a local training job, or a training job of the stage. */
  readonly rebuild: (request: RebuildRequest) => Promise<Rebuilt>;
  readonly where: 'local' | 'aws';
  /** Progress lines for a person. */
  readonly log?: (line: string) => void;
}

/**
 * The rebuild port cannot run this trainer here (e.g. a command trainer on a runner without one): the
 * version is then `unverifiable`, not a failure.
 */
export class TrainerUnavailableError extends StepError {
  readonly code = 'SLIPWAY_TRAINER_UNAVAILABLE';
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * Rebuilds a registered version from its lineage and compares: the dataset is read from the store and
 * checked against the sha256 the lineage records before anything is trained; the rebuilt model.onnx's
 * sha256 is compared with the registered one; when they differ, both models score the test split and
 * the trainer runs once more, so a non-deterministic trainer is told apart from a changed input. The
 * outcome is recorded in the store (create-only) and returned.
 *
 * @example const record = await verifyVersion('sentiment', 3, { store, rebuild, where: 'local' });
 */
export async function verifyVersion(
  model: string,
  version: number,
  deps: VerifyDeps,
): Promise<VerificationRecord> {
  const input = await verifyInputs(model, version, deps);
  return deps.store.recordVerification(model, version, input);
}

async function verifyInputs(model: string, version: number, deps: VerifyDeps): Promise<VerificationInput> {
  const log = deps.log ?? (() => {});
  const registered = await deps.store.getModel(model, version);
  const onnx = registered.files['model.onnx'];
  const registeredSha256 = registered.manifest.files['model.onnx']?.sha256 ?? null;
  const lineage = rebuildLineage(registered.manifest.lineage);
  const nothingTrained = (
    outcome: 'dataset-refused' | 'unverifiable',
    summary: string,
  ): VerificationInput => ({
    outcome,
    where: deps.where,
    trainer: null,
    environment: null,
    registeredSha256,
    rebuiltSha256: null,
    differences: [],
    predictions: null,
    summary,
  });
  if (onnx === undefined || registeredSha256 === null) {
    return nothingTrained('unverifiable', `version ${version} has no model.onnx to compare with`);
  }
  if (lineage.dataset === null) {
    return nothingTrained(
      'unverifiable',
      'its lineage records no dataset name and sha256 (a manifest from before datasets were recorded)',
    );
  }
  if (lineage.trainer === null) {
    return nothingTrained('unverifiable', 'its lineage records no trainer');
  }
  const { name: datasetName, sha256: datasetSha } = lineage.dataset;
  let test: Uint8Array;
  try {
    const stored = await deps.store.getDataset(datasetName, datasetSha);
    // The one dataset version (contracts), or the store's former one, which a dataset stored before
    // the two were unified may still be named by.
    const actual = sha256OfFiles(stored.train, stored.test);
    if (actual !== datasetSha && legacyDatasetContentHash(stored.train, stored.test) !== datasetSha) {
      return nothingTrained(
        'dataset-refused',
        `dataset ${datasetName} in the store hashes to ${actual}, not the ${datasetSha} the lineage records: it was changed after training, so nothing was trained`,
      );
    }
    test = stored.test;
  } catch (error) {
    if (error instanceof IntegrityError) {
      return nothingTrained(
        'dataset-refused',
        `dataset ${datasetName} ${datasetSha} fails its checksum (${error.file}: expected ${error.expected}, got ${error.actual}): it was changed after training, so nothing was trained`,
      );
    }
    if (error instanceof NotFoundError && error.what === 'dataset') {
      return nothingTrained(
        'unverifiable',
        `dataset ${datasetName} ${datasetSha} is not in ${deps.store.uri}: there is nothing to rebuild from`,
      );
    }
    throw error;
  }
  log(`dataset   ${datasetName} ${datasetSha.slice(0, 12)}: checksum matches`);

  const request: RebuildRequest = {
    model,
    version,
    dataset: lineage.dataset,
    hyperparameters: asPassed(lineage),
    trainer: lineage.trainer,
    lineage,
    attempt: 1,
  };
  log(`rebuild   ${describeTrainer(lineage.trainer)} (${deps.where})`);
  let first: Rebuilt;
  try {
    first = await deps.rebuild(request);
  } catch (error) {
    if (error instanceof TrainerUnavailableError) return nothingTrained('unverifiable', error.message);
    throw error;
  }
  const rebuiltSha256 = sha256(first.modelBytes);
  const rebuiltLineage = rebuildLineage(first.manifest.lineage);
  const differences = compareLineages(lineage, rebuiltLineage);
  const common = {
    where: deps.where,
    trainer: rebuiltLineage.trainer,
    environment: completeEnvironment(rebuiltLineage),
    registeredSha256,
    rebuiltSha256,
    differences,
  };
  if (rebuiltSha256 === registeredSha256) {
    return {
      ...common,
      outcome: 'reproducible',
      predictions: null,
      summary: `the rebuild's model.onnx has the registered sha256 ${registeredSha256}`,
    };
  }
  log(
    `differs   rebuilt ${rebuiltSha256.slice(0, 12)} ≠ registered ${registeredSha256.slice(0, 12)}; scoring the test split`,
  );
  const predictions = await comparePredictions(
    onnx,
    registered.manifest.classes,
    first.modelBytes,
    first.manifest.classes,
    testTexts(test),
  );
  log('rebuild   again, to tell a non-deterministic trainer from a changed input');
  const second = await deps.rebuild({ ...request, attempt: 2 });
  const secondSha256 = sha256(second.modelBytes);
  const agreement = `predictions agree on ${predictions.sameLabel} of ${predictions.rows} test rows (largest probability difference ${predictions.maxProbabilityDiff.toPrecision(3)})`;
  if (secondSha256 !== rebuiltSha256) {
    return {
      ...common,
      outcome: 'not-deterministic',
      predictions,
      summary: `two rebuilds from the same inputs gave different model.onnx (${rebuiltSha256.slice(0, 12)}, ${secondSha256.slice(0, 12)}): the trainer is not deterministic, so no rebuild can prove this version; ${agreement}`,
    };
  }
  const what =
    differences.length === 0
      ? 'nothing recorded differs (an input the lineage does not record changed)'
      : differences
          .map((d) => `${d.field} ${d.recorded ?? 'unknown'} → ${d.rebuilt ?? 'unknown'}`)
          .join(', ');
  return {
    ...common,
    outcome: 'differs',
    predictions,
    summary: `the rebuild's model.onnx differs from the registered one: ${what}; ${agreement}`,
  };
}

/** The hyperparameters as passed when recorded, else the resolved ones; SageMaker passes strings. */
function asPassed(lineage: RebuildLineage): Record<string, string> {
  const values = lineage.hyperparametersPassed ?? lineage.hyperparameters ?? {};
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, String(v)]));
}

/** The facts of the recorded lineage that the rebuild changed. */
export function compareLineages(recorded: RebuildLineage, rebuilt: RebuildLineage): VerificationDifference[] {
  const out: VerificationDifference[] = [];
  const add = (field: string, a: string | null, b: string | null) => {
    if (a !== b) out.push({ field, recorded: a, rebuilt: b });
  };
  add(
    'trainer',
    recorded.trainer && describeTrainer(recorded.trainer),
    rebuilt.trainer && describeTrainer(rebuilt.trainer),
  );
  add('dataset', recorded.dataset?.sha256 ?? null, rebuilt.dataset?.sha256 ?? null);
  for (const key of ['node', 'onnxruntime', 'platform', 'image'] as const) {
    add(`environment.${key}`, recorded.environment[key], rebuilt.environment[key]);
  }
  return out;
}

function completeEnvironment(l: RebuildLineage): VerificationInput['environment'] {
  const { node, onnxruntime, platform, image } = l.environment;
  return node !== null && onnxruntime !== null && platform !== null
    ? { node, onnxruntime, platform, image }
    : null;
}

function testTexts(test: Uint8Array): string[] {
  return new TextDecoder()
    .decode(test)
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => String((JSON.parse(line) as { text: unknown }).text));
}

/** Both models on the same texts, in onnxruntime: how often the labels agree, how far the probabilities are. */
export async function comparePredictions(
  registeredBytes: Uint8Array,
  registeredClasses: readonly string[],
  rebuiltBytes: Uint8Array,
  rebuiltClasses: readonly string[],
  texts: readonly string[],
): Promise<PredictionAgreement> {
  const a = await OnnxClassifier.fromBytes(registeredBytes, registeredClasses);
  try {
    const b = await OnnxClassifier.fromBytes(rebuiltBytes, rebuiltClasses);
    try {
      const [pa, pb] = [await a.predictRaw(texts), await b.predictRaw(texts)];
      let sameLabel = 0;
      let maxProbabilityDiff = 0;
      const shared = registeredClasses.filter((c) => rebuiltClasses.includes(c));
      for (let i = 0; i < texts.length; i++) {
        if (pa.labels[i] === pb.labels[i]) sameLabel++;
        for (const c of shared) {
          const x = pa.probabilities[i * registeredClasses.length + registeredClasses.indexOf(c)] ?? 0;
          const y = pb.probabilities[i * rebuiltClasses.length + rebuiltClasses.indexOf(c)] ?? 0;
          maxProbabilityDiff = Math.max(maxProbabilityDiff, Math.abs(x - y));
        }
      }
      // A class one model has and the other lacks is as far apart as probabilities can be.
      if (shared.length !== registeredClasses.length || shared.length !== rebuiltClasses.length)
        maxProbabilityDiff = 1;
      return { rows: texts.length, sameLabel, maxProbabilityDiff };
    } finally {
      await b.close();
    }
  } finally {
    await a.close();
  }
}

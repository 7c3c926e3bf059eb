/**
 * Object keys of the model store, identical in every backend (folder or S3). The store writes
 * `models/`, `datasets/` and `executions/`; training writes `runs/` where the definition tells it to;
 * the AWS stacks grant access by these areas. Change a key only together with every reader.
 *
 * @example layout.manifest('sentiment', 3) // 'models/sentiment/versions/3/manifest.json'
 */
/**
 * A model or dataset name as the store accepts it: it is one path segment in every backend. Models the
 * pipeline trains have a stricter rule (`MODEL_NAME`), since their names also name training jobs.
 * @example STORE_NAME.test('reviews.2024_q1') // true
 */
export const STORE_NAME = /^(?!.*\.\.)[a-z0-9][a-z0-9._-]{0,127}$/;
/** What to tell someone whose name breaks {@link STORE_NAME}. */
export const STORE_NAME_RULE =
  'use 1-128 lowercase letters, digits, ".", "_" or "-", starting with a letter or digit, without ".."';

export const layout = {
  /** Every model's folder is directly under here. */
  models: () => 'models/',
  model: (model: string) => `models/${model}/`,
  /** A small record written on a model's first registration, so a delimiter listing of `models/` finds it. */
  modelRecord: (model: string) => `models/${model}/model.json`,
  versions: (model: string) => `models/${model}/versions/`,
  version: (model: string, version: number) => `models/${model}/versions/${version}/`,
  versionFile: (model: string, version: number, file: string) =>
    `models/${model}/versions/${version}/${file}`,
  manifest: (model: string, version: number) => `models/${model}/versions/${version}/manifest.json`,
  claims: (model: string) => `models/${model}/claims/`,
  claim: (model: string, version: number) => `models/${model}/claims/${version}.json`,
  executionMarkers: (model: string) => `models/${model}/by-execution/`,
  executionMarker: (model: string, executionId: string) => `models/${model}/by-execution/${executionId}.json`,
  /** Rejections recorded at approval, one create-only record per version; kept when gc removes the version. */
  rejections: (model: string) => `models/${model}/rejections/`,
  rejection: (model: string, version: number) => `models/${model}/rejections/${version}.json`,
  /**
   * Verifications (`slipway verify`): create-only records per version, one per rebuild, kept beside the
   * version (never inside it: a version never changes).
   */
  verifications: (model: string, version: number) => `models/${model}/verifications/${version}/`,
  verification: (model: string, version: number, id: string) =>
    `models/${model}/verifications/${version}/${id}.json`,
  aliases: (model: string) => `models/${model}/aliases/`,
  alias: (model: string, alias: string) => `models/${model}/aliases/${alias}.json`,
  /**
   * Endpoints serving the model announce themselves here (`slipway serve`), one record per server,
   * rewritten as a heartbeat and removed on a clean stop.
   */
  servers: (model: string) => `models/${model}/servers/`,
  server: (model: string, serverId: string) => `models/${model}/servers/${serverId}.json`,
  datasets: () => 'datasets/',
  dataset: (dataset: string) => `datasets/${dataset}/`,
  datasetVersion: (dataset: string, sha256: string) => `datasets/${dataset}/${sha256}/`,
  datasetFile: (dataset: string, sha256: string, file: string) => `datasets/${dataset}/${sha256}/${file}`,
  executions: () => 'executions/',
  execution: (id: string) => `executions/${id}/`,
  /** Training runs: each job writes `runs/<job>/output/model.tar.gz`, as SageMaker writes its output. */
  runs: () => 'runs/',
  /** Where a training job writes (SageMaker's OutputDataConfig.S3OutputPath), without a trailing slash. */
  runOutput: (job: string) => `runs/${job}/output`,
  runArtifact: (job: string) => `runs/${job}/output/${ARTIFACT_FILE}`,
} as const;

/**
 * Keys inside one execution's area (`executions/<id>/`, what the store's `executions(id)` opens), for
 * records more than one part writes or reads.
 */
export const executionLayout = {
  /** Decisions on the execution's approval requests (contracts' `ApprovalDecisionRecord`). */
  decisions: () => 'decisions/',
  /**
   * The decision on one approval request, written create-only. `request` names the request: the local
   * runtime's task token digest, or the nonce of runners/aws's approval token record.
   */
  decision: (request: string) => `decisions/${request}.json`,
} as const;

const RECORD_SUFFIX = '.json';

/**
 * The `<id>` of a record key `<prefix><id>.json` directly under `prefix` (a claim, rejection, alias,
 * execution marker or server record), or undefined for any other key there (a nested one, a temp file).
 * @example recordId(layout.claims('sentiment'), 'models/sentiment/claims/7.json') // '7'
 */
export function recordId(prefix: string, key: string): string | undefined {
  if (!key.startsWith(prefix) || !key.endsWith(RECORD_SUFFIX)) return undefined;
  const id = key.slice(prefix.length, -RECORD_SUFFIX.length);
  return id !== '' && !id.includes('/') ? id : undefined;
}

/** The top-level areas of the store; IAM grants are written per area. */
export const STORE_AREAS = ['datasets', 'runs', 'models', 'executions'] as const;
export type StoreArea = (typeof STORE_AREAS)[number];

/** The file that makes a version (or dataset version) exist. */
export const MANIFEST_FILE = 'manifest.json';
/** A training run's output: a gzip'd tar of the model directory, at its root. */
export const ARTIFACT_FILE = 'model.tar.gz';

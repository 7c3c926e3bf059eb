/**
 * Object keys, identical in every backend. The layout is a contract shared with other parts
 * (see the design notes): change it only together with them.
 */
export const layout = {
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
  aliases: (model: string) => `models/${model}/aliases/`,
  alias: (model: string, alias: string) => `models/${model}/aliases/${alias}.json`,
  datasets: () => 'datasets/',
  dataset: (dataset: string) => `datasets/${dataset}/`,
  datasetVersion: (dataset: string, sha256: string) => `datasets/${dataset}/${sha256}/`,
  datasetFile: (dataset: string, sha256: string, file: string) => `datasets/${dataset}/${sha256}/${file}`,
  executions: () => 'executions/',
  execution: (id: string) => `executions/${id}/`,
} as const;

/** The file that makes a version (or dataset version) exist. */
export const MANIFEST_FILE = 'manifest.json';

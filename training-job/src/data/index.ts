// Datasets: builtin and user data loading, the seeded split, the content hash, dataset directories.

export { canonicalJsonl, datasetSha256, sha256OfFiles } from '@slipway/contracts/dataset-hash';
export { type BuiltinDatasetInfo, listBuiltinDatasets } from './builtin/index.js';
export { DataError } from './errors.js';
export { loadDataset } from './load.js';
export { longTextWarning } from './long-texts.js';
export { type DatasetManifest, datasetFiles, readDatasetDir, writeDataset } from './store.js';
export {
  type Dataset,
  DEFAULT_SEED,
  DEFAULT_TEST_FRACTION,
  type LoadOptions,
  type Row,
  type Split,
} from './types.js';

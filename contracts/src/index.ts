export {
  type ClassMetrics,
  DATASET_SCHEMA,
  type FileEntry,
  type Lineage,
  type Metrics,
  MODEL_SCHEMA,
  type ModelManifest,
  type SelfTestCase,
} from './manifest.js';

export {
  type AliasMove,
  type AliasMoveOptions,
  type AliasRecord,
  rollbackTarget,
} from './aliases.js';
export type { ObjectInfo, StorageBackend, StoredObject } from './backend.js';
export { FileBackend } from './backends/file.js';
export {
  type ComparableVersion,
  compareLineage,
  type LineageComparison,
  type LineageRow,
} from './compare.js';
export type { StoredDataset } from './datasets.js';
export {
  ConflictError,
  CorruptManifestError,
  IntegrityError,
  InvalidManifestError,
  InvalidNameError,
  ModelStoreError,
  NotFoundError,
  RejectedVersionError,
  StorageError,
  StoreConfigError,
} from './errors.js';
export type { ObjectArea } from './executions.js';
export type { GcOptions, GcReport } from './gc.js';
export { type DatasetManifest, type LineageIds, lineageIds } from './manifest.js';
export { assertAlias, assertName, parseVersionRef, RESERVED_ALIASES } from './names.js';
export {
  type OpenStoreOptions,
  openStore,
  parseStoreUri,
  type StoreCredentials,
  type StoreLocation,
} from './open.js';
export type { RegisterModelInput, RegisterProgress, RegisterResult } from './registration.js';
export type { RejectionRecord } from './rejections.js';
export {
  type Heartbeat,
  SERVER_SCHEMA,
  type ServerAnnouncement,
  ServerAnnouncements,
  type ServerInfo,
  startHeartbeat,
} from './servers.js';
export {
  ModelStore,
  type ModelStoreOptions,
} from './store.js';
export {
  type PredictionAgreement,
  VERIFICATION_OUTCOMES,
  type VerificationDifference,
  type VerificationInput,
  type VerificationOutcome,
  type VerificationRecord,
} from './verifications.js';
export type {
  MaterializedModel,
  ModelVersion,
  VersionListing,
  VersionPage,
  VersionQuery,
} from './versions.js';

export * from './aws/index.js';
export * from './inference/index.js';
export { ownRecord } from './own-record.js';
export * from './steps/index.js';

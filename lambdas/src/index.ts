export * from './aws/index.js';
export * from './inference/index.js';
export { wellFormedStrings } from './json.js';
export { ownRecord } from './own-record.js';
export * from './steps/index.js';

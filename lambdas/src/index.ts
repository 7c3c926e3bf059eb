export * from './aws/index.js';
export * from './inference/index.js';
export * from './steps/index.js';

export * from './inference/index.js';
export * from './steps/index.js';

export * from './inference/index.js';

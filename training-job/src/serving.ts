/**
 * `@slipway/training-job/serving`: what a server needs to open and run a model folder, without the
 * trainer. The package's index also loads the trainer, its data loaders and protobufjs, which every
 * serving process (each `slipway serve` worker) would pay for at start-up and never use.
 */
export type { Classifier, Prediction } from './model/classifier.js';
export { openModel } from './model/onnx-classifier.js';

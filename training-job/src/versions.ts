import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The trainer's version, recorded in every manifest and model file. */
export const trainerVersion: string = (require('../package.json') as { version: string }).version;

/** The onnxruntime that evaluated the model; serving hosts should match it. */
export const onnxruntimeVersion: string = (require('onnxruntime-node/package.json') as { version: string })
  .version;

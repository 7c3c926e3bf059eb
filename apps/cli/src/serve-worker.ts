// One process of `slipway serve --workers n`, started by node:cluster from serve.ts.
import { processIo } from './output.js';
import { serveAsWorker } from './serve.js';

await serveAsWorker(processIo);

// One slipway training run in its own process, so its peak RSS is its own. Prints one JSON line.
import { loadDataset, resolveHyperparameters, trainModel } from '@slipway/training-job';
import { manyClassDataset } from './many-class.js';

const [spec = 'builtin:sentiment'] = process.argv.slice(2);
// many-class:<classes>:<training texts> is the generated set (a quarter as many test texts).
const many = /^many-class:(\d+):(\d+)$/.exec(spec);
const dataset = many
  ? manyClassDataset({
      classes: Number(many[1]),
      train: Number(many[2]),
      test: Math.round(Number(many[2]) / 4),
    })
  : await loadDataset(spec);
let fitMs = 0;
const start = performance.now();
const result = await trainModel(dataset, resolveHyperparameters(), {
  onProgress: (p) => {
    if (p.phase === 'export') fitMs = p.elapsedMs;
  },
});
process.stdout.write(
  `${JSON.stringify({
    fitMs,
    totalMs: performance.now() - start,
    accuracy: result.metrics.accuracy,
    macroF1: result.metrics.macroF1,
    features: result.model.vocabulary.length,
    modelBytes: result.modelBytes.length,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  })}\n`,
);

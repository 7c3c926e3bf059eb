// One slipway training run in its own process, so its peak RSS is its own. Prints one JSON line.
import { loadDataset, resolveHyperparameters, trainModel } from '@slipway/training-job';

const [spec = 'builtin:sentiment'] = process.argv.slice(2);
const dataset = await loadDataset(spec);
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

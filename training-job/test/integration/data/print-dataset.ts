// Run in a child process by determinism.test.ts: prints what a fresh process computes for a dataset.
import { loadDataset } from '@slipway/training-job';

const [spec] = process.argv.slice(2);
const ds = await loadDataset(spec ?? 'builtin:sentiment');
process.stdout.write(`${JSON.stringify({ sha256: ds.sha256, classes: ds.classes, test: ds.test.length })}\n`);

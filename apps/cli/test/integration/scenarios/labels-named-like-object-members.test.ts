/**
 * Class names are user data: labels spelled like Object.prototype members (`__proto__`, `constructor`,
 * `toString`, `hasOwnProperty`) go through the whole pipeline as ordinary classes — training, the ONNX
 * model's classes, the evaluation report, the store, `slipway predict`, the endpoint and the console.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ModelDetail, type ReportView, startConsole } from '@slipway/console';
import { type ModelStore, openStore } from '@slipway/model-store';
import { LocalPipeline } from '@slipway/runner-local';
import { readEvaluationReport } from '@slipway/steps';
import { decodeModel } from '@slipway/training-job';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { slipway } from '../../helpers/cli.js';
import { runApprovedOnFile } from '../../helpers/pipeline.js';

const LABELS = ['__proto__', 'constructor', 'hasOwnProperty', 'toString'];
// Each class has its own words, so a text of those words is that class.
const WORDS = [
  ['alpha', 'apple', 'avocado', 'anchor'],
  ['build', 'brick', 'beam', 'blueprint'],
  ['dog', 'drum', 'desert', 'dune'],
  ['cat', 'candle', 'copper', 'cloud'],
];

let dir: string;
let store: ModelStore;
let pipeline: LocalPipeline;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-labels-'));
  const rows: string[] = [];
  for (let r = 0; r < 40; r++) {
    LABELS.forEach((label, c) => {
      const w = WORDS[c] as string[];
      rows.push(JSON.stringify({ text: `${w[r % 4]} ${w[(r + 1) % 4]} note ${r}`, label }));
    });
  }
  await writeFile(join(dir, 'labels.jsonl'), `${rows.join('\n')}\n`);
  store = await openStore(`file://${dir}/store`);
  pipeline = new LocalPipeline({ store, port: 0, retryIntervalMs: 10, decisionPollMs: 50, servePollMs: 100 });
});
afterAll(async () => {
  await pipeline?.close();
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

/** The own keys of a parsed JSON object, sorted (a key that became a prototype would be missing). */
const keys = (value: unknown) => Object.keys(value as object).sort();

test('labels named __proto__, constructor, toString, hasOwnProperty: trained, evaluated, served and shown as classes', async () => {
  const handle = await runApprovedOnFile(pipeline, store, join(dir, 'labels.jsonl'), 'labels', {
    minAccuracy: 0.9,
    maxRegression: 0.02,
    minClassF1: 0.9,
  });

  // The registered manifest and the model file carry all four classes.
  const { manifest } = await store.getManifest('labels', 1);
  expect(manifest.classes).toEqual(LABELS);
  expect(keys(manifest.metrics.perClass)).toEqual(LABELS);
  const onnx = await store.readModelFile('labels', 1, 'model.onnx');
  expect(JSON.parse(decodeModel(onnx).metadata['slipway.classes'] as string)).toEqual(LABELS);

  // The evaluation report: every class in perClass, a 4 x 4 confusion matrix, a perfect diagonal.
  const report = await readEvaluationReport(store, handle.id);
  const metrics = report?.candidate.metrics;
  expect(keys(metrics?.perClass)).toEqual(LABELS);
  for (const label of LABELS) expect(metrics?.perClass[label]?.f1, label).toBe(1);
  expect(metrics?.confusion).toEqual(LABELS.map((_, i) => LABELS.map((__, j) => (i === j ? 8 : 0))));

  // The endpoint: the label and a probability for each class, in both contracts.
  const post = async (path: string, body: unknown) =>
    (await fetch(`${pipeline.endpoint}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).then((r) => r.json())) as Record<string, unknown>;
  const predicted = (
    await post('/predict', { texts: ['alpha apple', 'beam brick', 'dune dog', 'cat cloud'] })
  ).predictions as { label: string; probabilities: Record<string, number> }[];
  expect(predicted.map((p) => p.label)).toEqual(LABELS);
  for (const p of predicted) {
    expect(keys(p.probabilities)).toEqual(LABELS);
    expect(Object.values(p.probabilities).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  }
  expect((await post('/', { text: 'avocado anchor' })).response).toBe('__proto__');

  // slipway predict, on the version materialized into a folder, as text and as JSON.
  const modelDir = join(dir, 'model');
  await store.materialize('labels', 'production', modelDir);
  const text = await slipway('predict', '--model', modelDir, 'alpha apple', 'copper candle');
  expect(text.stderr).toBe('');
  expect(text.code).toBe(0);
  expect(text.stdout).toMatch(/__proto__\s+0\.\d+/);
  const json = await slipway('predict', '--model', modelDir, '--json', 'alpha apple');
  const [only] = (JSON.parse(json.stdout) as { predictions: { label: string; probabilities: object }[] })
    .predictions;
  expect(only?.label).toBe('__proto__');
  expect(keys(only?.probabilities)).toEqual(LABELS);
  expect(JSON.parse(await readFile(join(modelDir, 'manifest.json'), 'utf8')).classes).toEqual(LABELS);

  // The console's API: the report and the model page.
  const console = await startConsole({ store, port: 0 });
  try {
    const get = async <T>(path: string) => (await (await fetch(`${console.url}${path}`)).json()) as T;
    const view = await get<ReportView>(`/api/executions/${handle.id}/report`);
    expect(keys(view.candidate.metrics.perClass)).toEqual(LABELS);
    expect(view.candidate.metrics.confusion).toHaveLength(4);
    const model = await get<ModelDetail>('/api/models/labels');
    expect(keys(model.versions[0]?.perClassF1)).toEqual(LABELS);
  } finally {
    await console.close();
  }
}, 180_000);

import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { layout, type ModelManifest } from '@slipway/contracts';
import { type ModelStore, openStore } from '@slipway/model-store';
import { storeDataset } from '@slipway/runner-local';
import {
  buildOnnxModel,
  type Dataset,
  layOutTrainingRoot,
  modelMetadata,
  recordCommandModel,
  resolveHyperparameters,
  runTrainingProgram,
  sageMakerEnvironment,
  type TrainResult,
  trainerVersion,
  trainModel,
  writeModelDir,
} from '@slipway/training-job';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { slipway } from '../../helpers/cli.js';

let dir: string;
let storeDir: string;
let storeUri: string;
let store: ModelStore;
let dataset: Dataset;

/** Trains in-process (not through the training job verify runs) and registers the result. */
async function register(
  name: string,
  change: (result: TrainResult) => { manifest: ModelManifest; bytes: Uint8Array } = (result) => ({
    manifest: result.manifest,
    bytes: result.modelBytes,
  }),
): Promise<number> {
  const passed = { C: '4', ngram_max: '1' };
  const result = await trainModel(dataset, resolveHyperparameters(passed), {
    name,
    lineage: { hyperparametersPassed: passed, gitCommit: 'c0ffee' },
  });
  const changed = change(result);
  const out = join(dir, `${name}-${Date.now()}`);
  const manifest = await writeModelDir(out, {
    ...result,
    manifest: changed.manifest,
    modelBytes: changed.bytes,
  });
  return (await store.registerModel({ name, files: out, manifest })).version;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-cli-verify-'));
  storeDir = join(dir, 'store');
  storeUri = pathToFileURL(storeDir).href;
  store = await openStore(storeUri);
  ({ dataset } = await storeDataset(store, 'builtin:sentiment'));
});
afterAll(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const verify = (...args: string[]) => slipway('verify', ...args, '--store', storeUri, '--json');

describe('slipway verify', () => {
  test('a version rebuilds bit for bit from its lineage: reproducible, exit 0, recorded in the store', async () => {
    const version = await register('reviews');
    const { code, stdout, stderr } = await verify('reviews', String(version));
    expect(stderr).toMatch(/checksum matches/);
    const record = JSON.parse(stdout);
    expect(record).toMatchObject({
      model: 'reviews',
      version,
      outcome: 'reproducible',
      where: 'local',
      trainer: { type: 'builtin', version: trainerVersion },
      differences: [],
      predictions: null,
    });
    expect(record.rebuiltSha256).toBe(record.registeredSha256);
    const { manifest } = await store.getManifest('reviews', version);
    expect(record.registeredSha256).toBe(manifest.files['model.onnx']?.sha256);
    expect(code).toBe(0);
    // Create-only records per version: a second verification adds one, the first stays.
    expect((await verify('reviews', String(version))).code).toBe(0);
    const records = await store.listVerifications('reviews', version);
    expect(records.map((r) => r.outcome)).toEqual(['reproducible', 'reproducible']);
    expect(records[0]?.id).toBe(record.id);
  });

  test('trained by another trainer version: differs (exit 8), naming both versions and how far predictions are', async () => {
    // What version 0.0.9 of the built-in trainer would have written: the same graph, its own producer version.
    const older = '0.0.9';
    const version = await register('older', ({ model, manifest }) => ({
      bytes: buildOnnxModel(
        model,
        modelMetadata(model, { 'slipway.model_name': 'older', 'slipway.dataset_sha256': dataset.sha256 }),
        older,
      ),
      manifest: {
        ...manifest,
        lineage: { ...manifest.lineage, trainer: { type: 'builtin', version: older }, trainerVersion: older },
      },
    }));
    const { code, stdout } = await verify('older', String(version));
    const record = JSON.parse(stdout);
    expect(record.outcome).toBe('differs');
    expect(record.differences).toEqual([
      { field: 'trainer', recorded: `builtin ${older}`, rebuilt: `builtin ${trainerVersion}` },
    ]);
    expect(record.rebuiltSha256).not.toBe(record.registeredSha256);
    // Same weights, another producer version: every test row gets the same label and probabilities.
    expect(record.predictions).toEqual({
      rows: dataset.test.length,
      sameLabel: dataset.test.length,
      maxProbabilityDiff: 0,
    });
    expect(record.summary).toMatch(`trainer builtin ${older} → builtin ${trainerVersion}`);
    expect(code).toBe(8);
    const human = await slipway('verify', 'older', String(version), '--store', storeUri);
    expect(human.stdout).toMatch(
      `trainer                  recorded builtin ${older}, rebuilt builtin ${trainerVersion}`,
    );
    expect(human.code).toBe(8);
  });

  test('a dataset changed in the store is refused by its checksum before anything is trained (exit 10)', async () => {
    const version = await register('tampered');
    const runs = () => readdir(join(storeDir, 'runs')).catch(() => [] as string[]);
    const before = await runs();
    const datasetDir = join(storeDir, layout.datasetVersion(dataset.name, dataset.sha256));
    const train = join(datasetDir, 'train.jsonl');
    const original = await readFile(train);
    const flipped = original.toString('utf8').replace('"label":"negative"', '"label":"positive"');
    expect(flipped).not.toBe(original.toString('utf8'));
    try {
      await writeFile(train, flipped);
      const { code, stdout } = await verify('tampered', String(version));
      const record = JSON.parse(stdout);
      expect(record).toMatchObject({ outcome: 'dataset-refused', rebuiltSha256: null, trainer: null });
      expect(record.summary).toMatch(
        /train\.jsonl: expected [0-9a-f]{64}, got [0-9a-f]{64}.*nothing was trained/,
      );
      expect(code).toBe(10);

      // Also when the dataset's own manifest was edited to match: the content no longer hashes to the
      // sha256 the lineage records.
      const manifestFile = join(datasetDir, 'manifest.json');
      const manifest = JSON.parse(await readFile(manifestFile, 'utf8'));
      const { createHash } = await import('node:crypto');
      manifest.files['train.jsonl'].sha256 = createHash('sha256').update(flipped).digest('hex');
      const originalManifest = await readFile(manifestFile);
      await writeFile(manifestFile, JSON.stringify(manifest));
      try {
        const again = await verify('tampered', String(version));
        expect(JSON.parse(again.stdout)).toMatchObject({ outcome: 'dataset-refused', rebuiltSha256: null });
        expect(JSON.parse(again.stdout).summary).toMatch(`not the ${dataset.sha256} the lineage records`);
        expect(again.code).toBe(10);
      } finally {
        await writeFile(manifestFile, originalManifest);
      }
      // No training job ran: the refused verifications wrote nothing under runs/.
      expect(await runs()).toEqual(before);
    } finally {
      await writeFile(train, original);
    }
    expect((await store.listVerifications('tampered', version)).map((r) => r.outcome)).toEqual([
      'dataset-refused',
      'dataset-refused',
    ]);
  });

  test('a version whose lineage records no dataset is unverifiable (exit 11), not a failure', async () => {
    const version = await register('old', ({ manifest, modelBytes }) => {
      const { dataset: _omitted, ...lineage } = manifest.lineage;
      return { manifest: { ...manifest, lineage: lineage as ModelManifest['lineage'] }, bytes: modelBytes };
    });
    const { code, stdout } = await verify('old', String(version));
    expect(JSON.parse(stdout)).toMatchObject({ outcome: 'unverifiable', rebuiltSha256: null });
    expect(code).toBe(11);
  });

  describe("a team's own trainer (a command under SageMaker's training contract)", () => {
    const script = fileURLToPath(new URL('../../fixtures/trainers/prior_trainer.py', import.meta.url));
    const command = ['/usr/bin/python3', script];

    /** Trains with the command the way a training job does, independently of verify, and registers it. */
    async function registerCommandModel(
      name: string,
      hyperparameters: Record<string, string>,
    ): Promise<number> {
      const root = await mkdtemp(join(dir, 'job-'));
      const stored = await store.getDataset(dataset.name, dataset.sha256);
      await layOutTrainingRoot(root, {
        hyperparameters,
        channels: { train: { 'train.jsonl': stored.train }, test: { 'test.jsonl': stored.test } },
      });
      const outcome = await runTrainingProgram({
        command,
        root,
        environment: sageMakerEnvironment(root, hyperparameters, ['test', 'train']),
        log: () => {},
      });
      expect(outcome).toEqual({ ok: true });
      const manifest = await recordCommandModel(root, {
        name,
        trainer: { type: 'command', command },
        datasetName: dataset.name,
        hyperparameters,
        trainingDurationMs: 1,
      });
      return (await store.registerModel({ name, files: join(root, 'model'), manifest })).version;
    }

    test('a deterministic command trainer verifies: reproducible, exit 0', async () => {
      const version = await registerCommandModel('priors', { noise: '0' });
      const { code, stdout } = await verify('priors', String(version));
      const record = JSON.parse(stdout);
      expect(record).toMatchObject({
        outcome: 'reproducible',
        trainer: { type: 'command', command, image: null },
        differences: [],
      });
      expect(code).toBe(0);
    });

    test('a trainer that is not deterministic is reported as such (exit 9), not hidden', async () => {
      const version = await registerCommandModel('jittery', { noise: '1' });
      const { code, stdout } = await verify('jittery', String(version));
      const record = JSON.parse(stdout);
      expect(record.outcome).toBe('not-deterministic');
      expect(record.summary).toMatch(
        /two rebuilds from the same inputs gave different model\.onnx .*the trainer is not deterministic/,
      );
      expect(record.rebuiltSha256).not.toBe(record.registeredSha256);
      // How far the registered model and the first rebuild are apart on the test split is reported too.
      expect(record.predictions.rows).toBe(dataset.test.length);
      expect(record.predictions.maxProbabilityDiff).toBeGreaterThan(0);
      expect(code).toBe(9);
    });

    test('recorded as run in an image: unverifiable on this machine (exit 11), pointing at --aws', async () => {
      const version = await registerCommandModel('imaged', { noise: '0' }).then(async (v) => {
        const { manifest, files } = await store.getModel('imaged', v);
        const image = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/priors@sha256:${'b'.repeat(64)}`;
        const changed = {
          ...manifest,
          version: null,
          lineage: { ...manifest.lineage, trainer: { type: 'command', command, image } },
        };
        const { 'manifest.json': _m, ...rest } = files;
        return (await store.registerModel({ name: 'imaged', files: rest, manifest: changed })).version;
      });
      const { code, stdout } = await verify('imaged', String(version));
      expect(JSON.parse(stdout)).toMatchObject({ outcome: 'unverifiable', rebuiltSha256: null });
      expect(JSON.parse(stdout).summary).toMatch(/this machine runs no images: verify it with --aws/);
      expect(code).toBe(11);
    });
  });

  test('a version that does not exist: exit 6', async () => {
    expect((await verify('reviews', '99')).code).toBe(6);
  });
});

/**
 * What a user reads when onnxruntime refuses a model file: a real refusal of a real file (a trained
 * model whose ModelProto.ir_version is set past what this onnxruntime supports, and one cut short),
 * loaded the way `slipway predict`, `slipway serve` and the Evaluate step load models.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ModelFileError,
  onnxruntimeVersion,
  openModel,
  ortReason,
  resolveHyperparameters,
  trainModel,
  writeModelDir,
} from '@slipway/training-job';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { syntheticDataset } from '../../helpers/datasets.js';

let dir: string;
let modelBytes: Uint8Array;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-ort-refusal-'));
  const result = await trainModel(syntheticDataset(3, 10), resolveHyperparameters());
  await writeModelDir(join(dir, 'good'), result);
  modelBytes = result.modelBytes;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A model folder holding `bytes` as model.onnx, with a manifest whose sha256 matches them. */
async function folderWith(name: string, bytes: Uint8Array): Promise<string> {
  const target = join(dir, name);
  await writeModelDir(target, await trainModel(syntheticDataset(3, 10), resolveHyperparameters()));
  const manifest = JSON.parse(await readFile(join(target, 'manifest.json'), 'utf8'));
  manifest.files['model.onnx'] = {
    sha256: createHash('sha256').update(bytes).digest('hex'),
    bytes: bytes.length,
  };
  await writeFile(join(target, 'model.onnx'), bytes);
  await writeFile(join(target, 'manifest.json'), JSON.stringify(manifest, null, 2));
  return target;
}

const ADVICE =
  'The file is whole (its sha256 matches the manifest) but is not a model this onnxruntime runs: ' +
  'train it again with this slipway, or serve it with the onnxruntime it was trained with';

describe('onnxruntime refusing a model file', () => {
  test('an IR version it does not support: its reason without the C++ source location and signature', async () => {
    // ModelProto field 1 (ir_version) is the file's first varint: tag 0x08, then one byte.
    expect([modelBytes[0], (modelBytes[1] ?? 0x80) < 0x80]).toEqual([0x08, true]);
    const bytes = Uint8Array.from(modelBytes);
    bytes[1] = 99;
    const folder = await folderWith('future-ir', bytes);
    const error = await openModel(folder).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelFileError);
    expect((error as Error).message).toBe(
      `onnxruntime ${onnxruntimeVersion} cannot load ${join(folder, 'model.onnx')}: ` +
        `Unsupported model IR version: 99, max supported IR version: 13. ${ADVICE}`,
    );
    // What onnxruntime itself said: the assertion with its C++ frame, which the user no longer sees.
    const raw = ((error as Error).cause as Error).message.trimEnd();
    expect(raw).toMatch(
      /^\/onnxruntime_src\/onnxruntime\/core\/graph\/model\.cc:\d+ onnxruntime::Model::Model\(/,
    );
    expect(raw).toMatch(/\) Unsupported model IR version: 99, max supported IR version: 13$/);
  });

  test('a file cut short: the parser refusal, once, with the same advice', async () => {
    const folder = await folderWith('cut', modelBytes.subarray(0, modelBytes.length - 7));
    await expect(openModel(folder)).rejects.toThrow(
      `onnxruntime ${onnxruntimeVersion} cannot load ${join(folder, 'model.onnx')}: ` +
        `Failed to load model because protobuf parsing failed. ${ADVICE}`,
    );
  });

  test('ortReason keeps a message without a C++ frame as it is, and a prefix before the frame', () => {
    expect(ortReason(new Error('Something plain.\nsecond line'))).toBe('Something plain');
    expect(
      ortReason(
        new Error('Load model failed:/onnxruntime_src/a/b.cc:12 void f(const std::string&) const Bad graph'),
      ),
    ).toBe('Load model failed:Bad graph');
  });
});

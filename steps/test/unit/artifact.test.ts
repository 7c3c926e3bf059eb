import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packArchive } from '@slipway/contracts/tar';
import { type ModelStore, openStore } from '@slipway/model-store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putArtifact } from '../../../test-helpers/steps.js';
import { ArtifactError, artifactKey, readArtifact } from '../../src/index.js';

const utf8 = new TextEncoder();
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('artifactKey', () => {
  it.each([
    [
      's3://bucket/prefix',
      's3://bucket/prefix/runs/job-1/output/model.tar.gz',
      'runs/job-1/output/model.tar.gz',
    ],
    [
      's3://bucket/prefix/',
      's3://bucket/prefix/runs/job-1/output/model.tar.gz',
      'runs/job-1/output/model.tar.gz',
    ],
    ['s3://bucket/', 's3://bucket/runs/j/output/model.tar.gz', 'runs/j/output/model.tar.gz'],
    ['file:///srv/store', 'file:///srv/store/runs/j/output/model.tar.gz', 'runs/j/output/model.tar.gz'],
    // One side percent-encodes the space, the other does not: the same folder.
    [
      'file:///srv/my%20store',
      'file:///srv/my store/runs/j/output/model.tar.gz',
      'runs/j/output/model.tar.gz',
    ],
  ])('resolves %s + %s', (store, artifact, key) => {
    expect(artifactKey(store, artifact)).toBe(key);
  });

  it.each([
    ['s3://bucket/prefix', 's3://other/prefix/runs/j/output/model.tar.gz'],
    ['s3://bucket/prefix', 's3://bucket/prefix-2/runs/j/output/model.tar.gz'],
    ['s3://bucket/prefix', 's3://bucket/prefix/runs/../../x/model.tar.gz'],
    ['s3://bucket/prefix', 's3://bucket/prefix/'],
    ['file:///srv/store', 'file:///srv/other/runs/j/output/model.tar.gz'],
    ['file:///srv/store', 's3://bucket/runs/j/output/model.tar.gz'],
  ])('refuses an artifact outside the store: %s + %s', (store, artifact) => {
    expect(() => artifactKey(store, artifact)).toThrow(ArtifactError);
    expect(() => artifactKey(store, artifact)).toThrow(`is not inside the model store ${store}`);
  });
});

describe('readArtifact', () => {
  let root: string;
  let store: ModelStore;
  const model = utf8.encode('not really onnx');
  const manifestFor = (files: Record<string, Uint8Array>, name = 'sentiment') =>
    utf8.encode(
      JSON.stringify({
        schema: 'slipway.model/v1',
        name,
        version: null,
        files: Object.fromEntries(
          Object.entries(files).map(([f, b]) => [f, { sha256: sha(b), bytes: b.length }]),
        ),
      }),
    );

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'slipway-artifact-test-'));
    store = await openStore(`file://${root}`);
  });
  afterAll(async () => {
    await store.close();
    await rm(root, { recursive: true, force: true });
  });

  it('returns the files and the manifest of a well-formed archive', async () => {
    const files = { 'model.onnx': model, 'manifest.json': manifestFor({ 'model.onnx': model }) };
    const uri = await putArtifact(store, 'ok', packArchive(files));
    const artifact = await readArtifact(store, uri, 'sentiment');
    expect(Object.keys(artifact.files).sort()).toEqual(['manifest.json', 'model.onnx']);
    expect(artifact.manifest.name).toBe('sentiment');
    expect(artifact.uri).toBe(uri);
  });

  it('names what is wrong with a broken artifact', async () => {
    const cases: [string, Uint8Array, string][] = [
      ['garbage', Uint8Array.of(0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8), 'cannot be unpacked'],
      ['empty', new Uint8Array(0), 'has no manifest.json (it holds nothing)'],
      ['no-manifest', packArchive({ 'model.onnx': model }), 'has no manifest.json (it holds model.onnx)'],
      [
        'other-model',
        packArchive({ 'model.onnx': model, 'manifest.json': manifestFor({ 'model.onnx': model }, 'spam') }),
        'holds model "spam", not "sentiment"',
      ],
      [
        'tampered',
        packArchive({
          'model.onnx': utf8.encode('changed'),
          'manifest.json': manifestFor({ 'model.onnx': model }),
        }),
        `is corrupt: model.onnx has sha256 ${sha(utf8.encode('changed'))}, its manifest expects ${sha(model)}`,
      ],
      [
        'missing-file',
        packArchive({
          'model.onnx': model,
          'manifest.json': manifestFor({ 'model.onnx': model, 'metrics.json': model }),
        }),
        'metrics.json has sha256 none (the file is missing)',
      ],
    ];
    for (const [job, bytes, message] of cases) {
      const uri = await putArtifact(store, job, bytes);
      const error = await readArtifact(store, uri, 'sentiment').catch((e: unknown) => e);
      expect(error, job).toBeInstanceOf(ArtifactError);
      expect((error as Error).name).toBe('ArtifactError');
      expect((error as Error).message, job).toContain(message);
      expect((error as Error).message, job).toContain(uri);
    }
  });

  it('reports an artifact that was never written', async () => {
    const uri = `${store.backend.uri}/runs/never/output/model.tar.gz`;
    await expect(readArtifact(store, uri, 'sentiment')).rejects.toThrow(
      `no artifact at ${uri}: the training job did not write one`,
    );
  });
});

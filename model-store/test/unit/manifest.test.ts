import { CorruptManifestError, InvalidManifestError, lineageIds } from '@slipway/model-store';
import { describe, expect, it } from 'vitest';
import { trainingManifest } from '../../../test-helpers/store-fixtures.js';
import { parseStoredManifest, validateIncomingManifest } from '../../src/manifest.js';

const encode = (value: unknown) =>
  new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));

describe('incoming manifests', () => {
  it('keeps every field, fills name and schema, and leaves the input untouched', () => {
    const input = { lineage: { executionId: 'e' }, custom: [1, 2] };
    const out = validateIncomingManifest(input, 'spam');
    expect(out).toEqual({
      name: 'spam',
      schema: 'slipway.model/v1',
      lineage: { executionId: 'e' },
      custom: [1, 2],
    });
    expect(input).toEqual({ lineage: { executionId: 'e' }, custom: [1, 2] });
  });

  it.each([
    [[], /is not a JSON object/],
    [{ name: 'other' }, /"name" is "other" but the model is "spam"/],
    [{ version: 2 }, /"version" is 2; leave it null/],
    [{ schema: 'x/v9' }, /schema is "x\/v9", expected "slipway.model\/v1"/],
    [{ lineage: { pullRequest: '7' } }, /lineage.pullRequest is not a number or null/],
    [{ lineage: { dataset: 'sentiment' } }, /lineage.dataset is not \{name, sha256\}/],
    [
      { files: { 'model.onnx': { sha256: 'short', bytes: 1 } } },
      /files\["model.onnx"\] is not \{sha256: <64 hex>, bytes: <number>\}/,
    ],
  ])('refuses %j', (manifest, message) => {
    expect(() => validateIncomingManifest(manifest, 'spam')).toThrow(InvalidManifestError);
    expect(() => validateIncomingManifest(manifest, 'spam')).toThrow(message);
  });
});

describe('stored manifests', () => {
  const stored = {
    ...trainingManifest('spam'),
    version: 4,
    files: { 'model.onnx': { sha256: 'a'.repeat(64), bytes: 3 } },
  };

  it('parses a manifest that belongs where it was found', () => {
    expect(parseStoredManifest(encode(stored), 'k', 'spam', 4).version).toBe(4);
  });

  it.each([
    ['{"name":', /cannot be read: it is not valid JSON/],
    ['[1]', /it is not a JSON object/],
    [JSON.stringify({ ...stored, version: 5 }), /"version" is 5, expected 4/],
    [JSON.stringify({ ...stored, name: 'ham' }), /"name" is "ham", expected "spam"/],
    [JSON.stringify({ ...stored, files: undefined }), /"files" is not an object/],
  ])('reports %s as a corrupt record naming its key', (body, message) => {
    expect(() =>
      parseStoredManifest(encode(body), 'models/spam/versions/4/manifest.json', 'spam', 4),
    ).toThrow(CorruptManifestError);
    expect(() =>
      parseStoredManifest(encode(body), 'models/spam/versions/4/manifest.json', 'spam', 4),
    ).toThrow(/^the record at models\/spam\/versions\/4\/manifest.json cannot be read: /);
    expect(() => parseStoredManifest(encode(body), 'k', 'spam', 4)).toThrow(message);
  });

  it('reads lineage ids, tolerating missing ones', () => {
    expect(
      lineageIds(trainingManifest('spam', { gitCommit: 'c', pullRequest: 3, executionId: 'e' })),
    ).toEqual({
      gitCommit: 'c',
      pullRequest: 3,
      executionId: 'e',
      datasetName: 'sentiment',
      datasetSha256: 'a'.repeat(64),
    });
    expect(lineageIds({})).toEqual({
      gitCommit: null,
      pullRequest: null,
      executionId: null,
      datasetName: null,
      datasetSha256: null,
    });
  });
});

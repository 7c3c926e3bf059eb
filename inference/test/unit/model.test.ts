import { describe, expect, it } from 'vitest';
import { loadModel, ModelLoadError, SelfTestFailedError } from '../../src/index.js';
import { type FakeClassifier, fakeOpener } from '../helpers/fake-classifier.js';

describe('loadModel', () => {
  it('serves a model whose self-test passes, with name and version from the manifest', async () => {
    const created: FakeClassifier[] = [];
    const model = await loadModel('/m/3', { open: fakeOpener({ '/m/3': {} }, created) });
    expect(model.info).toEqual({ name: 'sentiment', version: 3 });
    expect(model.classes).toEqual(['neg', 'pos']);
    expect(created[0]?.calls).toEqual([['a good phone', 'it broke']]);
    expect(await model.predict(['good', 'bad'])).toEqual([
      { label: 'pos', probabilities: { neg: 0.25, pos: 0.75 } },
      { label: 'neg', probabilities: { neg: 0.75, pos: 0.25 } },
    ]);
    expect(model.loadMs).toBeGreaterThan(0);
  });

  it('answers an empty batch with [] without calling the classifier', async () => {
    const created: FakeClassifier[] = [];
    const model = await loadModel('/m/3', { open: fakeOpener({ '/m/3': {} }, created) });
    expect(await model.predict([])).toEqual([]);
    expect(created[0]?.calls).toHaveLength(1); // the self-test only
  });

  it('refuses a model whose self-test label differs, naming text, expected and actual, and closes it', async () => {
    const created: FakeClassifier[] = [];
    const open = fakeOpener(
      { '/m/4': { version: 4, selfTest: [{ text: 'İstanbul ΣΟΦΟΣ', label: 'pos' }] } },
      created,
    );
    const error = await loadModel('/m/4', { open }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SelfTestFailedError);
    const failure = error as SelfTestFailedError;
    expect(failure.name).toBe('SelfTestFailedError');
    expect(failure.text).toBe('İstanbul ΣΟΦΟΣ');
    expect(failure.expected).toBe('pos');
    expect(failure.actual).toBe('neg');
    expect(failure.message).toContain(
      'model sentiment v4 in /m/4 failed its start-up self-test: "İstanbul ΣΟΦΟΣ" should be "pos" but this host predicts "neg"',
    );
    expect(created[0]?.closed).toBe(true);
  });

  it('refuses a manifest without self-test texts', async () => {
    const open = fakeOpener({ '/m/5': { selfTest: [] } });
    await expect(loadModel('/m/5', { open })).rejects.toThrow(
      /model sentiment v3 in \/m\/5 has no self-test texts in manifest.json/,
    );
  });

  it('wraps an opening failure in ModelLoadError with the cause', async () => {
    const error = (await loadModel('/missing', { open: fakeOpener({}) }).catch(
      (e: unknown) => e,
    )) as ModelLoadError;
    expect(error).toBeInstanceOf(ModelLoadError);
    expect(error.message).toBe('cannot load the model in /missing: /missing/manifest.json cannot be read');
    expect((error.cause as Error).message).toBe('/missing/manifest.json cannot be read');
  });

  it('passes one intra-op thread and the run batch size to the opener', async () => {
    const seen: unknown[] = [];
    const inner = fakeOpener({ '/m/3': {} });
    await loadModel('/m/3', {
      open: (dir, options) => {
        seen.push(options);
        return inner(dir, options);
      },
      maxRunBatch: 16,
    });
    expect(seen).toEqual([{ intraOpNumThreads: 1, maxBatch: 16 }]);
  });
});

import { describe, expect, it } from 'vitest';
import { loadModel, ModelHolder, type ServedModel } from '../../src/index.js';
import { type FakeClassifier, fakeOpener } from '../helpers/fake-classifier.js';

async function twoModels(): Promise<{ a: ServedModel; b: ServedModel; created: FakeClassifier[] }> {
  const created: FakeClassifier[] = [];
  const open = fakeOpener({ a: { version: 1 }, b: { version: 2 } }, created);
  return { a: await loadModel('a', { open }), b: await loadModel('b', { open }), created };
}

describe('ModelHolder', () => {
  it('swaps at once for new requests and closes the old model only after its in-flight request ends', async () => {
    const { a, b, created } = await twoModels();
    const holder = new ModelHolder(a);
    let open!: () => void;
    (created[0] as FakeClassifier).gate = new Promise((resolve) => {
      open = resolve;
    });
    const lease = holder.acquire();
    const inflight = lease.model.predict(['good']);

    const swapped = holder.swap(b);
    expect(holder.current.info.version).toBe(2);
    expect(created[0]?.closed).toBe(false);

    open();
    expect(await inflight).toEqual([{ label: 'pos', probabilities: { neg: 0.25, pos: 0.75 } }]);
    expect(created[0]?.closed).toBe(false);
    holder.release(lease);
    await swapped;
    expect(created[0]?.closed).toBe(true);
    expect(created[1]?.closed).toBe(false);
  });

  it('closes an idle replaced model immediately', async () => {
    const { a, b, created } = await twoModels();
    const holder = new ModelHolder(a);
    await holder.swap(b);
    expect(created[0]?.closed).toBe(true);
  });

  it('close waits for in-flight requests, then closes the current model; later swaps close the offer', async () => {
    const { a, b, created } = await twoModels();
    const holder = new ModelHolder(a);
    const lease = holder.acquire();
    const closing = holder.close();
    expect(holder.isClosed).toBe(true);
    expect(created[0]?.closed).toBe(false);
    holder.release(lease);
    await closing;
    expect(created[0]?.closed).toBe(true);
    await holder.swap(b);
    expect(created[1]?.closed).toBe(true);
    expect(holder.current.info.version).toBe(1);
  });
});

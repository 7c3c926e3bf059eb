import { classChanges, reviewReport, topConfusions } from '@slipway/steps';
import { describe, expect, it } from 'vitest';

const metrics = (classes: string[], f1: number[], confusion: number[][]) => ({
  accuracy: 0.8,
  macroF1: 0.8,
  logLoss: 0.5,
  classes,
  confusion,
  rows: confusion.flat().reduce((a, b) => a + b, 0),
  perClass: Object.fromEntries(
    classes.map((c, i) => [
      c,
      {
        precision: f1[i] ?? 0,
        recall: f1[i] ?? 0,
        f1: f1[i] ?? 0,
        support: (confusion[i] ?? []).reduce((a, b) => a + b, 0),
      },
    ]),
  ),
});

const candidate = metrics(
  ['a', 'b', 'c'],
  [0.9, 0.5, 0.8],
  [
    [9, 1, 0],
    [4, 5, 1],
    [0, 2, 8],
  ],
);
const production = metrics(
  ['a', 'b', 'c'],
  [0.7, 0.6, 0.8],
  [
    [7, 3, 0],
    [3, 6, 1],
    [0, 2, 8],
  ],
);

describe('the review of a report', () => {
  it('puts the classes whose F1 moved most first, production beside the candidate', () => {
    const classes = classChanges({
      candidate: { metrics: candidate },
      production: { metrics: production },
    } as never);
    expect(classes.map((c) => [c.class, c.deltaF1 === null ? null : Number(c.deltaF1.toFixed(3))])).toEqual([
      ['a', 0.2],
      ['b', -0.1],
      ['c', 0],
    ]);
    expect(classes[0]).toMatchObject({ support: 10, production: { f1: 0.7 } });
  });

  it('without production, the weakest class first', () => {
    const classes = classChanges({ candidate: { metrics: candidate }, production: null } as never);
    expect(classes.map((c) => c.class)).toEqual(['b', 'c', 'a']);
    expect(classes.every((c) => c.production === null && c.deltaF1 === null)).toBe(true);
  });

  it('lists the largest confusions with their share of the true class and production count', () => {
    expect(topConfusions(candidate, 2, production)).toEqual([
      { actual: 'b', predicted: 'a', count: 4, support: 10, rate: 0.4, productionCount: 3 },
      { actual: 'c', predicted: 'b', count: 2, support: 10, rate: 0.2, productionCount: 2 },
    ]);
    // A class production never saw counts as 0 there; without production the count is null.
    const other = metrics(
      ['a', 'z'],
      [1, 1],
      [
        [1, 0],
        [0, 1],
      ],
    );
    expect(topConfusions(candidate, 1, other)[0]?.productionCount).toBe(0);
    expect(topConfusions(candidate, 1)[0]?.productionCount).toBeNull();
  });

  it('counts the classes that got better and worse', () => {
    const review = reviewReport({
      candidate: { metrics: candidate },
      production: { metrics: production },
    } as never);
    expect([review.improved, review.worsened, review.confusions.length]).toEqual([1, 1, 4]);
  });

  it('handles a class named __proto__ as a class', () => {
    const odd = metrics(
      ['__proto__', 'b'],
      [0.5, 0.9],
      [
        [1, 1],
        [0, 2],
      ],
    );
    expect(
      classChanges({ candidate: { metrics: odd }, production: null } as never).map((c) => [
        c.class,
        c.candidate.f1,
      ]),
    ).toEqual([
      ['__proto__', 0.5],
      ['b', 0.9],
    ]);
  });
});

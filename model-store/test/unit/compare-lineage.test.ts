import { compareLineage } from '@slipway/model-store';
import { describe, expect, it } from 'vitest';

const lineage = (over: Record<string, unknown> = {}) => ({
  gitCommit: 'a1b2c3d4e5f6a7b8',
  pullRequest: 12,
  dataset: { name: 'tickets', sha256: 'a'.repeat(64) },
  hyperparameters: { C: 10, analyzer: 'word', ngramMax: 2 },
  trainerVersion: '0.1.0',
  ...over,
});

describe('compareLineage', () => {
  it('lists dataset, commit, pull request, trainer, then every hyperparameter by name', () => {
    const c = compareLineage({ version: 2, lineage: lineage() }, null);
    expect(c.rows.map((r) => [r.label, r.candidate])).toEqual([
      ['dataset', `tickets ${'a'.repeat(12)}`],
      ['commit', 'a1b2c3d4e5f6'],
      ['pull request', '#12'],
      ['trainer', '0.1.0'],
      ['analyzer', 'word'],
      ['C', '10'],
      ['ngramMax', '2'],
    ]);
    // Without production nothing is "changed": there is nothing to differ from.
    expect(c).toMatchObject({ candidateVersion: 2, productionVersion: null, changed: [] });
  });

  it('marks what differs from production, including a hyperparameter only one side has', () => {
    const c = compareLineage(
      {
        version: 2,
        lineage: lineage({ hyperparameters: { C: 20, analyzer: 'word', ngramMax: 2, minDf: 3 } }),
      },
      {
        version: 1,
        lineage: lineage({ dataset: { name: 'tickets', sha256: 'b'.repeat(64) }, pullRequest: null }),
      },
    );
    expect(c.changed.map((r) => [r.key, r.production, r.candidate])).toEqual([
      ['dataset', `tickets ${'b'.repeat(12)}`, `tickets ${'a'.repeat(12)}`],
      ['pullRequest', null, '#12'],
      ['hp.C', '10', '20'],
      ['hp.minDf', null, '3'],
    ]);
    expect(c.rows.find((r) => r.key === 'hp.analyzer')).toMatchObject({ changed: false });
  });

  it('reads old manifests that lack lineage, and hyperparameters named like Object.prototype members', () => {
    const c = compareLineage(
      { version: 3, lineage: lineage({ hyperparameters: { constructor: 'x', toString: 1 } }) },
      { version: 1, lineage: null },
    );
    expect(c.changed.map((r) => r.key)).toEqual([
      'dataset',
      'commit',
      'pullRequest',
      'trainer',
      'hp.constructor',
      'hp.toString',
    ]);
  });
});

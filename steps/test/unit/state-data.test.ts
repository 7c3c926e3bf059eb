import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readStateData, STATE_DATA_WRITERS } from '../../src/index.js';

const definition = JSON.parse(
  readFileSync(new URL('../../../contracts/state-machine.asl.json', import.meta.url), 'utf8'),
) as { States: Record<string, { ResultPath?: string }> };

const report = {
  reportKey: 'executions/x/evaluation.json',
  verdict: { passed: false, reasons: ['accuracy 0.5 < 0.6'], summary: 'failed' },
  candidate: { accuracy: 0.5, macroF1: 0.49, perClassF1: { positive: 0.5, negative: 0.48 } },
  production: null,
  samples: [],
};

describe('state data', () => {
  it('each key is where its states put their result (ResultPath), and only they', () => {
    const byPath = new Map<string, string[]>();
    for (const [state, s] of Object.entries(definition.States)) {
      if (s.ResultPath) byPath.set(s.ResultPath, [...(byPath.get(s.ResultPath) ?? []), state]);
    }
    for (const [key, states] of Object.entries(STATE_DATA_WRITERS))
      expect([key, [...states].sort()]).toEqual([key, (byPath.get(`$.${key}`) ?? []).sort()]);
  });

  it('reads what the states wrote, typed, and null for what is absent or malformed', () => {
    const data = readStateData({
      training: { jobName: 'sentiment-r1', artifact: 's3://b/runs/sentiment-r1/output/model.tar.gz' },
      evaluation: { report },
      registration: { version: 4, created: true },
      approval: { approvedBy: 'ana', comment: 'ok', decidedAt: '2025-03-01T12:00:00Z' },
      promotion: { version: 4, previous: 3, endpoint: null, restore: null, canary: 'skipped' },
      smokeTest: { passed: false, failures: [{ text: 'x' }] },
    });
    expect(data).toEqual({
      training: { jobName: 'sentiment-r1' },
      evaluation: report,
      registration: { version: 4, created: true },
      approval: { approvedBy: 'ana', comment: 'ok' },
      promotion: { version: 4, previous: 3, endpoint: null },
      smokeTest: { passed: false, failures: [{ text: 'x' }] },
    });
    const none = {
      training: null,
      evaluation: null,
      registration: null,
      approval: null,
      promotion: null,
      smokeTest: null,
    };
    expect(readStateData(undefined)).toEqual(none);
    expect(readStateData('text')).toEqual(none);
    expect(
      readStateData({ registration: { version: '4' }, evaluation: { report: { reportKey: 1 } } }),
    ).toEqual(none);
    // An inherited member is not the state's data.
    expect(readStateData(Object.create({ registration: { version: 4, created: true } }))).toEqual(none);
  });
});

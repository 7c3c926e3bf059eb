import { layoutDefinition, transitions } from '@slipway/console';
import { readDefinitionText } from '@slipway/runner-local';
import { describe, expect, test } from 'vitest';

const definition = JSON.parse(readDefinitionText());
const HAPPY_PATH = [
  'Train',
  'TrainOnSageMaker',
  'Evaluate',
  'Gate',
  'Register',
  'Approval',
  'Promote',
  'SmokeTest',
  'SmokeTestPassed',
  'Done',
];

describe('the state machine drawn from contracts/state-machine.asl.json', () => {
  const layout = layoutDefinition(definition);
  const node = (id: string) => {
    const n = layout.nodes.find((x) => x.id === id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  };

  test('has one node per state and every transition of the definition', () => {
    expect(layout.nodes.map((n) => n.id).sort()).toEqual(Object.keys(definition.States).sort());
    const edges = layout.edges.map((e) => `${e.from}->${e.to}:${e.kind}:${e.label}`);
    expect(edges).toContain('Gate->Register:choice:$.evaluation.report.verdict.passed = true');
    expect(edges).toContain('Gate->EvaluationFailedGate:default:otherwise');
    expect(edges).toContain('Approval->RecordRejection:catch:Rejected');
    expect(layout.edges.filter((e) => e.from === 'RecordRejection' && e.to === 'Rejected')).toHaveLength(1);
    expect(edges).toContain('Approval->ApprovalTimedOut:catch:States.Timeout');
    expect(edges).toContain(
      'Train->TrainingTaskDefinition:choice:$.compute = "fargate"; $.compute absent and $.trainer = "fargate"',
    );
    // RollBack reaches PromotionFailed by Next and by Catch: one edge, both reasons kept.
    expect(layout.edges.filter((e) => e.from === 'RollBack' && e.to === 'PromotionFailed')).toHaveLength(1);
    expect(layout.edges).toHaveLength(transitions(definition).length);
  });

  test('draws the happy path as one straight column, top to bottom', () => {
    const xs = new Set(HAPPY_PATH.map((s) => node(s).x));
    expect([...xs]).toEqual([node('Train').x]);
    const ys = HAPPY_PATH.map((s) => node(s).y);
    expect([...ys].sort((a, b) => a - b)).toEqual(ys);
    expect(new Set(ys).size).toBe(ys.length);
  });

  test('places every state below the states that lead to it, with no two states overlapping', () => {
    for (const e of layout.edges)
      expect(node(e.to).y, `${e.from} -> ${e.to}`).toBeGreaterThan(node(e.from).y);
    for (const a of layout.nodes) {
      for (const b of layout.nodes) {
        if (a === b) continue;
        const apart =
          a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
        expect(apart, `${a.id} overlaps ${b.id}`).toBe(true);
      }
    }
    for (const n of layout.nodes) {
      expect(n.x + n.width).toBeLessThanOrEqual(layout.width);
      expect(n.y + n.height).toBeLessThanOrEqual(layout.height);
    }
  });

  test('runs each edge from the bottom of its source to the top of its target', () => {
    for (const e of layout.edges) {
      const from = node(e.from);
      const to = node(e.to);
      expect(e.points[0]).toEqual([from.x + from.width / 2, from.y + from.height]);
      expect(e.points.at(-1)).toEqual([to.x + to.width / 2, to.y]);
    }
  });
});

test('a definition with a loop is drawn, the loop going back up', () => {
  const layout = layoutDefinition({
    StartAt: 'Poll',
    States: {
      Poll: { Type: 'Task', Next: 'Ready' },
      Ready: {
        Type: 'Choice',
        Choices: [{ Variable: '$.done', BooleanEquals: true, Next: 'End' }],
        Default: 'Poll',
      },
      End: { Type: 'Succeed' },
    },
  });
  const y = (id: string) => layout.nodes.find((n) => n.id === id)?.y ?? -1;
  expect(y('Poll')).toBeLessThan(y('Ready'));
  expect(y('Ready')).toBeLessThan(y('End'));
  const back = layout.edges.find((e) => e.from === 'Ready' && e.to === 'Poll');
  expect(back?.points).toHaveLength(2);
  expect(back?.points[1]?.[1]).toBeLessThan(back?.points[0]?.[1] ?? 0);
});

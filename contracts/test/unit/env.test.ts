// The definition is JSON and cannot import the names: this holds the variables it gives the training
// container to the contract the trainer reads them from.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENV, FUNCTION_ENV, REBUILD_ENV, TRAINING_ENV } from '../../src/index.js';

interface TaskState {
  readonly Type: string;
  readonly Resource?: string;
  readonly Parameters?: {
    readonly Environment?: Record<string, unknown>;
    readonly Overrides?: { readonly ContainerOverrides?: { readonly Environment?: { Name: string }[] }[] };
  };
}
const definition = JSON.parse(
  readFileSync(new URL('../../state-machine.asl.json', import.meta.url), 'utf8'),
) as { States: Record<string, TaskState> };
const tasks = (resource: string) =>
  Object.values(definition.States).filter((s) => s.Type === 'Task' && s.Resource?.includes(resource));

describe('environment names', () => {
  it('SageMaker training gets exactly TRAINING_ENV.sagemaker (`Name.$` keys are the names with a path)', () => {
    const states = tasks(':sagemaker:createTrainingJob');
    expect(states).toHaveLength(1);
    for (const state of states) {
      const names = Object.keys(state.Parameters?.Environment ?? {}).map((key) => key.replace(/\.\$$/, ''));
      expect(names.sort()).toEqual([...TRAINING_ENV.sagemaker].sort());
    }
  });

  it('Fargate training gets exactly TRAINING_ENV.fargate, in its one container override', () => {
    const states = tasks(':ecs:runTask');
    expect(states).toHaveLength(1);
    for (const state of states) {
      const overrides = state.Parameters?.Overrides?.ContainerOverrides ?? [];
      expect(overrides).toHaveLength(1);
      const names = (overrides[0]?.Environment ?? []).map((e) => e.Name);
      expect(names.sort()).toEqual([...TRAINING_ENV.fargate].sort());
    }
  });

  it('no other state of the definition sets an environment', () => {
    const withEnvironment = Object.entries(definition.States)
      .filter(([, s]) => JSON.stringify(s).includes('"Environment"'))
      .map(([name]) => name);
    expect(withEnvironment.sort()).toEqual(['TrainOnFargate', 'TrainOnSageMaker']);
  });

  it('each name is declared once, and every function list names declared variables only', () => {
    const names = Object.values(ENV);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[A-Z][A-Z0-9_]*$/);
    const listed = [
      ...Object.values(FUNCTION_ENV).flatMap((f) => [...f.required, ...f.optional]),
      ...TRAINING_ENV.fargate,
      ...TRAINING_ENV.sagemaker,
      ...REBUILD_ENV,
    ];
    for (const name of listed) expect(names).toContain(name);
    // Every declared name is set or read somewhere the contract says.
    for (const name of names) expect(listed).toContain(name);
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ModelStore, openStore } from '@slipway/model-store';
import { DefinitionError, ExecutionInputError, LocalRuntime, newExecutionId } from '@slipway/runner-local';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

let dir: string;
let store: ModelStore;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-runtime-'));
  store = await openStore(`file://${dir}`);
});
afterAll(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const definition = (task: object) =>
  JSON.stringify({ StartAt: 'A', States: { A: { Type: 'Task', TimeoutSeconds: 5, End: true, ...task } } });

describe('LocalRuntime', () => {
  test('refuses, before anything starts, a Task it cannot map', () => {
    const make = () =>
      new LocalRuntime({
        store,
        functions: {},
        definitionText: definition({ Resource: 'arn:aws:states:::glue:startJobRun.sync' }),
        substitutions: {},
      });
    expect(make).toThrow(DefinitionError);
    expect(make).toThrow(/A uses glue:startJobRun \(sync\), which the local runtime cannot run/);
  });

  test('refuses a lambda:invoke whose function has no local handler', () => {
    expect(
      () =>
        new LocalRuntime({
          store,
          functions: { other: async () => ({}) },
          definitionText: definition({
            Resource: 'arn:aws:states:::lambda:invoke',
            Parameters: { FunctionName: 'missing', Payload: {} },
          }),
          substitutions: {},
        }),
    ).toThrow(/A invokes missing, which has no local handler/);
  });

  test('refuses a bad execution input with every problem named, and records nothing', async () => {
    const runtime = new LocalRuntime({
      store,
      functions: { f: async () => ({}) },
      definitionText: definition({
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: { FunctionName: 'f' },
      }),
      substitutions: {},
    });
    const id = newExecutionId();
    const error = await runtime
      .start(
        { model: 'Bad Name', runId: 'r', dataset: { name: 'd', sha256: 'nope' }, compute: 'gpu' } as never,
        id,
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExecutionInputError);
    expect((error as Error).message).toMatch(/model: use 1-40 lowercase letters/);
    expect((error as Error).message).toMatch(/dataset\.sha256: expected 64 lowercase hex digits/);
    expect((error as Error).message).toMatch(/compute: /);
    expect(await store.executions(id).list()).toEqual([]);
  });

  test('execution ids sort by time and fit SageMaker job names', () => {
    const a = newExecutionId(new Date('2026-01-02T03:04:05Z'));
    expect(a).toMatch(/^20260102t030405-[0-9a-f]{6}$/);
    expect(`sentiment-${a}`.length).toBeLessThanOrEqual(63);
  });
});

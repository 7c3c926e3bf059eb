import * as inference from '@slipway/inference';
import * as modelStore from '@slipway/model-store';
import * as runnerAws from '@slipway/runner-aws';
import * as runnerLocal from '@slipway/runner-local';
import * as steps from '@slipway/steps';
import * as trainingJob from '@slipway/training-job';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';

import {
  EXIT_CODE_HELP,
  EXIT_CODES,
  ExitStatus,
  exitNameForError,
  exitNameForExecution,
  UsageError,
} from '../../src/exit-codes.js';
import { runProgram } from '../../src/main.js';

/** The base classes that are never raised themselves (each subclass carries its own code). */
const ABSTRACT = new Set(['StepError', 'InferenceError']);

/** Every Error class a package exports, but the abstract bases. */
function errorClasses(module: Record<string, unknown>): [string, new (...args: never[]) => Error][] {
  return Object.entries(module).filter(
    (entry): entry is [string, new (...args: never[]) => Error] =>
      typeof entry[1] === 'function' && entry[1].prototype instanceof Error && !ABSTRACT.has(entry[0]),
  );
}

describe('exit codes', () => {
  it('every error class the parts export carries a code the table maps (a new family must be added)', () => {
    const classes = [
      ...errorClasses(modelStore),
      ...errorClasses(trainingJob),
      ...errorClasses(inference),
      ...errorClasses(steps),
      ...errorClasses(runnerAws),
      ...errorClasses(runnerLocal),

      ['UsageError', UsageError],
    ] as [string, new (...args: unknown[]) => Error][];
    expect(classes.length).toBeGreaterThan(25);
    for (const [name, Class] of classes) {
      // Constructors differ; one of these argument lists builds each.
      const error =
        [
          ['message', 'x', 'y', 'z', 'w'],
          ['step', []],
        ]
          .map((args) => {
            try {
              return new Class(...args);
            } catch {
              return undefined;
            }
          })
          .find((e) => e !== undefined) ?? new Error(`cannot build ${name}`);
      expect({ name, exit: exitNameForError(error) }).not.toEqual({ name, exit: 'internal' });
    }
  });

  it('maps by code, not by class name: a TypeError or a look-alike name is a bug', () => {
    expect(exitNameForError(new modelStore.NotFoundError('gone', 'model'))).toBe('notFound');
    expect(exitNameForError(new modelStore.ConflictError('moved'))).toBe('conflict');
    expect(exitNameForError(new runnerLocal.ExecutionStateError('decided'))).toBe('conflict');
    expect(exitNameForError(new UsageError('both'))).toBe('usage');
    expect(exitNameForError(new TypeError('x is undefined'))).toBe('internal');
    expect(exitNameForError(Object.assign(new Error('x'), { name: 'DataError' }))).toBe('internal');
    expect(exitNameForError('a string')).toBe('internal');
    // A failed system call (missing file, port in use) is the environment's problem, not a bug.
    expect(exitNameForError(Object.assign(new Error('ENOENT'), { code: 'ENOENT', syscall: 'open' }))).toBe(
      'failed',
    );
    expect(exitNameForError(Object.assign(new Error('x'), { code: 'toString' }))).toBe('internal');
  });

  it('maps an execution by its terminal state', () => {
    const ended = (status: string, finalState: string | null) => exitNameForExecution({ status, finalState });
    expect(ended('SUCCEEDED', 'Done')).toBe('succeeded');
    expect(ended('FAILED', 'EvaluationFailedGate')).toBe('gateFailed');
    expect(ended('FAILED', 'Rejected')).toBe('rejected');
    for (const state of ['TrainingFailed', 'PromotionRefused', 'PromotionFailed', 'RegistrationFailed'])
      expect(ended('FAILED', state)).toBe('executionFailed');
    expect(ended('ABORTED', null)).toBe('executionFailed');
    expect(ended('TIMED_OUT', 'Approval')).toBe('executionFailed');
  });

  it('documents every code once, each number distinct', () => {
    expect(Object.keys(EXIT_CODE_HELP).sort()).toEqual(Object.keys(EXIT_CODES).sort());
    expect(new Set(Object.values(EXIT_CODES)).size).toBe(Object.keys(EXIT_CODES).length);
  });

  it('an unknown error exits internal with its message, and a known one exits by its code: never a crash', async () => {
    const run = async (error: unknown) => {
      let stderr = '';
      const write = (s: string) => {
        stderr += s;
        return true;
      };
      const io = { stdout: process.stdout, stderr: { write } };
      const program = new Command('slipway').exitOverride().action(() => {
        throw error;
      });
      const code = await runProgram(program, ['node', 'slipway'], io as never, new ExitStatus());
      return { code, stderr };
    };
    const bug = await run(new TypeError('cannot read properties of undefined'));
    expect(bug.code).toBe(EXIT_CODES.internal);
    expect(bug.stderr).toMatch(/^internal error: TypeError: cannot read properties of undefined\n {4}at /);
    const thrown = await run('a string');
    expect(thrown.code).toBe(EXIT_CODES.internal);
    expect(thrown.stderr).toMatch(/^internal error: Error: a string\n/);
    const gone = await run(new modelStore.NotFoundError('model "x" does not exist', 'model'));
    expect(gone).toEqual({ code: EXIT_CODES.notFound, stderr: 'error: model "x" does not exist\n' });
  });
});

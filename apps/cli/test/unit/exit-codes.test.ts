import * as inference from '@slipway/inference';
import * as modelStore from '@slipway/model-store';
import * as runnerAws from '@slipway/runner-aws';
import * as runnerLocal from '@slipway/runner-local';
import * as steps from '@slipway/steps';
import * as trainingJob from '@slipway/training-job';
import { describe, expect, it } from 'vitest';

import {
  EXIT_CODE_HELP,
  EXIT_CODES,
  exitNameForError,
  exitNameForExecution,
  UsageError,
} from '../../src/exit-codes.js';

/** Every Error class a package exports. */
function errorClasses(module: Record<string, unknown>): [string, new (...args: never[]) => Error][] {
  return Object.entries(module).filter(
    (entry): entry is [string, new (...args: never[]) => Error] =>
      typeof entry[1] === 'function' && entry[1].prototype instanceof Error,
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
});

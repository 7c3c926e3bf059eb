import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ERROR_CODES,
  type ErrorCode,
  type ErrorMapping,
  EXIT_CODES,
  errorMapping,
  exitNameForError,
  httpStatusForError,
} from '../../src/errors.js';
import { ROOT, sourceFiles, WORKSPACES } from '../helpers/workspaces.js';

const sources = WORKSPACES.flatMap((w) => [
  ...sourceFiles(join(ROOT, w, 'src')),
  ...sourceFiles(join(ROOT, w, 'web')),
]).map((path) => ({ path: relative(ROOT, path), text: readFileSync(path, 'utf8') }));

/** Every `code = 'SLIPWAY_…'` an error class declares, with the class that declares it. */
const declared = sources.flatMap(({ path, text }) =>
  [...text.matchAll(/readonly code(?::\s*\w+)?\s*=\s*'([A-Z_]+)'/g)].map((m) => {
    const before = text.slice(0, m.index);
    const owner = [...before.matchAll(/class (\w+) extends/g)].at(-1)?.[1];
    return { code: m[1] as string, owner: owner ?? '?', path };
  }),
);

describe('the error table', () => {
  it('holds exactly the codes the product declares: none missing, none left over', () => {
    expect(declared.length).toBeGreaterThan(35);
    const codes = new Set(declared.map((d) => d.code));
    expect([...codes].sort()).toEqual(Object.keys(ERROR_CODES).sort());
    // One class per code, so a code names one thing that went wrong.
    const owners = new Map<string, string>();
    for (const d of declared) {
      expect({ code: d.code, owner: owners.get(d.code) ?? d.owner }).toEqual({
        code: d.code,
        owner: d.owner,
      });
      owners.set(d.code, d.owner);
    }
  });

  it('every code is raised somewhere: its class is constructed in the product source', () => {
    for (const { owner, code } of declared) {
      const raised = sources.some(({ text }) => text.includes(`new ${owner}(`));
      expect({ code, owner, raised }).toEqual({ code, owner, raised: true });
    }
  });

  it('maps consistently: not found is 404 and exit 6, conflicts 409 and exit 7, usage 400', () => {
    const outcomes = ['succeeded', 'executionFailed', 'gateFailed', 'rejected', 'interrupted', 'internal'];
    for (const [code, { status, exit }] of Object.entries(ERROR_CODES as Record<string, ErrorMapping>)) {
      const row = { code, status, exit };
      expect(status >= 400 && status <= 599, `${code}: ${status}`).toBe(true);
      // An error is never an execution's outcome, and a code in the table is never a bug.
      expect(outcomes, code).not.toContain(exit);
      expect(Object.hasOwn(EXIT_CODES, exit), code).toBe(true);
      if (exit === 'notFound' || status === 404) expect(row).toMatchObject({ status: 404, exit: 'notFound' });
      if (exit === 'conflict') expect(row).toMatchObject({ status: 409 });
      if (exit === 'usage') expect(row).toMatchObject({ status: 400 });
      if (status >= 500) expect(row).toMatchObject({ exit: 'failed' });
    }
  });

  it('maps an error by its code, whatever its class or name', () => {
    const raised = (code: ErrorCode) => Object.assign(new Error('x'), { code });
    expect(httpStatusForError(raised('SLIPWAY_NOT_FOUND'))).toBe(404);
    expect(exitNameForError(raised('SLIPWAY_NOT_FOUND'))).toBe('notFound');
    expect(httpStatusForError(raised('SLIPWAY_EXECUTION_STATE'))).toBe(409);
    expect(exitNameForError(raised('SLIPWAY_EXECUTION_STATE'))).toBe('conflict');
    expect(httpStatusForError(raised('SLIPWAY_STORE_IO'))).toBe(503);
  });

  it('an unknown error is a 500 and an internal exit: by class name, look-alike code or no object at all', () => {
    const unknown = [
      new TypeError('x is undefined'),
      Object.assign(new Error('x'), { name: 'NotFoundError' }),
      Object.assign(new Error('x'), { code: 'toString' }),
      Object.assign(new Error('x'), { code: 'SLIPWAY_SOMETHING_NEW' }),
      'a string',
      null,
      undefined,
    ];
    for (const error of unknown) {
      expect(errorMapping(error)).toBeUndefined();
      expect(httpStatusForError(error)).toBe(500);
      expect(exitNameForError(error)).toBe('internal');
    }
    // A failed system call (missing file, port in use) is the environment's problem, not a bug.
    const enoent = Object.assign(new Error('ENOENT'), { code: 'ENOENT', syscall: 'open' });
    expect(exitNameForError(enoent)).toBe('failed');
    expect(httpStatusForError(enoent)).toBe(500);
  });
});

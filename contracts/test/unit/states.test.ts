// The state names every part uses are the definition's: a rename there must show up here first.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  APPROVAL_TIMEOUT_CAUSE,
  FAIL_STATES,
  failStateOfError,
  isFailState,
  REJECTED_ERROR,
  STATES,
} from '../../src/index.js';

const definition = JSON.parse(
  readFileSync(new URL('../../state-machine.asl.json', import.meta.url), 'utf8'),
) as {
  States: Record<
    string,
    { Type: string; Error?: string; Result?: unknown; Catch?: { ErrorEquals: string[] }[] }
  >;
};

describe('state names', () => {
  it('are exactly the definition’s states, each spelled as its key', () => {
    expect(Object.keys(STATES).sort()).toEqual(Object.keys(definition.States).sort());
    for (const [key, name] of Object.entries(STATES)) expect(name).toBe(key);
  });

  it('name every Fail state with the error it raises, and no other state', () => {
    const fails = Object.entries(definition.States)
      .filter(([, s]) => s.Type === 'Fail')
      .map(([name, s]) => [name, s.Error]);
    expect(Object.entries(FAIL_STATES).map(([name, f]) => [name, f.error])).toEqual(
      expect.arrayContaining(fails),
    );
    expect(Object.keys(FAIL_STATES).sort()).toEqual(fails.map(([name]) => name).sort());
    // Each error is raised by one Fail state only, so an ended execution's error names its state.
    for (const [name, { error }] of Object.entries(FAIL_STATES)) expect(failStateOfError(error)).toBe(name);
    expect(failStateOfError('States.Timeout')).toBeNull();
    expect(isFailState('Rejected')).toBe(true);
    expect(isFailState('Approval')).toBe(false);
    expect(isFailState('toString')).toBe(false);
  });

  it('the Approval state catches a rejection by the error name people’s decisions send', () => {
    const caught = (definition.States[STATES.Approval]?.Catch ?? []).flatMap((c) => c.ErrorEquals);
    expect(caught).toContain(REJECTED_ERROR);
  });

  it('a timed-out approval is a rejection with the cause RecordRejection knows as a timeout', () => {
    expect(definition.States[STATES.ApprovalTimedOut]?.Result).toEqual({
      Error: REJECTED_ERROR,
      Cause: APPROVAL_TIMEOUT_CAUSE,
    });
  });
});

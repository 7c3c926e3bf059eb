// The step functions log powertools JSON lines keyed by execution, model and version, never the event.
import { ArtifactError } from '@slipway/steps';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { stepLogger, withStepLog } from '../../src/step-log.js';

afterEach(() => {
  vi.restoreAllMocks();
});

function capture() {
  const lines: string[] = [];
  const keep = (chunk: unknown) => {
    lines.push(String(chunk));
    return true;
  };
  vi.spyOn(console, 'log').mockImplementation(keep);
  vi.spyOn(console, 'error').mockImplementation(keep);
  vi.spyOn(process.stdout, 'write').mockImplementation(keep);
  vi.spyOn(process.stderr, 'write').mockImplementation(keep);
  return () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
}

const EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:slipway-dev:pr-7-1';

describe('withStepLog', () => {
  it('logs the start and end of each invocation with its execution id, model and version as keys', async () => {
    const parsed = capture();
    const handler = withStepLog(stepLogger('register'), async (_event: unknown) => ({ version: 4 }));
    await expect(handler({ executionId: EXECUTION, model: 'spam', artifact: 's3://b/k' })).resolves.toEqual({
      version: 4,
    });
    const [started, finished, ...rest] = parsed();
    expect(rest).toEqual([]);
    expect(started).toMatchObject({
      level: 'INFO',
      message: 'step started',
      service: 'slipway-steps',
      step: 'register',
      executionId: EXECUTION,
      model: 'spam',
    });
    expect(started).not.toHaveProperty('version');
    expect(started).not.toHaveProperty('artifact');
    expect(finished).toMatchObject({
      level: 'INFO',
      message: 'step finished',
      step: 'register',
      executionId: EXECUTION,
      model: 'spam',
      resultVersion: 4,
      durationMs: expect.any(Number),
    });
  });

  it('logs a failure with the error name, code and message, rethrows the same error, and never logs the task token', async () => {
    const parsed = capture();
    const failure = new ArtifactError('the artifact is not inside the model store');
    const handler = withStepLog(stepLogger('approval'), async (_event: unknown) => {
      throw failure;
    });
    const event = {
      executionId: EXECUTION,
      model: 'spam',
      version: 4,
      taskToken: 'AQCEAAAAKgAAAAMAAAAA-secret',
    };
    await expect(handler(event)).rejects.toBe(failure);
    const lines = parsed();
    expect(lines.map((l) => l.message)).toEqual(['step started', 'step failed']);
    expect(lines[1]).toMatchObject({
      level: 'ERROR',
      step: 'approval',
      executionId: EXECUTION,
      model: 'spam',
      version: 4,
      errorName: 'ArtifactError',
      errorCode: failure.code,
      errorMessage: 'the artifact is not inside the model store',
    });
    expect(JSON.stringify(lines)).not.toContain('AQCEAAAA');
  });

  it('starts each invocation with only its own keys (a warm container keeps the logger)', async () => {
    const parsed = capture();
    const handler = withStepLog(stepLogger('promote'), async (_event: unknown) => ({}));
    await handler({ executionId: EXECUTION, model: 'spam', version: 4 });
    await handler({ executionId: `${EXECUTION}-2`, model: 'sentiment' });
    const last = parsed().at(-1);
    expect(last).toMatchObject({ executionId: `${EXECUTION}-2`, model: 'sentiment' });
    expect(last).not.toHaveProperty('version');
  });
});

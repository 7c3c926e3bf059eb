import type { GetExecutionHistoryCommand, HistoryEvent as SfnEvent } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { awsError } from '../../../../../test-helpers/aws-fake-client.js';
import { historyOf, historyPage, waitingHistory } from '../../../../../test-helpers/sfn-history.js';
import {
  AwsExecutionError,
  AwsExecutionNotFoundError,
  convertHistory,
  readExecutionHistory,
} from '../../../src/index.js';

const ARN = 'arn:aws:states:eu-west-1:123456789012:execution:slipway-dev-pipeline:pr-42';

describe('readExecutionHistory', () => {
  it('follows nextToken to the last page, asking for the inputs and outputs, oldest first', async () => {
    const events = waitingHistory();
    const asked: GetExecutionHistoryCommand['input'][] = [];
    const raw = await readExecutionHistory(async (command) => {
      asked.push(command.input);
      return historyPage(events, command.input, { pageSize: 5 }) as never;
    }, ARN);
    expect(raw).toEqual(events);
    expect(asked).toHaveLength(Math.ceil(events.length / 5));
    expect(asked.every((a) => a.executionArn === ARN && a.includeExecutionData === true)).toBe(true);
    expect(asked.map((a) => a.nextToken)).toEqual([undefined, 'page-5', 'page-10']);
  });

  it('passes the service’s refusal on, naming the call (an expired or foreign token is a 400 InvalidToken)', async () => {
    const refused = readExecutionHistory(
      async (command) => historyPage([], { ...command.input, nextToken: 'not-issued' }) as never,
      ARN,
    );
    await expect(refused).rejects.toBeInstanceOf(AwsExecutionError);
    await expect(refused).rejects.toMatchObject({
      message: expect.stringContaining('Step Functions GetExecutionHistory failed (InvalidToken'),
      cause: { name: 'InvalidToken' },
    });
  });

  it('an execution that does not exist is not found (ExecutionDoesNotExist)', async () => {
    const missing = readExecutionHistory(async () => {
      throw awsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${ARN}'`);
    }, ARN);
    await expect(missing).rejects.toBeInstanceOf(AwsExecutionNotFoundError);
    await expect(missing).rejects.toMatchObject({ code: 'SLIPWAY_AWS_EXECUTION_NOT_FOUND' });
  });

  it('reads states entered and exited into the runners’ one event shape, with their data', () => {
    const raw = historyOf({ enter: 'Register', input: { a: 1 } }, { exit: 'Register', output: { b: 2 } });
    expect(convertHistory(raw as SfnEvent[])).toEqual([
      expect.objectContaining({
        seq: 1,
        type: 'StateEntered',
        state: 'Register',
        stateType: 'Task',
        input: { a: 1 },
      }),
      expect.objectContaining({
        seq: 2,
        type: 'StateExited',
        state: 'Register',
        stateType: 'Task',
        output: { b: 2 },
      }),
    ]);
  });
});

import { createRequire } from 'node:module';
import { describe, expect, test } from 'vitest';
import {
  type AslDefinition,
  checkDefinition,
  localSubstitutions,
  parseResource,
  placeholders,
  RETRYABLE_ERRORS,
  readDefinitionText,
  substitute,
} from '../../src/index.js';

const require = createRequire(import.meta.url);
const validate = require('asl-validator') as (
  definition: unknown,
  options?: { checkPaths?: boolean; checkArn?: boolean },
) => { isValid: boolean; errors: unknown[] };

const text = readDefinitionText();
const raw = JSON.parse(text) as AslDefinition;
const local = JSON.parse(substitute(text, localSubstitutions('file:///tmp/store'))) as AslDefinition;
const localResources = new Set([
  'sagemaker:createTrainingJob:sync',
  'ecs:runTask:sync',
  'lambda:invoke:request',
  'lambda:invoke:waitForTaskToken',
]);

/** The states the console, the CLI and the scenario tests name. */
const CONTRACT_STATES = [
  'Train',
  'TrainOnSageMaker',
  'TrainOnFargate',
  'Evaluate',
  'Gate',
  'Register',
  'Approval',
  'Promote',
  'SmokeTest',
  'RollBack',
  'Done',
  'TrainingFailed',
  'EvaluationFailedGate',
  'Rejected',
  'PromotionFailed',
  'PromotionRefused',
];

describe('contracts/state-machine.asl.json', () => {
  test('is valid Amazon States Language, before and after substitution', () => {
    // The validator fills in QueryLanguage on the object it is given: hand it copies.
    expect(validate(structuredClone(raw), { checkPaths: true, checkArn: false }).errors).toEqual([]);
    expect(validate(structuredClone(local), { checkPaths: true, checkArn: true }).errors).toEqual([]);
  });

  test('follows the rules both runners rely on', () => {
    expect(
      checkDefinition(local, (r) => localResources.has(`${r.service}:${r.action}:${r.pattern}`)),
    ).toEqual([]);
  });

  test('names every state the console and the tests use', () => {
    for (const name of CONTRACT_STATES) expect(Object.keys(raw.States)).toContain(name);
    expect(raw.StartAt).toBe('Train');
  });

  test('uses a placeholder for every resource name', () => {
    expect(placeholders(text)).toEqual([
      'ApprovalFunctionArn',
      'EvaluateFunctionArn',
      'PromoteFunctionArn',
      'RegisterFunctionArn',
      'SageMakerRoleArn',
      'SmokeTestFunctionArn',
      'StoreUri',
      'TrainingClusterArn',
      'TrainingImageUri',
      'TrainingInstanceType',
      'TrainingSubnetIds',
      'TrainingTaskDefinitionArn',
    ]);
    expect(text).not.toMatch(/arn:aws:(lambda|sagemaker|iam|ecs):[a-z0-9-]+:\d{12}/);
  });

  test('every failure path ends in a named Fail state', () => {
    const failStates = new Set(
      Object.entries(raw.States)
        .filter(([, s]) => s.Type === 'Fail')
        .map(([n]) => n),
    );
    const endsInFail = (name: string, seen = new Set<string>()): boolean => {
      if (failStates.has(name)) return true;
      if (seen.has(name)) return false;
      seen.add(name);
      const state = raw.States[name];
      if (!state) return false;
      const next = [state.Next, state.Default, ...(state.Choices ?? []).map((c) => c.Next)].filter(
        (n): n is string => n !== undefined,
      );
      return next.length > 0 && next.every((n) => endsInFail(n, seen));
    };
    for (const [name, state] of Object.entries(raw.States)) {
      for (const catcher of state.Catch ?? []) {
        expect(endsInFail(catcher.Next), `${name} catches ${catcher.ErrorEquals} into ${catcher.Next}`).toBe(
          true,
        );
      }
    }
    expect(raw.States.Gate?.Default).toBe('EvaluationFailedGate');
    expect(raw.States.SmokeTestPassed?.Default).toBe('RollBack');
  });

  test('retries only errors that can succeed on retry, and nothing deterministic', () => {
    const retried: string[] = [];
    for (const [name, state] of Object.entries(raw.States)) {
      for (const retrier of state.Retry ?? []) {
        for (const error of retrier.ErrorEquals) {
          expect(Object.keys(RETRYABLE_ERRORS), `${name} retries ${error}`).toContain(error);
          retried.push(error);
        }
      }
    }
    expect(retried.length).toBeGreaterThan(0);
    // What a deterministic failure surfaces as: a failed job, a step's own error, anything at all.
    for (const never of [
      'States.ALL',
      'States.TaskFailed',
      'Lambda.Unknown',
      'SageMaker.AmazonSageMakerException',
    ]) {
      expect(Object.keys(RETRYABLE_ERRORS)).not.toContain(never);
    }
  });

  test('reads the Fargate task ARN where runTask.sync puts it (the top level)', () => {
    expect(raw.States.TrainOnFargate?.ResultSelector).toEqual({ 'jobName.$': '$.TaskArn' });
  });

  test('approval waits for a task token with a bounded timeout and rejects on timeout', () => {
    const approval = raw.States.Approval;
    expect(approval?.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
    expect(approval?.TimeoutSecondsPath).toBe('$.approvalTimeoutSeconds');
    expect(approval?.Catch?.map((c) => [c.ErrorEquals, c.Next])).toEqual([
      [['Rejected'], 'RecordRejection'],
      [['States.Timeout'], 'ApprovalTimedOut'],
      [['States.ALL'], 'ApprovalFailed'],
    ]);
  });
});

describe('the rules', () => {
  test('refuse JSONata, missing timeouts, out-of-range timeouts and unmapped tasks', () => {
    const bad: AslDefinition = {
      StartAt: 'A',
      QueryLanguage: 'JSONata',
      States: {
        A: { Type: 'Task', Resource: 'arn:aws:states:::glue:startJobRun.sync', Next: 'B' },
        B: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          TimeoutSeconds: 99_999_999,
          Output: {},
          Next: 'C',
        },
        C: { Type: 'Pass', End: true, Assign: {} },
        D: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          TimeoutSeconds: 10,
          Retry: [{ ErrorEquals: ['States.TaskFailed', 'Lambda.ServiceException'] }],
          End: true,
        },
      },
    };
    expect(checkDefinition(bad, (r) => r.service === 'lambda')).toEqual([
      'QueryLanguage JSONata: only JSONPath is supported',
      'A has no TimeoutSeconds (the local default of 60 s would apply)',
      'A uses glue:startJobRun (sync), which the local runtime cannot run',
      'B uses Output, which the local runner does not support',
      'B has TimeoutSeconds 99999999: use 1..2147483',
      'C uses Assign, which the local runner does not support',
      expect.stringMatching(
        /^D retries States\.TaskFailed, which cannot succeed on retry \(retryable: Lambda\./,
      ),
    ]);
  });

  test('parse integration ARNs', () => {
    expect(parseResource('arn:aws:states:::lambda:invoke.waitForTaskToken')).toEqual({
      service: 'lambda',
      action: 'invoke',
      pattern: 'waitForTaskToken',
    });
    expect(parseResource('arn:aws:states:::sagemaker:createTrainingJob.sync')).toEqual({
      service: 'sagemaker',
      action: 'createTrainingJob',
      pattern: 'sync',
    });
    expect(parseResource('arn:aws:lambda:us-east-1:123456789012:function:x')).toBeUndefined();
  });

  test('substitution refuses a missing placeholder value', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: ASL placeholders look like template slots
    expect(() => substitute('{"a": "${Missing}"}', {})).toThrow(
      /no value for placeholder\(s\) \$\{Missing\}/,
    );
    // biome-ignore lint/suspicious/noTemplateCurlyInString: ASL placeholders look like template slots
    expect(substitute('{"a": "${X}"}', { X: 'say "hi"' })).toBe('{"a": "say \\"hi\\""}');
  });
});

describe('Train picks the compute', () => {
  // Only the Choice runs: both Task states are replaced by Succeed states named like them.
  const choice = {
    StartAt: 'Train',
    States: {
      Train: raw.States.Train,
      TrainOnFargate: { Type: 'Succeed' },
      TrainOnSageMaker: { Type: 'Succeed' },
    },
  };
  const picked = async (input: object): Promise<string | undefined> => {
    const { StateMachine } = await import('aws-local-stepfunctions');
    let last: string | undefined;
    const execution = new StateMachine(choice as never).run(input as never);
    for await (const event of execution.eventLogs) if (event.type === 'StateEntered') last = event.state.name;
    await execution.result;
    return last;
  };

  test.each([
    [{ compute: 'fargate' }, 'TrainOnFargate'],
    [{ compute: 'sagemaker' }, 'TrainOnSageMaker'],
    [{ compute: 'local' }, 'TrainOnSageMaker'],
    [{}, 'TrainOnSageMaker'],
    // Inputs from clients older than the rename: compute was called trainer.
    [{ trainer: 'fargate' }, 'TrainOnFargate'],
    [{ trainer: 'sagemaker' }, 'TrainOnSageMaker'],
    // trainer as the training code (an object) never picks the compute; compute wins when both are given.
    [{ trainer: { type: 'builtin' } }, 'TrainOnSageMaker'],
    [{ compute: 'fargate', trainer: { type: 'builtin' } }, 'TrainOnFargate'],
    [{ compute: 'sagemaker', trainer: 'fargate' }, 'TrainOnSageMaker'],
  ])('%j goes to %s', async (input, state) => {
    expect(await picked(input)).toBe(state);
  });
});

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
      'TrainingTaskFunctionArn',
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
  // Only the Choice (and the stage-image default) runs: both Task states are replaced by Succeed
  // states named like them.
  const choice = {
    StartAt: 'Train',
    States: {
      Train: raw.States.Train,
      StageTrainingImage: local.States.StageTrainingImage,
      TrainingTaskDefinition: { Type: 'Pass', ResultPath: null, Next: 'TrainOnFargate' },
      TrainOnFargate: { Type: 'Succeed' },
      TrainOnSageMaker: { Type: 'Succeed' },
    },
  };
  const walk = async (input: object) => {
    const { StateMachine } = await import('aws-local-stepfunctions');
    const entered: string[] = [];
    const execution = new StateMachine(choice as never).run(input as never);
    for await (const event of execution.eventLogs)
      if (event.type === 'StateEntered') entered.push(event.state.name);
    return { entered, output: (await execution.result) as { trainingImage?: string } };
  };
  const picked = async (input: object): Promise<string | undefined> => (await walk(input)).entered.at(-1);

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

  const image = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipway-dev/training@sha256:${'c'.repeat(64)}`;

  test('an input without trainingImage takes the stage image before training on SageMaker', async () => {
    expect(await walk({ compute: 'sagemaker' })).toEqual({
      entered: ['Train', 'StageTrainingImage', 'TrainOnSageMaker'],
      output: { compute: 'sagemaker', trainingImage: 'local/slipway-training-job' },
    });
  });

  test("an input's trainingImage is kept as given: no default is written over it", async () => {
    expect(await walk({ compute: 'sagemaker', trainingImage: image })).toEqual({
      entered: ['Train', 'TrainOnSageMaker'],
      output: { compute: 'sagemaker', trainingImage: image },
    });
  });
});

describe('the training image, through the whole definition', () => {
  // The deployed definition with AWS-like names, run on the local interpreter; each Task is replaced by
  // a handler that records the request Step Functions would send and answers as the integration does.
  // Evaluate answers a failed gate, so each run ends at EvaluationFailedGate right after training.
  const stageImage = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipway-dev/training:stage';
  const image = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipway-dev/training@sha256:${'e'.repeat(64)}`;
  const definition = JSON.parse(
    substitute(text, { ...localSubstitutions('s3://bucket'), TrainingImageUri: stageImage }),
  ) as AslDefinition;

  const run = async (input: object) => {
    const { StateMachine } = await import('aws-local-stepfunctions');
    const requests: Record<string, Record<string, unknown>> = {};
    const record = (state: string, answer: (p: Record<string, unknown>) => unknown) => async (p: unknown) => {
      requests[state] = p as Record<string, unknown>;
      return answer(p as Record<string, unknown>);
    };
    const handlers = {
      TrainOnSageMaker: record('TrainOnSageMaker', (p) => ({
        TrainingJobName: p.TrainingJobName,
        ModelArtifacts: { S3ModelArtifacts: 's3://bucket/runs/m/output/model.tar.gz' },
      })),
      TrainingTaskDefinition: record('TrainingTaskDefinition', (p) => ({
        Payload: {
          taskDefinition:
            'arn:aws:ecs:eu-west-1:123456789012:task-definition/slipway-dev-training-image-0123:1',
          image: (p.Payload as { trainingImage?: string }).trainingImage ?? stageImage,
          registered: true,
        },
      })),
      TrainOnFargate: record('TrainOnFargate', () => ({
        TaskArn: 'arn:aws:ecs:eu-west-1:123456789012:task/c/t',
      })),
      Evaluate: record('Evaluate', () => ({ Payload: { verdict: { passed: false, summary: 'stop here' } } })),
    };
    const execution = new StateMachine(definition as never, { validationOptions: { checkArn: false } }).run(
      input as never,
      {
        overrides: { taskResourceLocalHandlers: handlers as never },
        context: { Execution: { Id: 'arn:aws:states:eu-west-1:123456789012:execution:slipway-dev:e1' } },
      },
    );
    const entered: string[] = [];
    for await (const event of execution.eventLogs)
      if (event.type === 'StateEntered') entered.push(event.state.name);
    const outcome = await execution.result.then(
      () => 'succeeded',
      (e: Error) => e.message,
    );
    return { entered, requests, outcome };
  };
  const base = { model: 'sentiment', runId: 'r1', dataset: { name: 'd', sha256: 'a'.repeat(64) } };
  const common = {
    ...base,
    hyperparameters: {},
    git: { commit: '', pullRequest: '' },
    thresholds: { minAccuracy: 0, minBaselineGain: 0.2, maxRegression: 0.01, minClassF1: 0 },
  };

  test("SageMaker: the request carries the input's image, and the job is told which image it runs", async () => {
    const { entered, requests } = await run({ ...common, compute: 'sagemaker', trainingImage: image });
    expect(entered.slice(0, 2)).toEqual(['Train', 'TrainOnSageMaker']);
    const request = requests.TrainOnSageMaker as {
      AlgorithmSpecification: { TrainingImage: string };
      Environment: Record<string, string>;
    };
    expect(request.AlgorithmSpecification).toEqual({ TrainingImage: image, TrainingInputMode: 'File' });
    expect(request.Environment.SLIPWAY_TRAINING_IMAGE).toBe(image);
  });

  test("SageMaker: without trainingImage the request carries the stage's image", async () => {
    const { entered, requests, outcome } = await run({ ...common, compute: 'sagemaker' });
    expect(entered.slice(0, 3)).toEqual(['Train', 'StageTrainingImage', 'TrainOnSageMaker']);
    const request = requests.TrainOnSageMaker as {
      AlgorithmSpecification: { TrainingImage: string };
      Environment: Record<string, string>;
    };
    expect(request.AlgorithmSpecification.TrainingImage).toBe(stageImage);
    expect(request.Environment.SLIPWAY_TRAINING_IMAGE).toBe(stageImage);
    expect(entered.at(-1)).toBe('EvaluationFailedGate');
    expect(outcome).toContain('stop here');
  });

  test('Fargate: RunTask runs the revision TrainingTaskDefinition names, and tells the task its image', async () => {
    for (const [input, expected] of [
      [{ ...common, compute: 'fargate', trainingImage: image }, image],
      [{ ...common, compute: 'fargate' }, stageImage],
    ] as const) {
      const { entered, requests } = await run(input);
      expect(entered.slice(0, 4)).toEqual([
        'Train',
        'TrainingTaskDefinition',
        'TrainOnFargate',
        'LocateFargateModel',
      ]);
      // The function gets the state data itself: a trainingImage that is absent stays absent.
      expect(requests.TrainingTaskDefinition?.Payload).toEqual(input);
      const request = requests.TrainOnFargate as {
        TaskDefinition: string;
        Overrides: { ContainerOverrides: { Environment: { Name: string; Value: string }[] }[] };
      };
      expect(request.TaskDefinition).toBe(
        'arn:aws:ecs:eu-west-1:123456789012:task-definition/slipway-dev-training-image-0123:1',
      );
      const env = request.Overrides.ContainerOverrides[0]?.Environment ?? [];
      expect(env.find((e) => e.Name === 'SLIPWAY_TRAINING_IMAGE')?.Value).toBe(expected);
    }
  });
});

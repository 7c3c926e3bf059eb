// The execution input refuses what AWS would refuse later: a training job name SageMaker's pattern does
// not take, and an approval wait longer than the execution itself may run.
import {
  type AslDefinition,
  ExecutionInputError,
  longestApprovalTimeout,
  parseExecutionInput,
  readDefinitionText,
  upgradeRecordedInput,
} from '@slipway/runner-local';
import { describe, expect, test } from 'vitest';

const base = {
  model: 'sentiment',
  runId: '20261206t120000-abc123',
  dataset: { name: 'sentiment', sha256: 'a'.repeat(64) },
};
const problem = (draft: object) => {
  try {
    parseExecutionInput({ ...base, ...draft });
    return null;
  } catch (error) {
    expect(error).toBeInstanceOf(ExecutionInputError);
    return (error as Error).message;
  }
};

describe('execution input', () => {
  test('the training job name <model>-<runId> fits SageMaker: at most 63 characters, no trailing dash', () => {
    // 40 + 1 + 22 = 63: the longest name SageMaker takes.
    expect(problem({ model: 'm'.repeat(40), runId: 'r'.repeat(22) })).toBeNull();
    expect(problem({ model: 'm'.repeat(40), runId: 'r'.repeat(23) })).toContain(
      `runId: the training job would be named "${'m'.repeat(40)}-${'r'.repeat(23)}" (64 characters); SageMaker takes at most 63`,
    );
    // Dashes may repeat inside the name: a model ending in one still gives a valid job name.
    expect(problem({ model: 'sentiment-' })).toBeNull();
  });

  test('a run id ending in a dash is refused (job names end in a letter or digit)', () => {
    expect(problem({ runId: 'run-' })).toContain(
      'the training job would be named "sentiment-run-" (14 characters)',
    );
  });

  test('the approval may wait only as long as the execution can still end as Rejected: timeout', () => {
    const definition = JSON.parse(readDefinitionText()) as AslDefinition;
    const limit = longestApprovalTimeout(definition);
    // 14 days, less the slowest path before Approval: a minute for the Fargate task definition, 24 h of
    // training, 15 min of evaluation and 5 min of registration; less a second.
    expect(definition.TimeoutSeconds).toBe(1_209_600);
    expect(limit).toBe(1_209_600 - 60 - 86_400 - 900 - 300 - 1);
    expect(problem({ approvalTimeoutSeconds: limit })).toBeNull();
    expect(problem({ approvalTimeoutSeconds: limit + 1 })).toContain(
      `approvalTimeoutSeconds: ${limit + 1} s is longer than the execution can wait`,
    );
    expect(problem({ approvalTimeoutSeconds: 2_000_000 })).toContain('must end as "Rejected: timeout"');
  });
});

describe('records written before compute had its name', () => {
  test('a string trainer is read as compute', () => {
    expect(upgradeRecordedInput({ ...base, trainer: 'fargate' })).toEqual({ ...base, compute: 'fargate' });
    expect(parseExecutionInput(upgradeRecordedInput({ ...base, trainer: 'sagemaker' })).compute).toBe(
      'sagemaker',
    );
  });

  test('anything else is left as it was', () => {
    const current = { ...base, compute: 'fargate' };
    expect(upgradeRecordedInput(current)).toBe(current);
    const code = { ...base, trainer: { type: 'builtin' } };
    expect(upgradeRecordedInput(code)).toBe(code);
    const both = { ...base, compute: 'local', trainer: 'fargate' };
    expect(upgradeRecordedInput(both)).toBe(both);
    const unknown = { ...base, trainer: 'gpu' };
    expect(upgradeRecordedInput(unknown)).toBe(unknown);
    expect(upgradeRecordedInput(null)).toBeNull();
    expect(upgradeRecordedInput('text')).toBe('text');
  });

  test('a new input names it compute: the old name is not taken for a start', () => {
    expect(problem({ compute: 'fargate' })).toBeNull();
    expect(problem({ trainer: 'fargate' })).toContain('trainer');
  });
});

describe('the training code', () => {
  test('is the built-in trainer unless a command is named', () => {
    expect(parseExecutionInput(base).trainer).toEqual({ type: 'builtin' });
    const command = { type: 'command', command: ['python3', 'train.py'], workdir: '/repo' };
    expect(parseExecutionInput({ ...base, trainer: command }).trainer).toEqual(command);
  });

  test('a command needs a program and an absolute working directory', () => {
    expect(problem({ trainer: { type: 'command', command: [], workdir: '/repo' } })).toContain(
      'trainer.command: name at least the program',
    );
    expect(problem({ trainer: { type: 'command', command: ['python3'], workdir: 'repo' } })).toContain(
      'trainer.workdir: expected an absolute path',
    );
    expect(problem({ trainer: { type: 'command', command: ['python3'] } })).toContain('trainer.workdir');
    expect(problem({ trainer: { type: 'image' } })).toContain('trainer');
  });
});

describe('the training image', () => {
  const digest = `sha256:${'0123456789abcdef'.repeat(4)}`;
  const ecr = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';

  test('is absent unless given: the stage trains on its own image', () => {
    expect(parseExecutionInput(base)).not.toHaveProperty('trainingImage');
  });

  test('is taken when pinned by digest, on ECR or another registry', () => {
    for (const image of [
      `${ecr}/slipway-training@${digest}`,
      `${ecr}/team/sentiment-trainer@${digest}`,
      `127.0.0.1:5000/slipway-training@${digest}`,
      `localhost/trainer@${digest}`,
      `registry:5000/trainer@${digest}`,
    ]) {
      expect(parseExecutionInput({ ...base, trainingImage: image }).trainingImage).toBe(image);
    }
  });

  test('a tag, a missing registry, a short digest or an upper-case repository is refused by name', () => {
    for (const image of [
      `${ecr}/slipway-training:pr-42`,
      `${ecr}/slipway-training:pr-42@${digest}`,
      `slipway-training@${digest}`,
      `library/python@${digest}`,
      `${ecr}/slipway-training@sha256:${'a'.repeat(63)}`,
      `${ecr}/slipway-training@sha512:${'a'.repeat(128)}`,
      `${ecr}/Slipway@${digest}`,
      `${ecr}/slipway-training@${digest} `,
      `${ecr}/${'r'.repeat(254 - ecr.length - digest.length)}@${digest}`,
      '',
    ]) {
      expect(problem({ trainingImage: image }), image).toContain(
        'trainingImage: expected an image pinned by digest, <registry>/<repository>@sha256:<64 hex>',
      );
    }
    // 255 characters is ECS's limit for a container image: 256 is refused above, 255 taken.
    const longest = `${ecr}/${'r'.repeat(253 - ecr.length - digest.length)}@${digest}`;
    expect(longest).toHaveLength(255);
    expect(problem({ trainingImage: longest })).toBeNull();
  });
});

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  ListExecutionsCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { type ModelStore, openStore } from '@slipway/model-store';
import { recordApprovalToken } from '@slipway/runner-aws';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { awsError, FakeAws } from '../../../../test-helpers/aws-fake-client.js';
import { executionArnOf, stackOutputs } from '../../../../test-helpers/sfn-history.js';
import { EXIT_CODES } from '../../src/exit-codes.js';
import { fakeClients, slipwayAws } from '../helpers/aws-cli.js';

let root: string;
let storeUri: string;
let store: ModelStore;
let cloudformation: FakeAws;
let sfn: FakeAws;
let logs: FakeAws;
let fake: ReturnType<typeof fakeClients>;
const NOW = Date.parse('2025-03-01T12:00:00Z');

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'slipway-aws-cli-'));
  storeUri = `file://${join(root, 'store')}`;
  store = await openStore(storeUri, { actor: 'test' });
  cloudformation = new FakeAws().on(DescribeStacksCommand, stackOutputs(storeUri));
  sfn = new FakeAws();
  logs = new FakeAws();
  fake = fakeClients({ cloudformation, sfn, logs });
});
afterEach(async () => {
  await store.close();
  await rm(root, { recursive: true, force: true });
});

const deps = () => ({ clients: fake.clients, sleep: async () => {}, now: () => NOW });

// The starts that reach AWS compose a training image in a registry: apps/cli/test/integration/commands/start-aws.test.ts.
describe('slipway start --aws', () => {
  const image = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipway-dev/training@sha256:${'a'.repeat(64)}`;
  const commit = '0123456789abcdef0123456789abcdef01234567';

  it('needs --aws, and names the command to deploy a missing stack', async () => {
    const local = await slipwayAws(deps(), 'start');
    expect(local.code).toBe(1);
    expect(local.stderr).toContain('slipway start runs the pipeline on AWS: add --aws');
    cloudformation.on(
      DescribeStacksCommand,
      awsError('ValidationError', 'Stack with id slipway-dev-pipeline does not exist'),
    );
    const missing = await slipwayAws(deps(), 'start', '--aws', '--training-image', image, '--commit', commit);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(
      'the stack slipway-dev-pipeline does not exist: deploy it with `npx cdk deploy -c stage=dev`',
    );
  });

  it('refuses --compute and --trainer that disagree before asking AWS anything (usage error)', async () => {
    const result = await slipwayAws(
      deps(),
      'start',
      '--aws',
      '--compute',
      'sagemaker',
      '--trainer',
      'fargate',
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--compute sagemaker and --trainer fargate disagree');
    expect(sfn.inputs(StartExecutionCommand)).toEqual([]);
  });

  it('refuses hyperparameters the trainer would refuse before asking AWS anything (usage error)', async () => {
    const result = await slipwayAws(deps(), 'start', '--aws', '--hp', 'bogus=1');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown hyperparameter "bogus"');
    expect(cloudformation.inputs(DescribeStacksCommand)).toEqual([]);
    expect(sfn.inputs(StartExecutionCommand)).toEqual([]);
  });
});

describe('slipway start --aws refuses, before AWS is asked anything (usage error)', () => {
  const trainer = async (value: Record<string, unknown>) =>
    writeFile(join(root, 'slipway.json'), JSON.stringify({ trainer: value }));

  it('a command trainer with no image says how to give it one', async () => {
    await trainer({ command: ['python3', 'train.py'] });
    const commentFile = join(root, 'out.md');
    const none = await slipwayAws(deps(), 'start', '--aws', '--project', root, '--comment-file', commentFile);
    expect(none.code).toBe(EXIT_CODES.usage);
    const advice =
      'the command trainer (python3 train.py) runs on AWS in a container image, and slipway.json names none: set trainer.image to <registry>/<repository>@sha256:<hex>';
    expect(none.stderr).toContain(advice);
    // The pull request comment says the same.
    const comment = await readFile(commentFile, 'utf8');
    expect(comment).toMatch(
      /^<!-- slipway-evaluation -->\n### slipway: nothing was trained for this pull request\n/,
    );
    expect(comment).toContain(advice);
    await trainer({ command: ['python3', 'train.py'], dockerfile: 'Dockerfile' });
    const dockerfile = await slipwayAws(deps(), 'start', '--aws', '--project', root);
    expect(dockerfile.code).toBe(EXIT_CODES.usage);
    expect(dockerfile.stderr).toContain(
      "runs on AWS in the image built from Dockerfile: build and push it to the stage's training repository, then pass --training-image",
    );
    expect(cloudformation.calls).toEqual([]);
    expect(sfn.calls).toEqual([]);
  });

  it('an image by tag, in slipway.json or --training-image, and a commit that is not the full sha', async () => {
    await trainer({
      command: ['python3', 'train.py'],
      image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/t:v1',
    });
    const project = await slipwayAws(deps(), 'start', '--aws', '--project', root);
    expect(project.code).toBe(EXIT_CODES.usage);
    expect(project.stderr).toContain('trainer.image: expected an image pinned by digest');
    const flag = await slipwayAws(
      deps(),
      'start',
      '--aws',
      '--training-image',
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipway-dev/training:latest',
    );
    expect(flag.code).toBe(EXIT_CODES.usage);
    expect(flag.stderr).toContain(
      '--training-image 123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipway-dev/training:latest is not pinned by digest',
    );
    const short = await slipwayAws(deps(), 'start', '--aws', '--commit', '0123456789ab');
    expect(short.code).toBe(EXIT_CODES.usage);
    expect(short.stderr).toContain(
      '--commit 0123456789ab: the training image is labelled with the full commit',
    );
    expect(cloudformation.calls).toEqual([]);
    expect(sfn.calls).toEqual([]);
  });
});

describe('slipway executions --aws', () => {
  it('lists the state machine executions as JSON; the local subcommands keep their options', async () => {
    sfn.on(ListExecutionsCommand, {
      executions: [
        {
          name: 'e2',
          executionArn: executionArnOf('e2'),
          status: 'RUNNING',
          startDate: new Date(NOW - 60_000),
        },
      ],
    });
    const listed = await slipwayAws(deps(), 'executions', '--aws', '--json', '--status', 'RUNNING');
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([
      {
        name: 'e2',
        executionArn: executionArnOf('e2'),
        status: 'RUNNING',
        startDate: new Date(NOW - 60_000).toISOString(),
        stopDate: null,
      },
    ]);
    expect(sfn.inputs(ListExecutionsCommand)[0]).toMatchObject({ statusFilter: 'RUNNING', maxResults: 20 });

    const local = await slipwayAws(deps(), 'executions', 'list', '--store', storeUri, '--json');
    expect(local.code).toBe(0);
    expect(JSON.parse(local.stdout)).toEqual([]);
    expect(fake.regions).toHaveLength(1);
  });
});

describe('slipway approve|reject --aws', () => {
  const arn = executionArnOf('sentiment-20250301t120000-abc123');

  it('approves with the token the Approval function kept, once', async () => {
    await recordApprovalToken(store, { executionId: arn, taskToken: 'task-token-1' });
    sfn.on(SendTaskSuccessCommand, {});
    const approved = await slipwayAws(
      deps(),
      'approve',
      '--aws',
      'sentiment-20250301t120000-abc123',
      '--by',
      'ana',
      '--comment',
      'ok',
      '--json',
    );
    expect(approved.code).toBe(0);
    const [sent] = sfn.inputs(SendTaskSuccessCommand);
    expect(sent?.taskToken).toBe('task-token-1');
    const output = JSON.parse(String(sent?.output)) as Record<string, unknown>;
    expect(output).toEqual({ approved: true, approvedBy: 'ana', comment: 'ok', decidedAt: output.decidedAt });
    expect(Number.isNaN(Date.parse(String(output.decidedAt)))).toBe(false);
    expect(JSON.parse(approved.stdout)).toEqual({
      id: 'sentiment-20250301t120000-abc123',
      executionArn: arn,
      decision: 'approve',
      by: 'ana',
      output,
    });

    const again = await slipwayAws(deps(), 'reject', '--aws', arn, '--by', 'bo', '--reason', 'no');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(
      `execution sentiment-20250301t120000-abc123 was already approved by ana at ${output.decidedAt} (via cli)`,
    );
    expect(sfn.names()).toEqual(['SendTaskSuccess']);
  });

  it('approval-rejected: SendTaskFailure with error Rejected and the reason', async () => {
    await recordApprovalToken(store, { executionId: arn, taskToken: 'task-token-2' });
    sfn.on(SendTaskFailureCommand, {});
    const rejected = await slipwayAws(
      deps(),
      'reject',
      '--aws',
      'sentiment-20250301t120000-abc123',
      '--by',
      'bo',
      '--reason',
      'worse on negatives',
    );
    expect(rejected.code).toBe(0);
    expect(rejected.stdout).toBe(
      'rejected execution sentiment-20250301t120000-abc123 as bo: worse on negatives\n',
    );
    expect(sfn.inputs(SendTaskFailureCommand)).toEqual([
      { taskToken: 'task-token-2', error: 'Rejected', cause: 'worse on negatives' },
    ]);
  });

  it('explains an execution that has not asked for approval, or no longer waits', async () => {
    const none = await slipwayAws(deps(), 'approve', '--aws', 'never-asked');
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('execution never-asked has not asked for approval');
    await recordApprovalToken(store, { executionId: arn, taskToken: 'old' });
    sfn.on(SendTaskSuccessCommand, awsError('TaskTimedOut', 'Task Timed Out'));
    const closed = await slipwayAws(deps(), 'approve', '--aws', arn);
    expect(closed.stderr).toContain('no longer waits for approval (TaskTimedOut: Task Timed Out)');
  });

  it('without --aws the local command runs, and AWS is not contacted', async () => {
    const local = await slipwayAws(deps(), 'approve', 'local-1', '--store', storeUri);
    expect(local.code).toBe(EXIT_CODES.notFound);
    expect(local.stderr).toContain('local-1');
    expect(fake.regions).toEqual([]);
  });
});

describe('slipway logs', () => {
  it('prints the stack log groups as one stream', async () => {
    logs.on(FilterLogEventsCommand, (input: { logGroupName: string }) => ({
      events: input.logGroupName.includes('promote')
        ? [{ eventId: 'p1', timestamp: NOW - 1000, message: 'alias moved\n', logStreamName: 's' }]
        : [
            {
              eventId: 's1',
              timestamp: NOW - 2000,
              message: '{"type":"TaskStateEntered"}',
              logStreamName: 's',
            },
          ],
    }));
    const result = await slipwayAws(deps(), 'logs', '--since', '10m');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        `${new Date(NOW - 2000).toISOString()} slipway-dev-pipeline {"type":"TaskStateEntered"}`,
        `${new Date(NOW - 1000).toISOString()} slipway-dev-promote  alias moved`,
        '',
      ].join('\n'),
    );
    expect(logs.inputs(FilterLogEventsCommand).map((i) => i.startTime)).toEqual([
      NOW - 600_000,
      NOW - 600_000,
    ]);
  });
});

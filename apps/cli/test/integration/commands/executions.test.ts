import { expect, test } from 'vitest';
import { EXIT_CODES } from '../../../src/exit-codes.js';
import { slipway } from '../../helpers/cli.js';
import { usePipelineFixture, waitingForApproval } from '../../helpers/pipeline.js';

const fixture = usePipelineFixture();

test('executions list/show/history and approve/reject from the CLI', async () => {
  const f = fixture();
  const store = f.store.uri;
  const handle = await f.pipeline.runtime.start(f.input({ git: { commit: 'abc', pullRequest: '12' } }));
  await waitingForApproval(handle);

  const listed = await slipway('executions', 'list', '--store', store, '--json');
  expect(listed.code).toBe(0);
  expect(JSON.parse(listed.stdout)).toEqual([
    expect.objectContaining({ id: handle.id, status: 'RUNNING', currentState: 'Approval' }),
  ]);
  const human = await slipway('executions', 'list', '--store', store);
  expect(human.stdout).toMatch(
    new RegExp(`^${handle.id} +RUNNING +Approval .* sentiment on sentiment \\(PR #12\\)$`, 'm'),
  );

  // Rejecting needs a reason; approving records who and why.
  expect((await slipway('reject', handle.id, '--store', store)).code).toBe(2);
  const approved = await slipway(
    'approve',
    handle.id,
    '--store',
    store,
    '--by',
    'cli-user',
    '--comment',
    'ship it',
  );
  expect(approved.stdout).toBe(`approved execution ${handle.id} as cli-user\n`);
  await handle.done;

  const shown = JSON.parse(
    (await slipway('executions', 'show', handle.id, '--store', store, '--json')).stdout,
  );
  expect(shown).toMatchObject({ id: handle.id, status: 'SUCCEEDED', currentState: 'Done' });
  const history = JSON.parse(
    (await slipway('executions', 'history', handle.id, '--store', store, '--json')).stdout,
  );
  expect(
    history.find((e: { state?: string; type: string }) => e.type === 'StateExited' && e.state === 'Approval')
      .output.approval,
  ).toMatchObject({
    approvedBy: 'cli-user',
    comment: 'ship it',
  });

  // Deciding a finished execution, or an unknown one, is a clear error.
  const late = await slipway('approve', handle.id, '--store', store);
  expect(late).toMatchObject({ code: EXIT_CODES.conflict });
  expect(late.stderr).toMatch(/already succeeded/);
  const unknown = await slipway('executions', 'show', 'nope', '--store', store);
  expect(unknown.stderr).toMatch(/no execution nope in .*slipway executions list/);
}, 120_000);

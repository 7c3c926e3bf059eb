import { type ModelStore, openStore } from '@slipway/model-store';
import { approveExecution, listExecutions, readExecution, rejectExecution } from '@slipway/runner-local';
import type { Command } from 'commander';
import { currentActor, formatDuration, storeOption } from './common.js';
import { type Io, Output } from './output.js';

interface Flags {
  readonly store: string;
  readonly json?: boolean;
}

async function withStore<T>(uri: string, fn: (store: ModelStore) => Promise<T>): Promise<T> {
  const store = await openStore(uri);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

const elapsed = (start: string, stop: string | null) =>
  formatDuration((stop ? Date.parse(stop) : Date.now()) - Date.parse(start));

/** `slipway executions list|show|history`, `slipway approve`, `slipway reject`. */
export function executionCommands(program: Command, io: Io): void {
  const executions = program
    .command('executions')
    .description('Inspect pipeline executions recorded in the store');

  executions
    .command('list')
    .description('List executions, newest first')
    .addOption(storeOption())
    .option('--json', 'print as JSON')
    .action(async (flags: Flags) => {
      const out = new Output(io, Boolean(flags.json));
      await withStore(flags.store, async (store) => {
        const records = await listExecutions(store);
        out.result(records, () =>
          records.length === 0
            ? `no executions in ${store.uri}; start one with \`slipway run\``
            : records
                .map((r) => {
                  const input = r.input as {
                    model?: string;
                    dataset?: { name?: string };
                    git?: { pullRequest?: string };
                  };
                  return [
                    r.id.padEnd(24),
                    r.status.padEnd(9),
                    (r.currentState ?? '').padEnd(20),
                    elapsed(r.startedAt, r.stoppedAt).padStart(10),
                    `  ${input.model ?? ''} on ${input.dataset?.name ?? ''}${input.git?.pullRequest ? ` (PR #${input.git.pullRequest})` : ''}`,
                  ].join(' ');
                })
                .join('\n'),
        );
      });
    });

  executions
    .command('show')
    .description("Show an execution's status, input and outcome")
    .argument('<id>', 'execution id')
    .addOption(storeOption())
    .option('--json', 'print as JSON')
    .action(async (id: string, flags: Flags) => {
      const out = new Output(io, Boolean(flags.json));
      await withStore(flags.store, async (store) => {
        const { record } = await readExecution(store, id);
        out.result(record, () =>
          [
            `execution ${record.id}`,
            `status    ${record.status}${record.currentState ? ` at ${record.currentState}` : ''}`,
            `started   ${record.startedAt} (${elapsed(record.startedAt, record.stoppedAt)})`,
            ...(record.error ? [`error     ${record.error}: ${record.cause ?? ''}`] : []),
            `input     ${JSON.stringify(record.input)}`,
          ].join('\n'),
        );
      });
    });

  executions
    .command('history')
    .description("Print an execution's events")
    .argument('<id>', 'execution id')
    .addOption(storeOption())
    .option('--json', 'print as JSON')
    .action(async (id: string, flags: Flags) => {
      const out = new Output(io, Boolean(flags.json));
      await withStore(flags.store, async (store) => {
        const { events } = await readExecution(store, id);
        out.result(events, () =>
          events
            .map((e) =>
              [
                e.timestamp,
                String(e.seq).padStart(3),
                e.type.padEnd(18),
                (e.state ?? '').padEnd(20),
                e.error ? `${e.error}: ${e.cause ?? ''}` : (e.message ?? ''),
              ].join(' '),
            )
            .join('\n'),
        );
      });
    });

  program
    .command('approve')
    .description('Approve the candidate an execution waits on (from any terminal sharing the store)')
    .argument('<id>', 'execution id')
    .option('--comment <text>', 'why', '')
    .option('--by <name>', 'who approves (default: SLIPWAY_ACTOR or the OS user)')
    .addOption(storeOption())
    .option('--json', 'print as JSON')
    .action(async (id: string, flags: Flags & { comment: string; by?: string }) => {
      const out = new Output(io, Boolean(flags.json));
      const by = flags.by ?? currentActor();
      await withStore(flags.store, (store) => approveExecution(store, id, by, flags.comment));
      out.result({ id, decision: 'approve', by }, () => `approved execution ${id} as ${by}`);
    });

  program
    .command('reject')
    .description('Reject the candidate an execution waits on; it ends in Rejected')
    .argument('<id>', 'execution id')
    .requiredOption('--reason <text>', 'why (recorded and shown as the failure cause)')
    .option('--by <name>', 'who rejects (default: SLIPWAY_ACTOR or the OS user)')
    .addOption(storeOption())
    .option('--json', 'print as JSON')
    .action(async (id: string, flags: Flags & { reason: string; by?: string }) => {
      const out = new Output(io, Boolean(flags.json));
      const by = flags.by ?? currentActor();
      await withStore(flags.store, (store) => rejectExecution(store, id, by, flags.reason));
      out.result(
        { id, decision: 'reject', by, reason: flags.reason },
        () => `rejected execution ${id} as ${by}: ${flags.reason}`,
      );
    });
}

/**
 * A separate process that talks to a store, for concurrency and crash tests. Reads one JSON command per
 * line on stdin and answers one JSON line on stdout, so a test can start many workers, wait until all are
 * ready, then release them at the same instant.
 *
 * Commands: {op:"register", name, executionId, seed, size, hangAfterFirstUpload?}
 *           {op:"set-alias", name, alias, version, expected}
 */
import { createInterface } from 'node:readline';
import { openStore } from '@slipway/model-store';
import { modelFiles, trainingManifest } from './store-fixtures.js';

const uri = process.argv[2];
if (!uri) throw new Error('usage: register-worker.ts <store-uri>');
const store = await openStore(uri);
const say = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);

type Command =
  | {
      op: 'register';
      name: string;
      executionId: string;
      seed: number;
      size?: number;
      hangAfterFirstUpload?: boolean;
    }
  | { op: 'set-alias'; name: string; alias: string; version: number; expected: number | null };

const run = async (command: Command) => {
  if (command.op === 'register') {
    const result = await store.registerModel({
      name: command.name,
      files: modelFiles(command.seed, command.size),
      manifest: trainingManifest(command.name, { executionId: command.executionId }),
      actor: `worker-${process.pid}`,
      onProgress: async (event) => {
        if (event.type === 'uploaded' && command.hangAfterFirstUpload) {
          say({ event: 'uploaded', version: event.version, file: event.file });
          await new Promise(() => {}); // wait here until killed
        }
      },
    });
    return { version: result.version, created: result.created };
  }
  const record = await store.setAlias(command.name, command.alias, command.version, {
    expected: command.expected,
    actor: `worker-${process.pid}`,
    reason: 'concurrency test',
  });
  return { version: record.version };
};

say({ ready: true });
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === '') continue;
  try {
    say({ ok: true, ...(await run(JSON.parse(line) as Command)) });
  } catch (error) {
    const err = error as Error;
    say({ ok: false, name: err.name, message: err.message });
  }
}
await store.close();

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const WORKER = fileURLToPath(new URL('./register-worker.ts', import.meta.url));
const REPOSITORY_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** One worker process (register-worker.ts) with a line-based request/response channel. */
export interface Worker {
  readonly process: ChildProcess;
  /** The next JSON line the worker prints. */
  next(): Promise<Record<string, unknown>>;
  send(command: object): void;
  kill(signal: NodeJS.Signals): Promise<void>;
}

/** Starts `count` workers on the store at `uri` and resolves once every one is ready. */
export async function startWorkers(
  count: number,
  uri: string,
  env: Record<string, string>,
): Promise<Worker[]> {
  const workers = Array.from({ length: count }, () => startWorker(uri, env));
  await Promise.all(workers.map(async (w) => expectReady(await w.next())));
  return workers;
}

function expectReady(line: Record<string, unknown>): void {
  if (line.ready !== true) throw new Error(`worker did not start: ${JSON.stringify(line)}`);
}

function startWorker(uri: string, env: Record<string, string>): Worker {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', WORKER, uri], {
    cwd: REPOSITORY_ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += String(chunk);
  });
  const lines: Interface = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const queue: Record<string, unknown>[] = [];
  const waiting: ((line: Record<string, unknown>) => void)[] = [];
  lines.on('line', (line) => {
    const value = JSON.parse(line) as Record<string, unknown>;
    const resolve = waiting.shift();
    if (resolve) resolve(value);
    else queue.push(value);
  });
  const exited = once(child, 'exit');
  return {
    process: child,
    next: () => {
      const queued = queue.shift();
      if (queued) return Promise.resolve(queued);
      return new Promise((resolve, reject) => {
        waiting.push(resolve);
        exited.then(([code, signal]) => reject(new Error(`worker exited (${code ?? signal}):\n${stderr}`)));
      });
    },
    send: (command) => child.stdin?.write(`${JSON.stringify(command)}\n`),
    kill: async (signal) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await exited;
    },
  };
}

/** Stops workers politely (end of stdin), killing any that linger. */
export async function stopWorkers(workers: Worker[]): Promise<void> {
  await Promise.all(
    workers.map(async (w) => {
      if (w.process.exitCode !== null || w.process.signalCode !== null) return;
      const exited = once(w.process, 'exit');
      w.process.stdin?.end();
      const timer = setTimeout(() => w.process.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }),
  );
}

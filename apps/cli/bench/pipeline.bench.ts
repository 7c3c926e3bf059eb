/**
 * `npm run bench:pipeline`: `slipway run --auto-approve` on sentiment end to end, as a user runs it
 * (a fresh process, a fresh store), with the per-state breakdown; and the runtime's own overhead per
 * state transition (interpreter + journal), measured on a chain of no-op Tasks.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { openStore } from '@slipway/model-store';
import { LocalRuntime } from '@slipway/runner-local';

const run = promisify(execFile);
const CLI = new URL('../bin/slipway.js', import.meta.url).pathname;
const repeats = Number(process.env.BENCH_REPEATS ?? 3);

interface RunResult {
  durationMs: number;
  states: Record<string, number>;
  status: string;
}

async function endToEnd(store: string): Promise<{ wallMs: number; result: RunResult }> {
  const started = performance.now();
  const { stdout } = await run(
    process.execPath,
    [CLI, 'run', '--auto-approve', '--exit', '--port', '0', '--no-console', '--json', '--store', store],
    { maxBuffer: 16 << 20 },
  );
  return { wallMs: performance.now() - started, result: JSON.parse(stdout) as RunResult };
}

async function transitionOverhead(states: number): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-bench-transitions-'));
  const store = await openStore(`file://${dir}`);
  try {
    const chain: Record<string, object> = {};
    for (let i = 0; i < states; i++) {
      chain[`S${i}`] = {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        TimeoutSeconds: 60,
        Parameters: { FunctionName: 'noop', 'Payload.$': '$' },
        ResultSelector: { 'n.$': '$.Payload.n' },
        ...(i === states - 1 ? { End: true } : { Next: `S${i + 1}` }),
      };
    }
    const runtime = new LocalRuntime({
      store,
      functions: { noop: async (event) => event },
      definitionText: JSON.stringify({ StartAt: 'S0', States: chain }),
      substitutions: {},
    });
    const input = {
      model: 'bench',
      runId: 'bench',
      dataset: { name: 'bench', sha256: '0'.repeat(64) },
    };
    // Warm up once, then time.
    await (await runtime.start(input, 'warmup')).done;
    const started = performance.now();
    const handle = await runtime.start(input, 'timed');
    await handle.done;
    return (performance.now() - started) / states;
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const rows: { label: string; wallMs: number; result: RunResult }[] = [];
for (let i = 0; i < repeats; i++) {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-bench-pipeline-'));
  try {
    const store = `file://${dir}/store`;
    rows.push({ label: `run ${i + 1}: first model`, ...(await endToEnd(store)) });
    rows.push({ label: `run ${i + 1}: challenger`, ...(await endToEnd(store)) });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
const stateNames = ['TrainOnSageMaker', 'Evaluate', 'Register', 'Approval', 'Promote', 'SmokeTest'];
console.log(`| execution | status | wall (process) ms | execution ms | ${stateNames.join(' | ')} |`);
console.log(`|---|---|---|---|${stateNames.map(() => '---').join('|')}|`);
for (const { label, wallMs, result } of rows) {
  console.log(
    `| ${label} | ${result.status} | ${wallMs.toFixed(0)} | ${result.durationMs} | ${stateNames.map((s) => result.states[s] ?? '-').join(' | ')} |`,
  );
}
const walls = rows.map((r) => r.wallMs).sort((a, b) => a - b);
console.log(
  `\nmedian end-to-end wall time: ${walls[Math.floor(walls.length / 2)]?.toFixed(0)} ms (target: under 15,000 ms)`,
);
const overhead = await transitionOverhead(200);
console.log(
  `runtime overhead per state transition (interpreter + journal, 200 no-op Tasks): ${overhead.toFixed(2)} ms (target: under 5 ms)`,
);

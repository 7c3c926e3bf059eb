/**
 * Worker threads that help the main thread through the chunks of one operation at a time, on one
 * shared WebAssembly memory.
 *
 * The optimizer stays synchronous: for each operation the main thread publishes it in a small shared
 * control block, wakes the workers (Atomics.notify) and takes chunks itself; whoever is free takes
 * the next chunk (one atomic decrement), so a worker the OS has put aside delays nothing but its own
 * chunk. Nothing waits for a worker to start: until it is up, the main thread does every chunk.
 * Which thread ran a chunk never changes a number (see chunks.ts).
 */
import { Worker } from 'node:worker_threads';
import { chunkRunner, OP } from './chunks.js';

/** Slots of the control block (Int32Array). */
const GEN = 0; // bumped for each operation: what sleeping workers wait on
const REMAIN = 1; // chunks not yet taken; chunk `REMAIN - 1` is the next one
const DONE = 2; // chunks finished
const COUNT = 3; // chunks in the current operation
const CODE = 4; // the operation
const ERROR = 5; // set when a worker's chunk threw
const STOP = 6; // set by close()
const MEMORY = 7; // which of the team's memories the current operation works on
const CONTROL_SLOTS = 8;

/** Arguments of the current operation (see OP in chunks.ts). */
export const ARGUMENT_SLOTS = 16;

let liveWorkers = 0;

/** Worker threads currently alive across all teams (0 once every fit has ended). */
export function trainingWorkersAlive(): number {
  return liveWorkers;
}

// The worker's whole program. `__name` stands in for the helper some TypeScript runners (tsx) add
// to functions to keep their names; the runner's source may mention it.
const WORKER_SOURCE = `
const __name = (f) => f;
const { workerData } = require('node:worker_threads');
const { module, memories, control, args, op } = workerData;
const ctl = new Int32Array(control);
const runner = (${chunkRunner.toString()});
const runs = memories.map((memory) =>
  runner(new WebAssembly.Instance(module, { env: { memory } }).exports, memory.buffer, new Float64Array(args), op),
);
let seen = Atomics.load(ctl, ${GEN});
for (;;) {
  Atomics.wait(ctl, ${GEN}, seen);
  seen = Atomics.load(ctl, ${GEN});
  if (Atomics.load(ctl, ${STOP}) !== 0) break;
  for (;;) {
    const left = Atomics.sub(ctl, ${REMAIN}, 1);
    if (left <= 0) break;
    try {
      runs[Atomics.load(ctl, ${MEMORY})](Atomics.load(ctl, ${CODE}), left - 1);
    } catch {
      Atomics.store(ctl, ${ERROR}, 1);
    }
    if (Atomics.add(ctl, ${DONE}, 1) + 1 === Atomics.load(ctl, ${COUNT})) Atomics.notify(ctl, ${DONE});
  }
}
`;

/**
 * `helpers` worker threads running the kernels of `module` on any of `memories` (one instance each).
 *
 * @example
 *   const team = new Team(module, [memory], args, 1);
 *   try { team.run(OP.dot, chunks, runLocally); } finally { team.close(); }
 */
export class Team {
  private readonly ctl: Int32Array;
  private readonly workers: Worker[] = [];
  private closed = false;

  constructor(module: object, memories: readonly object[], args: SharedArrayBuffer, helpers: number) {
    const control = new SharedArrayBuffer(CONTROL_SLOTS * 4);
    this.ctl = new Int32Array(control);
    for (let i = 0; i < helpers; i++) {
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { module, memories, control, args, op: OP },
      });
      liveWorkers++;
      worker.once('exit', () => {
        liveWorkers--;
      });
      // A worker that fails to start just never takes a chunk; the main thread does them all.
      worker.on('error', () => {});
      worker.unref();
      this.workers.push(worker);
    }
  }

  /**
   * Runs chunks 0..count-1 of `code` on memory `memory` (arguments already written), taking chunks on
   * this thread too (`runHere` must work on the same memory).
   */
  run(code: number, count: number, runHere: (code: number, c: number) => void, memory = 0): void {
    const { ctl } = this;
    if (this.closed) throw new Error('the training threads were closed');
    Atomics.store(ctl, MEMORY, memory);
    Atomics.store(ctl, CODE, code);
    Atomics.store(ctl, COUNT, count);
    Atomics.store(ctl, DONE, 0);
    Atomics.store(ctl, REMAIN, count);
    Atomics.add(ctl, GEN, 1);
    Atomics.notify(ctl, GEN);
    for (;;) {
      const left = Atomics.sub(ctl, REMAIN, 1);
      if (left <= 0) break;
      runHere(code, left - 1);
      Atomics.add(ctl, DONE, 1);
    }
    for (let done = Atomics.load(ctl, DONE); done < count; done = Atomics.load(ctl, DONE)) {
      Atomics.wait(ctl, DONE, done, 1000);
    }
    if (Atomics.exchange(ctl, ERROR, 0) !== 0)
      throw new Error('a training thread failed on its share of the work');
  }

  /** Stops every worker; safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.ctl, STOP, 1);
    Atomics.add(this.ctl, GEN, 1);
    Atomics.notify(this.ctl, GEN);
    for (const worker of this.workers) void worker.terminate();
  }
}

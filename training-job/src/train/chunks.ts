/**
 * One chunk of one operation of the trainer's inner loops. The main thread and every worker thread
 * run exactly this code: the workers get it as source text (`chunkRunner.toString()`), so the
 * function must stay self-contained (no imports or module-level names inside it).
 *
 * Determinism: every chunk is a fixed piece of the work (dense vectors in pieces of `a[0]` elements,
 * rows in the blocks of `WorkspaceCsc.rowBounds`, columns in `colBounds`), fixed by the data and
 * never by the number of threads. A chunk's sums go to its own slot in `partials`, and the caller
 * adds the slots up in chunk order, so the result is the same bits whoever ran which chunk.
 */

/** The kernels a chunk calls (see kernels.ts). */
export interface KernelExports {
  dot(a: number, b: number, n: number): number;
  axpyDot(alpha: number, x: number, y: number, z: number, n: number): number;
  axpy(alpha: number, x: number, y: number, n: number): void;
  scaleDot(alpha: number, src: number, dst: number, z: number, n: number): number;
  pair(step: number, d: number, g: number, gOld: number, s: number, y: number, n: number, out: number): void;
  pairSingle(
    step: number,
    d: number,
    g: number,
    gOld: number,
    s: number,
    y: number,
    n: number,
    out: number,
  ): void;
  axpyDotSingle(alpha: number, x: number, y: number, z: number, n: number): number;
  axpySingle(alpha: number, x: number, y: number, n: number): void;
  scaleDotSingle(alpha: number, src: number, dst: number, z: number, n: number): number;
  maxAbs(x: number, n: number): number;
  demote(src: number, dst: number, n: number): void;
  cscScores1(
    starts: number,
    ends: number,
    rowIndex: number,
    values: number,
    w: number,
    out: number,
    cols: number,
  ): void;
  cscGradient1(
    colptr: number,
    rowIndex: number,
    values: number,
    params: number,
    r: number,
    g: number,
    cols: number,
    invC: number,
  ): void;
  cscScoresK(
    starts: number,
    ends: number,
    rowIndex: number,
    values: number,
    params: number,
    out: number,
    cols: number,
    k: number,
  ): void;
  cscGradientK(
    colptr: number,
    rowIndex: number,
    values: number,
    params: number,
    r: number,
    g: number,
    cols: number,
    k: number,
    invC: number,
  ): void;
}

/** Operation codes. Arguments go in `a` (a Float64Array; pointers are byte offsets into the memory). */
export const OP = {
  /** a: [chunk, n, partials, x, y] → partials[c] = x·y over the chunk */
  dot: 1,
  /** a: [chunk, n, partials, alpha, x, y] → y += alpha·x */
  axpy: 2,
  /** a: [chunk, n, partials, alpha, x, y, z] → y += alpha·x; partials[c] = z·y */
  axpyDot: 3,
  /** a: [chunk, n, partials, alpha, src, dst, z] → dst = alpha·src; partials[c] = z·dst */
  scaleDot: 4,
  /** a: [chunk, n, partials, step, d, g, gOld, s, y] → s = step·d, y = g − gOld; partials[2c], [2c+1] = s·y, y·y */
  pair: 5,
  /** a: [chunk, n, partials, x] → partials[c] = max |x| */
  maxAbs: 6,
  /**
   * a: [_, _, _, rowBounds, blocks, colptr, table, cols, rowIndex, values, params, out, k, bias] →
   * out rows of block c = X·W (+ bias, the k numbers at `bias`, unless it is 0)
   */
  scores: 7,
  /**
   * a: [_, _, _, colBounds, colptr, rowIndex, values, params, r, g, k, invC, rows, cols, chunks] → g
   * for the columns of chunk c; chunk `chunks` (after the column chunks) writes the bias gradient,
   * r's column sums, at g[cols·k …]
   */
  gradient: 8,
  /** a: [_, _, partials, rowBounds, z, zd, r, y, k, t] → r for block c; partials[2c], [2c+1] = loss, slope */
  probe: 9,
  /** as pair, with s and y rounded to f32 precision before they are stored and summed */
  pairSingle: 10,
  /** a: [chunk, n, partials, alpha, x (f32), y, z (f32)] → y += alpha·x; partials[c] = z·y */
  axpyDotSingle: 11,
  /** a: [chunk, n, partials, alpha, x (f32), y] → y += alpha·x */
  axpySingle: 12,
  /** a: [chunk, n, partials, alpha, src, dst, z (f32)] → dst = alpha·src; partials[c] = z·dst */
  scaleDotSingle: 13,
  /** a: [chunk, n, partials, src, dst (f32)] → dst = f32(src) */
  demote: 14,
} as const;

/**
 * Returns `run(op, c)`, which does chunk `c` of operation `op` with the arguments in `a`.
 *
 * @example const run = chunkRunner(instance.exports, memory.buffer, args, OP); run(OP.dot, 0);
 */
export function chunkRunner(
  k: KernelExports,
  buffer: ArrayBufferLike,
  a: Float64Array,
  op: typeof OP,
): (code: number, c: number) => void {
  const f64 = new Float64Array(buffer);
  const i32 = new Int32Array(buffer);
  return (code: number, c: number): void => {
    if (code === op.scores) {
      const bounds = (a[3] as number) >>> 2;
      const blocks = a[4] as number;
      const colptr = a[5] as number;
      const table = a[6] as number;
      const cols = a[7] as number;
      // Block c's entries of column j run from starts[j] to ends[j]: the first and last block use
      // colptr itself, the ones between the per-block offsets found once in `table`.
      const starts = c === 0 ? colptr : table + (c - 1) * cols * 4;
      const ends = c === blocks - 1 ? colptr + 4 : table + c * cols * 4;
      const kk = a[12] as number;
      const lo = (i32[bounds + c] as number) * kk;
      const hi = (i32[bounds + c + 1] as number) * kk;
      if (hi === lo) return;
      const out = f64.subarray((a[11] as number) >>> 3);
      // The block's rows start from zero and get the bias last: out = (0 + Σ_j x_ij·w_j) + b.
      out.fill(0, lo, hi);
      if (kk === 1)
        k.cscScores1(starts, ends, a[8] as number, a[9] as number, a[10] as number, a[11] as number, cols);
      else
        k.cscScoresK(
          starts,
          ends,
          a[8] as number,
          a[9] as number,
          a[10] as number,
          a[11] as number,
          cols,
          kk,
        );
      const bias = a[13] as number;
      if (bias !== 0) {
        const b = f64.subarray(bias >>> 3, (bias >>> 3) + kk);
        for (let base = lo; base < hi; base += kk) {
          for (let q = 0; q < kk; q++) out[base + q] = (out[base + q] as number) + (b[q] as number);
        }
      }
      return;
    }
    if (code === op.gradient) {
      const bounds = (a[3] as number) >>> 2;
      const kk = a[10] as number;
      if (c === a[14]) {
        // The bias gradient, after the weights' part of g: r's column sums, each over the rows in order.
        const rows = a[12] as number;
        const r = f64.subarray((a[8] as number) >>> 3, ((a[8] as number) >>> 3) + rows * kk);
        const gb = ((a[9] as number) >>> 3) + (a[13] as number) * kk;
        for (let q = 0; q < kk; q++) f64[gb + q] = 0;
        for (let base = 0; base < r.length; base += kk) {
          for (let q = 0; q < kk; q++) f64[gb + q] = (f64[gb + q] as number) + (r[base + q] as number);
        }
        return;
      }
      const j0 = i32[bounds + c] as number;
      const cols = (i32[bounds + c + 1] as number) - j0;
      const colptr = (a[4] as number) + j0 * 4;
      const params = (a[7] as number) + j0 * kk * 8;
      const g = (a[9] as number) + j0 * kk * 8;
      if (kk === 1)
        k.cscGradient1(
          colptr,
          a[5] as number,
          a[6] as number,
          params,
          a[8] as number,
          g,
          cols,
          a[11] as number,
        );
      else
        k.cscGradientK(
          colptr,
          a[5] as number,
          a[6] as number,
          params,
          a[8] as number,
          g,
          cols,
          kk,
          a[11] as number,
        );
      return;
    }
    const slot = ((a[2] as number) >>> 3) + c;
    if (code === op.probe) {
      const bounds = (a[3] as number) >>> 2;
      const lo = i32[bounds + c] as number;
      const hi = i32[bounds + c + 1] as number;
      const kk = a[8] as number;
      const t = a[9] as number;
      const z = f64.subarray((a[4] as number) >>> 3);
      const zd = f64.subarray((a[5] as number) >>> 3);
      const r = f64.subarray((a[6] as number) >>> 3);
      const y = i32.subarray((a[7] as number) >>> 2);
      let loss = 0;
      let slope = 0;
      if (kk === 1) {
        for (let i = lo; i < hi; i++) {
          const zdi = zd[i] as number;
          const zi = (z[i] as number) + t * zdi;
          const yi = y[i] as number;
          // log(1 + e^z) - y·z and sigmoid(z), written so exp never overflows.
          let p: number;
          if (zi >= 0) {
            const e = Math.exp(-zi);
            loss += Math.log1p(e) + (1 - yi) * zi;
            p = 1 / (1 + e);
          } else {
            const e = Math.exp(zi);
            loss += Math.log1p(e) - yi * zi;
            p = e / (1 + e);
          }
          const ri = p - yi;
          r[i] = ri;
          slope += ri * zdi;
        }
      } else {
        for (let i = lo, base = lo * kk; i < hi; i++, base += kk) {
          // r holds the shifted exponentials first, then the residuals p - onehot(y).
          let max = Number.NEGATIVE_INFINITY;
          for (let q = 0; q < kk; q++) {
            const s = (z[base + q] as number) + t * (zd[base + q] as number);
            r[base + q] = s;
            if (s > max) max = s;
          }
          let sum = 0;
          for (let q = 0; q < kk; q++) {
            const e = Math.exp((r[base + q] as number) - max);
            r[base + q] = e;
            sum += e;
          }
          const label = y[i] as number;
          const zy = (z[base + label] as number) + t * (zd[base + label] as number);
          loss += max + Math.log(sum) - zy;
          for (let q = 0; q < kk; q++) {
            const rq = (r[base + q] as number) / sum - (q === label ? 1 : 0);
            r[base + q] = rq;
            slope += rq * (zd[base + q] as number);
          }
        }
      }
      const pairSlot = ((a[2] as number) >>> 3) + 2 * c;
      f64[pairSlot] = loss;
      f64[pairSlot + 1] = slope;
      return;
    }
    // Dense vectors: chunk c covers elements [c·chunk, min((c + 1)·chunk, n)).
    const lo = c * (a[0] as number);
    const len = Math.min(a[0] as number, (a[1] as number) - lo);
    const off = lo * 8;
    const offSingle = lo * 4;
    if (code === op.dot) f64[slot] = k.dot((a[3] as number) + off, (a[4] as number) + off, len);
    else if (code === op.axpy) k.axpy(a[3] as number, (a[4] as number) + off, (a[5] as number) + off, len);
    else if (code === op.axpyDot) {
      f64[slot] = k.axpyDot(
        a[3] as number,
        (a[4] as number) + off,
        (a[5] as number) + off,
        (a[6] as number) + off,
        len,
      );
    } else if (code === op.scaleDot) {
      f64[slot] = k.scaleDot(
        a[3] as number,
        (a[4] as number) + off,
        (a[5] as number) + off,
        (a[6] as number) + off,
        len,
      );
    } else if (code === op.axpyDotSingle) {
      f64[slot] = k.axpyDotSingle(
        a[3] as number,
        (a[4] as number) + offSingle,
        (a[5] as number) + off,
        (a[6] as number) + offSingle,
        len,
      );
    } else if (code === op.axpySingle) {
      k.axpySingle(a[3] as number, (a[4] as number) + offSingle, (a[5] as number) + off, len);
    } else if (code === op.scaleDotSingle) {
      f64[slot] = k.scaleDotSingle(
        a[3] as number,
        (a[4] as number) + off,
        (a[5] as number) + off,
        (a[6] as number) + offSingle,
        len,
      );
    } else if (code === op.pair || code === op.pairSingle) {
      (code === op.pair ? k.pair : k.pairSingle)(
        a[3] as number,
        (a[4] as number) + off,
        (a[5] as number) + off,
        (a[6] as number) + off,
        (a[7] as number) + off,
        (a[8] as number) + off,
        len,
        (a[2] as number) + 16 * c,
      );
    } else if (code === op.maxAbs) f64[slot] = k.maxAbs((a[3] as number) + off, len);
    else if (code === op.demote) k.demote((a[3] as number) + off, (a[4] as number) + offSingle, len);
    else throw new Error(`unknown operation ${code}`);
  };
}

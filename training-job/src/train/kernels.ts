import { chunkRunner, type KernelExports, OP } from './chunks.js';
import { sectionRecorder } from './profile.js';
import { ARGUMENT_SLOTS, Team } from './team.js';

/**
 * The trainer's inner loops as a small WebAssembly module (SIMD where it pays), assembled here from
 * readable instruction lists: no toolchain, no binary blob in the repository.
 *
 * Why: on this workload V8's typed-array loops run 3-5x slower than the same loops in WebAssembly
 * (bounds checks, no SIMD). Measured here: X·d over a 5,000 × 100,000 CSC matrix with 1.5M
 * non-zeros took 11 ms in JavaScript and 2.2 ms in WebAssembly; a 100k dot product 0.19 ms and
 * 0.05 ms. Every vector a kernel touches lives in one `Workspace`'s linear memory; kernels take
 * byte offsets.
 *
 * Determinism: kernels are plain sequential code with a fixed summation order. In the sparse
 * kernels each output element receives its terms in the same order as a scalar row-by-row pass.
 */

// ---------------------------------------------------------------------------------------------
// A minimal WebAssembly encoder: just the instructions the kernels below use.

type Code = readonly number[];

const I32 = 0x7f;
const F64 = 0x7c;
const V128 = 0x7b;

function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

function sleb(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const vector = (items: readonly Code[]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: Code): number[] => [id, ...uleb(body.length), ...body];
const name = (text: string): number[] => vector([...text].map((ch) => [ch.charCodeAt(0)]));
const seq = (...parts: Code[]): number[] => parts.flat();

const get = (local: number): Code => [0x20, ...uleb(local)];
const set = (local: number): Code => [0x21, ...uleb(local)];
const tee = (local: number): Code => [0x22, ...uleb(local)];
const i32 = (value: number): Code => [0x41, ...sleb(value)];
const i32Add: Code = [0x6a];
const i32Mul: Code = [0x6c];
const i32And: Code = [0x71];
const i32Shl: Code = [0x74];
const i32LtS: Code = [0x48];
const f64Add: Code = [0xa0];
const f64Sub: Code = [0xa1];
const f64Mul: Code = [0xa2];
const f64Abs: Code = [0x99];
const f64Max: Code = [0xa5];
const f64Load = (offset = 0): Code => [0x2b, 3, ...uleb(offset)];
const f64Store = (offset = 0): Code => [0x39, 3, ...uleb(offset)];
const i32Load = (offset = 0): Code => [0x28, 2, ...uleb(offset)];
const i32Store = (offset = 0): Code => [0x36, 2, ...uleb(offset)];
const v128Load = (offset = 0): Code => [0xfd, 0x00, 3, ...uleb(offset)];
const v128Store = (offset = 0): Code => [0xfd, 0x0b, 3, ...uleb(offset)];
const v128Zero: Code = [0xfd, 0x0c, ...new Array<number>(16).fill(0)];
const f64x2Splat: Code = [0xfd, 0x14];
const f64x2Lane = (lane: number): Code => [0xfd, 0x21, lane];
const f64x2Abs: Code = [0xfd, ...uleb(236)];
const f64x2Add: Code = [0xfd, ...uleb(240)];
const f64x2Sub: Code = [0xfd, ...uleb(241)];
const f64x2Mul: Code = [0xfd, ...uleb(242)];
const f64x2Max: Code = [0xfd, ...uleb(245)];
const f32Load = (offset = 0): Code => [0x2a, 2, ...uleb(offset)];
const f64PromoteF32: Code = [0xbb];
const f32DemoteF64: Code = [0xb6];
/** Two f32 (8 bytes) into the low lanes of a v128, the rest zero. */
const v128Load64Zero = (offset = 0): Code => [0xfd, ...uleb(93), 3, ...uleb(offset)];
const f32x4DemoteF64x2Zero: Code = [0xfd, ...uleb(94)];
const f64x2PromoteLowF32x4: Code = [0xfd, ...uleb(95)];

/** `while (cond) body` */
const whileLoop = (cond: Code, body: Code): Code =>
  seq([0x02, 0x40, 0x03, 0x40], cond, [0x45, 0x0d, 1], body, [0x0c, 0, 0x0b, 0x0b]);
/** `if (cond) body` */
const when = (cond: Code, body: Code): Code => seq(cond, [0x04, 0x40], body, [0x0b]);
/** `local += step` (i32) */
const inc = (local: number, step: Code): Code => seq(get(local), step, i32Add, set(local));
/** base + (index << shift) */
const address = (base: number, index: number, shift: number): Code =>
  seq(get(base), get(index), i32(shift), i32Shl, i32Add);
/** Sum of a v128's two f64 lanes. */
const lanesSum = (local: number): Code => seq(get(local), f64x2Lane(0), get(local), f64x2Lane(1), f64Add);

interface Kernel {
  readonly name: string;
  readonly params: readonly number[];
  readonly results: readonly number[];
  readonly locals: readonly number[];
  readonly body: Code;
}

function assemble(kernels: readonly Kernel[]): Uint8Array {
  const types = kernels.map((k) =>
    seq([0x60], vector(k.params.map((t) => [t])), vector(k.results.map((t) => [t]))),
  );
  // Shared (flag 3: shared, with a maximum), so worker threads can run the same kernels on the same memory.
  const memoryImport = seq(name('env'), name('memory'), [0x02, 0x03], uleb(1), uleb(65536));
  const exports = kernels.map((k, i) => seq(name(k.name), [0x00], uleb(i)));
  const bodies = kernels.map((k) => {
    const locals = vector(k.locals.map((t) => [1, t]));
    const code = seq(locals, k.body, [0x0b]);
    return seq(uleb(code.length), code);
  });
  return Uint8Array.from(
    seq(
      [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
      section(1, vector(types)),
      section(2, vector([memoryImport])),
      section(3, vector(kernels.map((_, i) => uleb(i)))),
      section(7, vector(exports)),
      section(10, [...uleb(bodies.length), ...bodies.flat()]),
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// Dense kernels over f64 vectors (pointers are byte offsets; n counts elements). Main loops take four
// elements per step in two f64x2 accumulators, then a scalar tail.

/** dot(a, b, n) -> Σ a[i]·b[i] */
const dot: Kernel = (() => {
  const [a, b, n, i, off, acc0, acc1, tail] = [0, 1, 2, 3, 4, 5, 6, 7];
  return {
    name: 'dot',
    params: [I32, I32, I32],
    results: [F64],
    locals: [I32, I32, V128, V128, F64],
    body: seq(
      v128Zero,
      set(acc0),
      v128Zero,
      set(acc1),
      whileLoop(
        seq(get(i), i32(4), i32Add, get(n), [0x4c] /* i32.le_s */),
        seq(
          get(i),
          i32(3),
          i32Shl,
          set(off),
          seq(
            get(acc0),
            get(a),
            get(off),
            i32Add,
            v128Load(0),
            get(b),
            get(off),
            i32Add,
            v128Load(0),
            f64x2Mul,
          ),
          seq(f64x2Add, set(acc0)),
          seq(
            get(acc1),
            get(a),
            get(off),
            i32Add,
            v128Load(16),
            get(b),
            get(off),
            i32Add,
            v128Load(16),
            f64x2Mul,
          ),
          seq(f64x2Add, set(acc1)),
          inc(i, i32(4)),
        ),
      ),
      get(acc0),
      get(acc1),
      f64x2Add,
      set(acc0),
      lanesSum(acc0),
      set(tail),
      whileLoop(
        seq(get(i), get(n), i32LtS),
        seq(
          get(tail),
          address(a, i, 3),
          f64Load(),
          address(b, i, 3),
          f64Load(),
          f64Mul,
          f64Add,
          set(tail),
          inc(i, i32(1)),
        ),
      ),
      get(tail),
    ),
  };
})();

/** axpyDot(alpha, x, y, z, n) -> y += alpha·x, then Σ z[i]·y[i] */
const axpyDot: Kernel = (() => {
  const [alpha, x, y, z, n, i, off, av, acc0, acc1, v, tail, s] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
  const half = (o: number, acc: number): Code =>
    seq(
      seq(get(y), get(off), i32Add),
      seq(
        get(y),
        get(off),
        i32Add,
        v128Load(o),
        get(av),
        get(x),
        get(off),
        i32Add,
        v128Load(o),
        f64x2Mul,
        f64x2Add,
      ),
      tee(v),
      v128Store(o),
      seq(get(acc), get(z), get(off), i32Add, v128Load(o), get(v), f64x2Mul, f64x2Add, set(acc)),
    );
  return {
    name: 'axpyDot',
    params: [F64, I32, I32, I32, I32],
    results: [F64],
    locals: [I32, I32, V128, V128, V128, V128, F64, F64],
    body: seq(
      get(alpha),
      f64x2Splat,
      set(av),
      v128Zero,
      set(acc0),
      v128Zero,
      set(acc1),
      whileLoop(
        seq(get(i), i32(4), i32Add, get(n), [0x4c]),
        seq(get(i), i32(3), i32Shl, set(off), half(0, acc0), half(16, acc1), inc(i, i32(4))),
      ),
      get(acc0),
      get(acc1),
      f64x2Add,
      set(acc0),
      lanesSum(acc0),
      set(tail),
      whileLoop(
        seq(get(i), get(n), i32LtS),
        seq(
          seq(
            address(y, i, 3),
            address(y, i, 3),
            f64Load(),
            get(alpha),
            address(x, i, 3),
            f64Load(),
            f64Mul,
            f64Add,
          ),
          tee(s),
          f64Store(),
          seq(get(tail), address(z, i, 3), f64Load(), get(s), f64Mul, f64Add, set(tail)),
          inc(i, i32(1)),
        ),
      ),
      get(tail),
    ),
  };
})();

/** axpy(alpha, x, y, n): y += alpha·x */
const axpy: Kernel = (() => {
  const [alpha, x, y, n, i, off, av] = [0, 1, 2, 3, 4, 5, 6];
  const half = (o: number): Code =>
    seq(
      seq(get(y), get(off), i32Add),
      seq(
        get(y),
        get(off),
        i32Add,
        v128Load(o),
        get(av),
        get(x),
        get(off),
        i32Add,
        v128Load(o),
        f64x2Mul,
        f64x2Add,
      ),
      v128Store(o),
    );
  return {
    name: 'axpy',
    params: [F64, I32, I32, I32],
    results: [],
    locals: [I32, I32, V128],
    body: seq(
      get(alpha),
      f64x2Splat,
      set(av),
      whileLoop(
        seq(get(i), i32(4), i32Add, get(n), [0x4c]),
        seq(get(i), i32(3), i32Shl, set(off), half(0), half(16), inc(i, i32(4))),
      ),
      whileLoop(
        seq(get(i), get(n), i32LtS),
        seq(
          seq(
            address(y, i, 3),
            address(y, i, 3),
            f64Load(),
            get(alpha),
            address(x, i, 3),
            f64Load(),
            f64Mul,
            f64Add,
          ),
          f64Store(),
          inc(i, i32(1)),
        ),
      ),
    ),
  };
})();

/** scaleDot(alpha, src, dst, z, n) -> dst = alpha·src, then Σ z[i]·dst[i] */
const scaleDot: Kernel = (() => {
  const [alpha, src, dst, z, n, i, off, av, acc0, acc1, v, tail, s] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
  ];
  const half = (o: number, acc: number): Code =>
    seq(
      seq(get(dst), get(off), i32Add),
      seq(get(av), get(src), get(off), i32Add, v128Load(o), f64x2Mul),
      tee(v),
      v128Store(o),
      seq(get(acc), get(z), get(off), i32Add, v128Load(o), get(v), f64x2Mul, f64x2Add, set(acc)),
    );
  return {
    name: 'scaleDot',
    params: [F64, I32, I32, I32, I32],
    results: [F64],
    locals: [I32, I32, V128, V128, V128, V128, F64, F64],
    body: seq(
      get(alpha),
      f64x2Splat,
      set(av),
      v128Zero,
      set(acc0),
      v128Zero,
      set(acc1),
      whileLoop(
        seq(get(i), i32(4), i32Add, get(n), [0x4c]),
        seq(get(i), i32(3), i32Shl, set(off), half(0, acc0), half(16, acc1), inc(i, i32(4))),
      ),
      get(acc0),
      get(acc1),
      f64x2Add,
      set(acc0),
      lanesSum(acc0),
      set(tail),
      whileLoop(
        seq(get(i), get(n), i32LtS),
        seq(
          seq(address(dst, i, 3), get(alpha), address(src, i, 3), f64Load(), f64Mul),
          tee(s),
          f64Store(),
          seq(get(tail), address(z, i, 3), f64Load(), get(s), f64Mul, f64Add, set(tail)),
          inc(i, i32(1)),
        ),
      ),
      get(tail),
    ),
  };
})();

/**
 * pair(step, d, g, gOld, s, y, n, out): s = step·d, y = g - gOld; writes Σ s·y to out[0] and Σ y·y to
 * out[1] (the curvature numbers of an L-BFGS correction pair), in one pass.
 */
const pairKernel = (single: boolean): Kernel => {
  const [step, d, g, gOld, s, y, n, out, i, off, sv, vs, vy, sy, yy, ts, ty, tsy, tyy] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18,
  ];
  // Rounded through f32 (and back) when the pair is to be kept in single precision, so the sums are
  // those of the numbers stored.
  const round2: Code = single ? seq(f32x4DemoteF64x2Zero, f64x2PromoteLowF32x4) : [];
  const round1: Code = single ? seq(f32DemoteF64, f64PromoteF32) : [];
  return {
    name: single ? 'pairSingle' : 'pair',
    params: [F64, I32, I32, I32, I32, I32, I32, I32],
    results: [],
    locals: [I32, I32, V128, V128, V128, V128, V128, F64, F64, F64, F64],
    body: seq(
      get(step),
      f64x2Splat,
      set(sv),
      v128Zero,
      set(sy),
      v128Zero,
      set(yy),
      whileLoop(
        seq(get(i), i32(2), i32Add, get(n), [0x4c]),
        seq(
          get(i),
          i32(3),
          i32Shl,
          set(off),
          seq(
            get(s),
            get(off),
            i32Add,
            get(sv),
            get(d),
            get(off),
            i32Add,
            v128Load(),
            f64x2Mul,
            round2,
            tee(vs),
            v128Store(),
          ),
          seq(
            get(y),
            get(off),
            i32Add,
            get(g),
            get(off),
            i32Add,
            v128Load(),
            get(gOld),
            get(off),
            i32Add,
            v128Load(),
          ),
          seq(f64x2Sub, round2, tee(vy), v128Store()),
          seq(get(sy), get(vs), get(vy), f64x2Mul, f64x2Add, set(sy)),
          seq(get(yy), get(vy), get(vy), f64x2Mul, f64x2Add, set(yy)),
          inc(i, i32(2)),
        ),
      ),
      lanesSum(sy),
      set(tsy),
      lanesSum(yy),
      set(tyy),
      whileLoop(
        seq(get(i), get(n), i32LtS),
        seq(
          seq(address(s, i, 3), get(step), address(d, i, 3), f64Load(), f64Mul, round1, tee(ts), f64Store()),
          seq(
            address(y, i, 3),
            address(g, i, 3),
            f64Load(),
            address(gOld, i, 3),
            f64Load(),
            f64Sub,
            round1,
            tee(ty),
            f64Store(),
          ),
          seq(get(tsy), get(ts), get(ty), f64Mul, f64Add, set(tsy)),
          seq(get(tyy), get(ty), get(ty), f64Mul, f64Add, set(tyy)),
          inc(i, i32(1)),
        ),
      ),
      seq(get(out), get(tsy), f64Store(0), get(out), get(tyy), f64Store(8)),
    ),
  };
};
const pair = pairKernel(false);
/** pair, with s and y rounded to f32 (stored as f64) before they are summed. */
const pairSingle = pairKernel(true);

// Variants for correction pairs kept in single precision (L-BFGS history of large fits): the
// history operands (x and z) are f32 arrays, widened to f64 as they are loaded; everything is
// computed and accumulated in f64 as in the kernels above.

/** Two f32 at byte `base + q + o`, widened to an f64x2. */
const loadSingle2 = (base: number, q: number, o: number): Code =>
  seq(get(base), get(q), i32Add, v128Load64Zero(o), f64x2PromoteLowF32x4);
/** One f32 at `base + (i << 2)`, widened to f64. */
const loadSingle1 = (base: number, i: number): Code => seq(address(base, i, 2), f32Load(), f64PromoteF32);

/** axpyDotSingle(alpha, x: f32, y, z: f32, n) -> y += alpha·x, then Σ z[i]·y[i] */
const axpyDotSingle: Kernel = (() => {
  const [alpha, x, y, z, n, i, off, q, av, acc0, acc1, v, tail, s] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
  ];
  const half = (o: number, acc: number): Code =>
    seq(
      seq(get(y), get(off), i32Add),
      seq(get(y), get(off), i32Add, v128Load(o), get(av), loadSingle2(x, q, o / 2), f64x2Mul, f64x2Add),
      tee(v),
      v128Store(o),
      seq(get(acc), loadSingle2(z, q, o / 2), get(v), f64x2Mul, f64x2Add, set(acc)),
    );
  return {
    name: 'axpyDotSingle',
    params: [F64, I32, I32, I32, I32],
    results: [F64],
    locals: [I32, I32, I32, V128, V128, V128, V128, F64, F64],
    body: seq(
      get(alpha),
      f64x2Splat,
      set(av),
      v128Zero,
      set(acc0),
      v128Zero,
      set(acc1),
      whileLoop(
        seq(get(i), i32(4), i32Add, get(n), [0x4c]),
        seq(
          seq(get(i), i32(3), i32Shl, set(off), get(i), i32(2), i32Shl, set(q)),
          half(0, acc0),
          half(16, acc1),
          inc(i, i32(4)),
        ),
      ),
      get(acc0),
      get(acc1),
      f64x2Add,
      set(acc0),
      lanesSum(acc0),
      set(tail),
      whileLoop(
        seq(get(i), get(n), i32LtS),
        seq(
          seq(address(y, i, 3), address(y, i, 3), f64Load(), get(alpha), loadSingle1(x, i), f64Mul, f64Add),
          tee(s),
          f64Store(),
          seq(get(tail), loadSingle1(z, i), get(s), f64Mul, f64Add, set(tail)),
          inc(i, i32(1)),
        ),
      ),
      get(tail),
    ),
  };
})();

/** axpySingle(alpha, x: f32, y, n): y += alpha·x */
const axpySingle: Kernel = (() => {
  const [alpha, x, y, n, i, off, q, av] = [0, 1, 2, 3, 4, 5, 6, 7];
  const half = (o: number): Code =>
    seq(
      seq(get(y), get(off), i32Add),
      seq(get(y), get(off), i32Add, v128Load(o), get(av), loadSingle2(x, q, o / 2), f64x2Mul, f64x2Add),
      v128Store(o),
    );
  return {
    name: 'axpySingle',
    params: [F64, I32, I32, I32],
    results: [],
    locals: [I32, I32, I32, V128],
    body: seq(
      get(alpha),
      f64x2Splat,
      set(av),
      whileLoop(
        seq(get(i), i32(4), i32Add, get(n), [0x4c]),
        seq(
          seq(get(i), i32(3), i32Shl, set(off), get(i), i32(2), i32Shl, set(q)),
          half(0),
          half(16),
          inc(i, i32(4)),
        ),
      ),
      whileLoop(
        seq(get(i), get(n), i32LtS),
        seq(
          seq(address(y, i, 3), address(y, i, 3), f64Load(), get(alpha), loadSingle1(x, i), f64Mul, f64Add),
          f64Store(),
          inc(i, i32(1)),
        ),
      ),
    ),
  };
})();

/** scaleDotSingle(alpha, src, dst, z: f32, n) -> dst = alpha·src, then Σ z[i]·dst[i] */
const scaleDotSingle: Kernel = (() => {
  const [alpha, src, dst, z, n, i, off, q, av, acc0, acc1, v, tail, s] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
  ];
  const half = (o: number, acc: number): Code =>
    seq(
      seq(get(dst), get(off), i32Add),
      seq(get(av), get(src), get(off), i32Add, v128Load(o), f64x2Mul),
      tee(v),
      v128Store(o),
      seq(get(acc), loadSingle2(z, q, o / 2), get(v), f64x2Mul, f64x2Add, set(acc)),
    );
  return {
    name: 'scaleDotSingle',
    params: [F64, I32, I32, I32, I32],
    results: [F64],
    locals: [I32, I32, I32, V128, V128, V128, V128, F64, F64],
    body: seq(
      get(alpha),
      f64x2Splat,
      set(av),
      v128Zero,
      set(acc0),
      v128Zero,
      set(acc1),
      whileLoop(
        seq(get(i), i32(4), i32Add, get(n), [0x4c]),
        seq(
          seq(get(i), i32(3), i32Shl, set(off), get(i), i32(2), i32Shl, set(q)),
          half(0, acc0),
          half(16, acc1),
          inc(i, i32(4)),
        ),
      ),
      get(acc0),
      get(acc1),
      f64x2Add,
      set(acc0),
      lanesSum(acc0),
      set(tail),
      whileLoop(
        seq(get(i), get(n), i32LtS),
        seq(
          seq(address(dst, i, 3), get(alpha), address(src, i, 3), f64Load(), f64Mul),
          tee(s),
          f64Store(),
          seq(get(tail), loadSingle1(z, i), get(s), f64Mul, f64Add, set(tail)),
          inc(i, i32(1)),
        ),
      ),
      get(tail),
    ),
  };
})();

/** maxAbs(x, n) -> max |x[i]|, NaN if any element is NaN (WebAssembly's max propagates NaN). */
const maxAbs: Kernel = (() => {
  const [x, n, i, m, tail] = [0, 1, 2, 3, 4];
  return {
    name: 'maxAbs',
    params: [I32, I32],
    results: [F64],
    locals: [I32, V128, F64],
    body: seq(
      v128Zero,
      set(m),
      whileLoop(
        seq(get(i), i32(2), i32Add, get(n), [0x4c]),
        seq(get(m), address(x, i, 3), v128Load(), f64x2Abs, f64x2Max, set(m), inc(i, i32(2))),
      ),
      get(m),
      f64x2Lane(0),
      get(m),
      f64x2Lane(1),
      f64Max,
      set(tail),
      whileLoop(
        seq(get(i), get(n), i32LtS),
        seq(get(tail), address(x, i, 3), f64Load(), f64Abs, f64Max, set(tail), inc(i, i32(1))),
      ),
      get(tail),
    ),
  };
})();

/** demote(src, dst: f32, n): dst[i] = f32(src[i]) */
const demote: Kernel = (() => {
  const [src, dst, n, i] = [0, 1, 2, 3];
  return {
    name: 'demote',
    params: [I32, I32, I32],
    results: [],
    locals: [I32],
    body: seq(
      whileLoop(
        seq(get(i), i32(2), i32Add, get(n), [0x4c]),
        seq(
          seq(get(dst), get(i), i32(2), i32Shl, i32Add),
          seq(address(src, i, 3), v128Load(), f32x4DemoteF64x2Zero),
          [0xfd, ...uleb(91), 2, 0, 0] /* v128.store64_lane offset 0, lane 0: the two f32 */,
          inc(i, i32(2)),
        ),
      ),
      whileLoop(
        seq(get(i), get(n), i32LtS),
        seq(
          address(dst, i, 2),
          address(src, i, 3),
          f64Load(),
          f32DemoteF64,
          [0x38, 2, 0] /* f32.store */,
          inc(i, i32(1)),
        ),
      ),
    ),
  };
})();

// ---------------------------------------------------------------------------------------------
// Sparse kernels over a CSC matrix (colptr: i32[cols+1], rowIndex: i32[nnz], values: f64[nnz]).

/**
 * cscScores1(starts, ends, rowIndex, values, w, out, cols): out[i] += Σ_j x_ij·w[j], column by column,
 * column j's entries being positions starts[j]..ends[j] (colptr and colptr + 1 for a whole matrix, a
 * row block's bounds for a slice of its rows).
 */
const cscScores1: Kernel = (() => {
  const [starts, ends, rowIndex, values, w, out, cols, j, p, end, wj, o] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
  ];
  return {
    name: 'cscScores1',
    params: [I32, I32, I32, I32, I32, I32, I32],
    results: [],
    locals: [I32, I32, I32, F64, I32],
    body: whileLoop(
      seq(get(j), get(cols), i32LtS),
      seq(
        seq(address(w, j, 3), f64Load(), set(wj)),
        seq(address(starts, j, 2), i32Load(0), set(p), address(ends, j, 2), i32Load(0), set(end)),
        whileLoop(
          seq(get(p), get(end), i32LtS),
          seq(
            seq(get(out), address(rowIndex, p, 2), i32Load(), i32(3), i32Shl, i32Add, tee(o)),
            seq(get(o), f64Load(), address(values, p, 3), f64Load(), get(wj), f64Mul, f64Add, f64Store()),
            inc(p, i32(1)),
          ),
        ),
        inc(j, i32(1)),
      ),
    ),
  };
})();

/** cscGradient1(colptr, rowIndex, values, params, r, g, cols, invC): g[j] = invC·params[j] + Σ_i x_ij·r[i]. */
const cscGradient1: Kernel = (() => {
  const [colptr, rowIndex, values, params, r, g, cols, invC, j, p, end, acc] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
  ];
  return {
    name: 'cscGradient1',
    params: [I32, I32, I32, I32, I32, I32, I32, F64],
    results: [],
    locals: [I32, I32, I32, F64],
    body: whileLoop(
      seq(get(j), get(cols), i32LtS),
      seq(
        seq(get(invC), address(params, j, 3), f64Load(), f64Mul, set(acc)),
        seq(address(colptr, j, 2), i32Load(0), set(p), address(colptr, j, 2), i32Load(4), set(end)),
        whileLoop(
          seq(get(p), get(end), i32LtS),
          seq(
            get(acc),
            address(values, p, 3),
            f64Load(),
            seq(get(r), address(rowIndex, p, 2), i32Load(), i32(3), i32Shl, i32Add, f64Load()),
            f64Mul,
            f64Add,
            set(acc),
            inc(p, i32(1)),
          ),
        ),
        seq(address(g, j, 3), get(acc), f64Store()),
        inc(j, i32(1)),
      ),
    ),
  };
})();

/**
 * cscScoresK(starts, ends, rowIndex, values, params, out, cols, k):
 * out[i·k + c] += Σ_j x_ij·params[j·k + c], column j's entries at starts[j]..ends[j] (see cscScores1).
 * Classes go two at a time (f64x2); lanes are separate outputs, so sums match a scalar pass.
 */
const cscScoresK: Kernel = (() => {
  const [starts, ends, rowIndex, values, params, out, cols, k, j, p, end, col, row, c, vv, v, k2, stride] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17,
  ];
  return {
    name: 'cscScoresK',
    params: [I32, I32, I32, I32, I32, I32, I32, I32],
    results: [],
    locals: [I32, I32, I32, I32, I32, I32, V128, F64, I32, I32],
    body: seq(
      seq(get(k), i32(-2), i32And, set(k2)),
      seq(get(k), i32(3), i32Shl, set(stride)),
      seq(get(params), set(col)),
      whileLoop(
        seq(get(j), get(cols), i32LtS),
        seq(
          seq(address(starts, j, 2), i32Load(0), set(p), address(ends, j, 2), i32Load(0), set(end)),
          whileLoop(
            seq(get(p), get(end), i32LtS),
            seq(
              seq(address(values, p, 3), f64Load(), tee(v), f64x2Splat, set(vv)),
              seq(get(out), address(rowIndex, p, 2), i32Load(), get(stride), i32Mul, i32Add, set(row)),
              seq(i32(0), set(c)),
              whileLoop(
                seq(get(c), get(k2), i32LtS),
                seq(
                  address(row, c, 3),
                  seq(
                    address(row, c, 3),
                    v128Load(),
                    get(vv),
                    address(col, c, 3),
                    v128Load(),
                    f64x2Mul,
                    f64x2Add,
                  ),
                  v128Store(),
                  inc(c, i32(2)),
                ),
              ),
              when(
                seq(get(c), get(k), i32LtS),
                seq(
                  address(row, c, 3),
                  seq(address(row, c, 3), f64Load(), get(v), address(col, c, 3), f64Load(), f64Mul, f64Add),
                  f64Store(),
                ),
              ),
              inc(p, i32(1)),
            ),
          ),
          inc(col, get(stride)),
          inc(j, i32(1)),
        ),
      ),
    ),
  };
})();

/**
 * cscGradientK(colptr, rowIndex, values, params, r, g, cols, k, invC):
 * g[j·k + c] = invC·params[j·k + c] + Σ_i x_ij·r[i·k + c].
 */
const cscGradientK: Kernel = (() => {
  const [colptr, rowIndex, values, params, r, g, cols, k, invC] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [j, p, end, col, gcol, row, c, vv, v, k2, stride, iv] = [
    9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
  ];
  return {
    name: 'cscGradientK',
    params: [I32, I32, I32, I32, I32, I32, I32, I32, F64],
    results: [],
    locals: [I32, I32, I32, I32, I32, I32, I32, V128, F64, I32, I32, V128],
    body: seq(
      seq(get(k), i32(-2), i32And, set(k2)),
      seq(get(k), i32(3), i32Shl, set(stride)),
      seq(get(invC), f64x2Splat, set(iv)),
      seq(get(params), set(col), get(g), set(gcol)),
      whileLoop(
        seq(get(j), get(cols), i32LtS),
        seq(
          seq(i32(0), set(c)),
          whileLoop(
            seq(get(c), get(k2), i32LtS),
            seq(
              address(gcol, c, 3),
              get(iv),
              address(col, c, 3),
              v128Load(),
              f64x2Mul,
              v128Store(),
              inc(c, i32(2)),
            ),
          ),
          when(
            seq(get(c), get(k), i32LtS),
            seq(address(gcol, c, 3), get(invC), address(col, c, 3), f64Load(), f64Mul, f64Store()),
          ),
          seq(address(colptr, j, 2), i32Load(0), set(p), address(colptr, j, 2), i32Load(4), set(end)),
          whileLoop(
            seq(get(p), get(end), i32LtS),
            seq(
              seq(address(values, p, 3), f64Load(), tee(v), f64x2Splat, set(vv)),
              seq(get(r), address(rowIndex, p, 2), i32Load(), get(stride), i32Mul, i32Add, set(row)),
              seq(i32(0), set(c)),
              whileLoop(
                seq(get(c), get(k2), i32LtS),
                seq(
                  address(gcol, c, 3),
                  seq(
                    address(gcol, c, 3),
                    v128Load(),
                    get(vv),
                    address(row, c, 3),
                    v128Load(),
                    f64x2Mul,
                    f64x2Add,
                  ),
                  v128Store(),
                  inc(c, i32(2)),
                ),
              ),
              when(
                seq(get(c), get(k), i32LtS),
                seq(
                  address(gcol, c, 3),
                  seq(address(gcol, c, 3), f64Load(), get(v), address(row, c, 3), f64Load(), f64Mul, f64Add),
                  f64Store(),
                ),
              ),
              inc(p, i32(1)),
            ),
          ),
          inc(col, get(stride)),
          inc(gcol, get(stride)),
          inc(j, i32(1)),
        ),
      ),
    ),
  };
})();

/**
 * cscFromCsr(rows, cols, indptr, indices, data, colptr, next, rowIndex, values): counting-sort
 * transpose. colptr (cols + 1) must start zeroed; next (cols) is scratch. Rows are visited in
 * ascending order, so each column lists its rows ascending.
 */
const cscFromCsr: Kernel = (() => {
  const [rows, cols, indptr, indices, data, colptr, next, rowIndex, values] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [i, p, end, j, q, cell] = [9, 10, 11, 12, 13, 14];
  return {
    name: 'cscFromCsr',
    params: [I32, I32, I32, I32, I32, I32, I32, I32, I32],
    results: [],
    locals: [I32, I32, I32, I32, I32, I32],
    body: seq(
      // Count each column's entries into colptr[j + 1].
      seq(get(indptr), get(rows), i32(2), i32Shl, i32Add, i32Load(), set(end)),
      whileLoop(
        seq(get(p), get(end), i32LtS),
        seq(
          seq(get(colptr), address(indices, p, 2), i32Load(), i32(2), i32Shl, i32Add, tee(cell)),
          seq(get(cell), i32Load(4), i32(1), i32Add, i32Store(4)),
          inc(p, i32(1)),
        ),
      ),
      // Prefix sums; next[j] = colptr[j].
      whileLoop(
        seq(get(j), get(cols), i32LtS),
        seq(
          seq(address(next, j, 2), address(colptr, j, 2), i32Load(0), i32Store(0)),
          seq(
            address(colptr, j, 2),
            tee(cell),
            get(cell),
            i32Load(4),
            get(cell),
            i32Load(0),
            i32Add,
            i32Store(4),
          ),
          inc(j, i32(1)),
        ),
      ),
      // Scatter row by row.
      whileLoop(
        seq(get(i), get(rows), i32LtS),
        seq(
          seq(address(indptr, i, 2), i32Load(0), set(p), address(indptr, i, 2), i32Load(4), set(end)),
          whileLoop(
            seq(get(p), get(end), i32LtS),
            seq(
              seq(
                get(next),
                address(indices, p, 2),
                i32Load(),
                i32(2),
                i32Shl,
                i32Add,
                tee(cell),
                i32Load(),
                set(q),
              ),
              seq(get(cell), get(q), i32(1), i32Add, i32Store()),
              seq(address(rowIndex, q, 2), get(i), i32Store()),
              seq(address(values, q, 3), address(data, p, 3), f64Load(), f64Store()),
              inc(p, i32(1)),
            ),
          ),
          inc(i, i32(1)),
        ),
      ),
    ),
  };
})();

const KERNELS = [
  dot,
  axpyDot,
  axpy,
  scaleDot,
  pair,
  pairSingle,
  axpyDotSingle,
  axpySingle,
  scaleDotSingle,
  maxAbs,
  demote,
  cscScores1,
  cscGradient1,
  cscScoresK,
  cscGradientK,
  cscFromCsr,
];

interface Exports extends KernelExports {
  cscFromCsr(
    rows: number,
    cols: number,
    indptr: number,
    indices: number,
    data: number,
    colptr: number,
    next: number,
    rowIndex: number,
    values: number,
  ): void;
}

interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object, imports: object) => { readonly exports: unknown };
  readonly Memory: new (descriptor: { initial: number; maximum: number; shared: true }) => WasmMemory;
}
// The project's TypeScript libs have no DOM, so the part of WebAssembly's JS API used here is typed by hand.
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let compiled: object | undefined;

const PAGE = 65536;
/** wasm32 addresses 4 GiB; V8 allows all of it. */
export const MAX_WORKSPACE_BYTES = 65536 * PAGE;

/** Dense operations whose chunks each leave one partial sum. */
const SUMS: ReadonlySet<number> = new Set([
  OP.dot,
  OP.axpyDot,
  OP.scaleDot,
  OP.axpyDotSingle,
  OP.scaleDotSingle,
]);

const OP_NAMES = new Map(Object.entries(OP).map(([name, code]) => [code as number, name]));

/** Elements per chunk of a dense vector operation: fixed, so sums never depend on the thread count. */
export const DENSE_CHUNK = 65536;
/** Most chunks one operation splits into (dense vectors up to 4 GiB). */
const MAX_CHUNKS = MAX_WORKSPACE_BYTES / 8 / DENSE_CHUNK;
/** Rows per block of the score and probe passes (at most MAX_ROW_BLOCKS blocks). */
const ROW_BLOCK = 1024;
const MAX_ROW_BLOCKS = 24;
/** Column chunks of the gradient pass (any split gives the same sums; this many balance the threads). */
const MAX_COLUMN_CHUNKS = 64;

/** Row blocks for a matrix of `rows` rows: a function of the data alone. */
export function rowBlocks(rows: number): number {
  return Math.max(1, Math.min(MAX_ROW_BLOCKS, Math.ceil(rows / ROW_BLOCK)));
}

/** Workspace room (i32 elements, arrays) the row and column split of a rows × cols matrix takes. */
export function partitionNeeds(rows: number, cols: number): { i32: number; arrays: number } {
  const blocks = rowBlocks(rows);
  return { i32: (blocks - 1) * cols + blocks + 1 + MAX_COLUMN_CHUNKS + 1, arrays: 3 };
}

/**
 * A column-major sparse matrix held in a workspace, with its split into row blocks (`rowBounds`;
 * `blockStarts` holds where each block after the first begins in every column) and column chunks.
 */
export interface WorkspaceCsc {
  readonly rows: number;
  readonly cols: number;
  readonly colptr: Int32Array;
  readonly rowIndex: Int32Array;
  readonly values: Float64Array;
  readonly rowBounds: Int32Array;
  readonly blockStarts: Int32Array;
  readonly colBounds: Int32Array;
}

/**
 * One linear memory, a bump allocator over it and the kernels that work on its arrays. Size it
 * once, up front (growing would detach the arrays already handed out); untouched pages cost nothing.
 *
 * The memory is shared: `useThreads(n)` starts n - 1 worker threads that take chunks of every
 * operation with the calling thread; `close()` stops them. Results are the same bits with any
 * number of threads.
 *
 * @example
 *   const ws = new Workspace(Workspace.bytesFor({ f64: 3 * n }));
 *   const [a, b] = [ws.f64(n), ws.f64(n)];
 *   ws.dot(a, b);
 */
export class Workspace {
  private readonly memory: WasmMemory;
  private readonly k: Exports;
  private next = 16;
  private readonly partials: Float64Array;
  private readonly argsBuffer: SharedArrayBuffer;
  private readonly a: Float64Array;
  private readonly runHere: (code: number, c: number) => void;
  private team: Team | undefined;
  private threadCount = 1;
  /** The workspace whose threads this one borrows (undefined for a workspace of its own). */
  private readonly parent: Workspace | undefined;
  /** Which of the parent team's memories this is (0: the parent's own). */
  private readonly memoryIndex: number;
  private readonly children: Workspace[] = [];

  /** Bytes to reserve for arrays of the given total lengths (with alignment slack per array). */
  static bytesFor(counts: {
    readonly f64?: number;
    readonly f32?: number;
    readonly i32?: number;
    readonly arrays?: number;
  }): number {
    return (
      64 +
      2 * MAX_CHUNKS * 8 +
      (counts.f64 ?? 0) * 8 +
      (counts.f32 ?? 0) * 4 +
      (counts.i32 ?? 0) * 4 +
      ((counts.arrays ?? 0) + 2) * 16
    );
  }

  /**
   * A memory of `bytes`. With `parent`, another memory worked on by the parent's threads (a
   * workspace addresses at most 4 GiB; vectors that need not sit beside the matrix can go to another).
   */
  constructor(bytes: number, parent?: Workspace) {
    if (bytes > MAX_WORKSPACE_BYTES) {
      throw new RangeError(`a workspace of ${bytes} bytes exceeds WebAssembly's 4 GiB`);
    }
    compiled ??= new wasm.Module(assemble(KERNELS));
    const pages = Math.max(1, Math.ceil(bytes / PAGE));
    this.memory = new wasm.Memory({ initial: pages, maximum: pages, shared: true });
    this.parent = parent;
    this.argsBuffer = parent ? parent.argsBuffer : new SharedArrayBuffer(ARGUMENT_SLOTS * 8);
    this.a = new Float64Array(this.argsBuffer);
    this.memoryIndex = parent ? parent.children.push(this) : 0;
    if (parent && parent.threadCount > 1) parent.useThreads(parent.threadCount);
    this.k = new wasm.Instance(compiled, { env: { memory: this.memory } }).exports as Exports;
    this.partials = this.f64(2 * MAX_CHUNKS);
    this.runHere = chunkRunner(this.k, this.memory.buffer, this.a, OP);
  }

  /**
   * Runs later operations on `threads` threads (this one and threads - 1 workers). Call `close()`
   * when done, or the workers idle until the process exits.
   */
  useThreads(threads: number): void {
    if (this.parent) throw new Error("a workspace with a parent uses the parent's threads");
    this.close();
    this.threadCount = threads;
    if (threads > 1) {
      const memories = [this.memory, ...this.children.map((child) => child.memory)];
      this.team = new Team(compiled as object, memories, this.argsBuffer, threads - 1);
    }
  }

  /** Stops the worker threads, if any; the workspace goes on with one thread. */
  close(): void {
    this.team?.close();
    this.team = undefined;
  }

  /** A zeroed f32 array in this workspace. */
  f32(length: number): Float32Array {
    return new Float32Array(this.memory.buffer, this.take(length * 4), length);
  }

  /** A zeroed f64 array in this workspace. */
  f64(length: number): Float64Array {
    return new Float64Array(this.memory.buffer, this.take(length * 8), length);
  }

  /** A zeroed i32 array in this workspace. */
  i32(length: number): Int32Array {
    return new Int32Array(this.memory.buffer, this.take(length * 4), length);
  }

  /**
   * Copies a CSR matrix into this workspace as CSC; each column lists its rows in ascending order.
   * Also splits it into row blocks and column chunks (room: `partitionNeeds`).
   */
  csc(rows: number, cols: number, indptr: Int32Array, indices: Int32Array, data: Float64Array): WorkspaceCsc {
    const nnz = indptr[rows] as number;
    const colptr = this.i32(cols + 1);
    const rowIndex = this.i32(nnz);
    const values = this.f64(nnz);
    // The CSR input is staged in the workspace (kernels only see its memory), after which that space
    // is handed out again: the arrays allocated next reuse the same pages.
    const mark = this.next;
    const csr = {
      indptr: this.i32(rows + 1),
      indices: this.i32(nnz),
      data: this.f64(nnz),
      next: this.i32(cols),
    };
    csr.indptr.set(indptr.subarray(0, rows + 1));
    csr.indices.set(indices.subarray(0, nnz));
    csr.data.set(data.subarray(0, nnz));
    this.k.cscFromCsr(
      rows,
      cols,
      this.at(csr.indptr),
      this.at(csr.indices),
      this.at(csr.data),
      this.at(colptr),
      this.at(csr.next),
      this.at(rowIndex),
      this.at(values),
    );
    new Uint8Array(this.memory.buffer, mark, this.next - mark).fill(0);
    this.next = mark;

    // Row blocks of equal size, and where each block after the first starts in every column.
    const blocks = rowBlocks(rows);
    const rowBounds = this.i32(blocks + 1);
    for (let b = 0; b <= blocks; b++) rowBounds[b] = Math.round((b * rows) / blocks);
    const blockStarts = this.i32((blocks - 1) * cols);
    for (let j = 0; j < cols; j++) {
      let p = colptr[j] as number;
      const end = colptr[j + 1] as number;
      for (let b = 1; b < blocks; b++) {
        const first = rowBounds[b] as number;
        while (p < end && (rowIndex[p] as number) < first) p++;
        blockStarts[(b - 1) * cols + j] = p;
      }
    }
    // Column chunks of about equal work (entries × classes, plus the column's own parameters).
    const chunks = Math.max(1, Math.min(MAX_COLUMN_CHUNKS, cols));
    const colBounds = this.i32(chunks + 1);
    const total = nnz + cols;
    let j = 0;
    for (let c = 1; c < chunks; c++) {
      const target = (c * total) / chunks;
      while (j < cols && (colptr[j] as number) + j < target) j++;
      colBounds[c] = j;
    }
    colBounds[chunks] = cols;
    return { rows, cols, colptr, rowIndex, values, rowBounds, blockStarts, colBounds };
  }

  // The sums below add their chunks' partial sums in chunk order to `start` (default 0): a vector
  // split over several workspaces at chunk boundaries is summed exactly as one vector would be.

  dot(a: Float64Array, b: Float64Array, n = a.length): number {
    return this.dense(OP.dot, n, 0, this.at(a), this.at(b));
  }

  /** y += alpha·x */
  axpy(alpha: number, x: Float64Array, y: Float64Array, n = y.length): void {
    this.dense(OP.axpy, n, 0, alpha, this.at(x), this.at(y));
  }

  /** y += alpha·x, then returns start + z·y. */
  axpyDot(alpha: number, x: Float64Array, y: Float64Array, z: Float64Array, n = y.length, start = 0): number {
    return this.dense(OP.axpyDot, n, start, alpha, this.at(x), this.at(y), this.at(z));
  }

  /** dst = alpha·src (src may be dst), then returns start + z·dst. */
  scaleDot(
    alpha: number,
    src: Float64Array,
    dst: Float64Array,
    z: Float64Array,
    n = dst.length,
    start = 0,
  ): number {
    return this.dense(OP.scaleDot, n, start, alpha, this.at(src), this.at(dst), this.at(z));
  }

  /** y += alpha·x with x in single precision. */
  axpySingle(alpha: number, x: Float32Array, y: Float64Array): void {
    this.dense(OP.axpySingle, y.length, 0, alpha, this.at(x), this.at(y));
  }

  /** y += alpha·x with x and z in single precision, then returns start + z·y. */
  axpyDotSingle(alpha: number, x: Float32Array, y: Float64Array, z: Float32Array, start = 0): number {
    return this.dense(OP.axpyDotSingle, y.length, start, alpha, this.at(x), this.at(y), this.at(z));
  }

  /** dst = alpha·src (src may be dst), then returns start + z·dst with z in single precision. */
  scaleDotSingle(alpha: number, src: Float64Array, dst: Float64Array, z: Float32Array, start = 0): number {
    return this.dense(OP.scaleDotSingle, dst.length, start, alpha, this.at(src), this.at(dst), this.at(z));
  }

  /**
   * s = step·d, y = g - gOld (s may be d, y may be gOld); returns [s·y, y·y]. With `single`, s and y
   * are rounded to f32 precision first, so the sums are those of the pair as it will be stored in f32.
   */
  pair(
    step: number,
    d: Float64Array,
    g: Float64Array,
    gOld: Float64Array,
    s: Float64Array,
    y: Float64Array,
    single = false,
  ): [number, number] {
    const chunks = this.dense(
      single ? OP.pairSingle : OP.pair,
      s.length,
      0,
      step,
      this.at(d),
      this.at(g),
      this.at(gOld),
      this.at(s),
      this.at(y),
    );
    return this.sums(chunks);
  }

  /** dst = src rounded to f32 (exact when src holds f32 values already). */
  demote(src: Float64Array, dst: Float32Array): void {
    this.dense(OP.demote, dst.length, 0, this.at(src), this.at(dst));
  }

  /** max |x[i]|, NaN if any element is NaN. */
  maxAbs(x: Float64Array): number {
    const chunks = this.dense(OP.maxAbs, x.length, 0, this.at(x));
    let max = 0;
    for (let c = 0; c < chunks; c++) max = Math.max(max, this.partials[c] as number);
    return max;
  }

  /**
   * out[i·k + c] = (X·W)[i][c] + bias[c] for feature-major params (params[j·k + c]); k = 1 for a single
   * vector. Without `bias`, just X·W.
   */
  scores(x: WorkspaceCsc, params: Float64Array, out: Float64Array, k: number, bias?: Float64Array): void {
    const blocks = x.rowBounds.length - 1;
    this.args(
      0,
      0,
      0,
      this.at(x.rowBounds),
      blocks,
      this.at(x.colptr),
      x.blockStarts.length > 0 ? this.at(x.blockStarts) : 0,
      x.cols,
      this.at(x.rowIndex),
      this.at(x.values),
      this.at(params),
      this.at(out),
      k,
      bias ? this.at(bias) : 0,
    );
    this.run(OP.scores, blocks);
  }

  /**
   * g[j·k + c] = invC·params[j·k + c] + (Xᵀ·R)[j][c] for the weight part (the first cols·k entries),
   * and g[cols·k + c] = Σ_i R[i][c], summed over the rows in order.
   */
  gradient(
    x: WorkspaceCsc,
    params: Float64Array,
    r: Float64Array,
    g: Float64Array,
    k: number,
    invC: number,
  ): void {
    this.args(
      0,
      0,
      0,
      this.at(x.colBounds),
      this.at(x.colptr),
      this.at(x.rowIndex),
      this.at(x.values),
      this.at(params),
      this.at(r),
      this.at(g),
      k,
      invC,
      x.rows,
      x.cols,
      x.colBounds.length - 1,
    );
    // The column chunks and one more for the bias.
    this.run(OP.gradient, x.colBounds.length);
  }

  /**
   * The log-loss and its slope along zd at scores z + t·zd (k columns; k = 1 is binomial with 0/1
   * labels), summed block by block; writes the residuals (probabilities − one-hot) into r.
   */
  probe(
    x: WorkspaceCsc,
    z: Float64Array,
    zd: Float64Array,
    r: Float64Array,
    y: Int32Array,
    k: number,
    t: number,
  ): { loss: number; slope: number } {
    const blocks = x.rowBounds.length - 1;
    this.args(
      0,
      0,
      this.at(this.partials),
      this.at(x.rowBounds),
      this.at(z),
      this.at(zd),
      this.at(r),
      this.at(y),
      k,
      t,
    );
    this.run(OP.probe, blocks);
    const [loss, slope] = this.sums(blocks);
    return { loss, slope };
  }

  /** A dense operation over n elements in DENSE_CHUNK pieces; returns the number of chunks. */
  private dense(code: number, n: number, start: number, ...rest: number[]): number {
    const chunks = Math.ceil(n / DENSE_CHUNK);
    this.args(DENSE_CHUNK, n, this.at(this.partials), ...rest);
    this.run(code, chunks);
    if (SUMS.has(code)) {
      let sum = start;
      for (let c = 0; c < chunks; c++) sum += this.partials[c] as number;
      return sum;
    }
    return chunks;
  }

  /** The pairwise partials of `chunks` chunks, each added up in chunk order. */
  private sums(chunks: number): [number, number] {
    let first = 0;
    let second = 0;
    for (let c = 0; c < chunks; c++) {
      first += this.partials[2 * c] as number;
      second += this.partials[2 * c + 1] as number;
    }
    return [first, second];
  }

  private args(...values: number[]): void {
    this.a.set(values);
  }

  private run(code: number, chunks: number): void {
    const team = this.parent ? this.parent.team : this.team;
    const profile = sectionRecorder();
    const started = profile?.begin();
    if (team !== undefined && chunks > 1) team.run(code, chunks, this.runHere, this.memoryIndex);
    else for (let c = 0; c < chunks; c++) this.runHere(code, c);
    // Split operations are the work threads share; one-chunk ones run on this thread whatever the count.
    if (started)
      profile?.end(`${profile.current()} > ${chunks > 1 ? 'split' : 'whole'} ${OP_NAMES.get(code)}`, started);
  }

  private take(bytes: number): number {
    const offset = this.next;
    const end = offset + bytes;
    if (end > this.memory.buffer.byteLength) {
      throw new RangeError(
        `workspace exhausted: ${end} bytes needed, ${this.memory.buffer.byteLength} reserved`,
      );
    }
    // Not `& ~15`: offsets pass 2 GiB, beyond 32-bit signed arithmetic.
    this.next = Math.ceil(end / 16) * 16;
    return offset;
  }

  private at(array: Float64Array | Float32Array | Int32Array): number {
    if (array.buffer !== this.memory.buffer) throw new RangeError('array does not live in this workspace');
    return array.byteOffset;
  }
}

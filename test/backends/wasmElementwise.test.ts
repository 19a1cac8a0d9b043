/**
 * The wasm elementwise kernels against the reference (the same public op run on the cpu backend):
 * sizes 0, 1, the odd sizes that leave partial SIMD vectors (1..17) and a few large ones; every
 * binary layout (same shape, scalar, bias row, column, outer) and the ones that must fall back
 * (strided views, other dtypes); random float32 / float64 values with NaN, ±∞, ±0 and subnormals.
 * IEEE ops must agree bit for bit; the transcendental functions and pow within one float32 ulp over
 * dense sweeps of the whole float32 range (a wrong polynomial coefficient or reduction constant
 * misses by far more), with the reference's special values exactly. GELU's two forms are held to an
 * accurate float64 oracle, because the reference's 1 + erf (1 + tanh) cancels for x ≪ 0, and to
 * the reference where that is accurate (x ≥ −5).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { binary as storageBinary, unary as storageUnary } from "../../src/backends/wasm/elementwise.js";
import { broadcastShapes } from "../../src/backends/shape.js";
import { BINARY, UNARY } from "../../src/backends/wasm/elementwiseKernels.js";
import { simdAvailable } from "../../src/backends/wasm/features.js";
import { TRIG_LIMIT } from "../../src/backends/wasm/math.js";
import type { BinaryOp, UnaryOp } from "../../src/backends/ops.js";
import { erf as erfNumber } from "../../src/scalar/special.js";
import * as T from "../../src/tensor/index.js";
import { divSafe, mulSafe } from "../../src/tensor/primitives/arithmetic.js";
import { reluGrad } from "../../src/tensor/primitives/unary.js";
import { getBackend, setBackend, tensor, type Tensor } from "../../src/tensor/index.js";
import { fromStorage } from "../../src/tensor/tensor.js";

// The kernels over views, their buffers wrapped as tensors (as the primitives do) to compare them.
function unary(op: UnaryOp, x: Tensor, minSize?: number): Tensor | undefined {
  const out = storageUnary(op, x, x.dtype, minSize);
  return out && fromStorage(out, x.dtype, [...x.shape]);
}
function binary(op: BinaryOp, a: Tensor, b: Tensor, minSize?: number): Tensor | undefined {
  const shape = broadcastShapes(op, a.shape, b.shape);
  const out = storageBinary(op, a, b, shape, a.dtype, minSize);
  return out && fromStorage(out, a.dtype, shape);
}

/** `fn` on the reference kernels. */
function onCpu<R>(fn: () => R): R {
  const before = getBackend();
  setBackend("cpu");
  try {
    return fn();
  } finally {
    setBackend(before);
  }
}

const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);
/** A float32's position on the line of float32s (−0 and +0 one apart, as distinct values). */
function order(v: number): number {
  f32[0] = v;
  return i32[0] < 0 ? -0x80000000 - i32[0] - 1 : i32[0];
}

/** Float32 ulps between a and b; 0 for two NaNs, Infinity for a NaN against a number. */
function ulps(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity;
  return Math.abs(order(a) - order(b));
}

/** The largest ulp distance and where (bitwise equality is 0 ulps everywhere). */
function worst(got: Tensor, want: Tensor): { ulps: number; at: number } {
  expect(got.shape).toEqual(want.shape);
  expect(got.dtype).toBe(want.dtype);
  const [a, b] = [got.data(), want.data()];
  let w = { ulps: 0, at: -1 };
  for (let i = 0; i < a.length; i++) {
    const u = got.dtype === "float32" ? ulps(a[i], b[i]) : Object.is(a[i], b[i]) || (a[i] !== a[i] && b[i] !== b[i]) ? 0 : Infinity;
    if (u > w.ulps) w = { ulps: u, at: i };
  }
  return w;
}

function expectWithin(got: Tensor | undefined, want: Tensor, maxUlps: number, input?: Tensor): void {
  expect(got).toBeDefined();
  const w = worst(got as Tensor, want);
  if (w.ulps > maxUlps) throw new Error(`${w.ulps} ulps at ${w.at}: x = ${input?.data()[w.at]}, got ${(got as Tensor).data()[w.at]}, want ${want.data()[w.at]}`);
}

const UNARY_REFERENCE: Record<string, (x: Tensor) => Tensor> = {
  neg: T.neg,
  abs: T.abs,
  relu: T.relu,
  sqrt: T.sqrt,
  rsqrt: T.rsqrt,
  exp: T.exp,
  log: T.log,
  sin: T.sin,
  cos: T.cos,
  tanh: T.tanh,
  sigmoid: T.sigmoid,
  softplus: T.softplus,
  erf: T.erf,
  gelu: (x) => T.gelu(x),
  geluTanh: (x) => T.gelu(x, { approximate: "tanh" }),
};

/** erfc in float64 to ~1e-12: 1 − erf below 3, the continued fraction above (as scalar/special.ts). */
function erfc(w: number): number {
  if (!(w >= 3)) return 1 - erfNumber(w);
  let f = w;
  for (let k = 60; k >= 1; k--) f = w + k / 2 / f;
  return Math.exp(-w * w) / Math.sqrt(Math.PI) / f;
}
const GELU_K = Math.sqrt(2 / Math.PI);
/** Accurate float64 values of the GELUs: x·erfc(−x/√2)/2, and ½x(1 + tanh u) written as x/(1 + e^(−2u)). */
const ORACLE: Record<string, (x: number) => number> = {
  gelu: (x) => 0.5 * x * erfc(-x * Math.SQRT1_2),
  geluTanh: (x) => x / (1 + Math.exp(-2 * GELU_K * (x + 0.044715 * x * x * x))),
};

/** What the kernel should give: the reference, or for the GELUs the oracle rounded to float32. */
function expected(op: string, x: Tensor): Tensor {
  const oracle = ORACLE[op];
  if (oracle === undefined) return onCpu(() => UNARY_REFERENCE[op](x));
  return tensor(Float32Array.from(x.data(), oracle), { shape: [...x.shape] });
}
const BINARY_REFERENCE: Record<string, (a: Tensor, b: Tensor) => Tensor> = {
  add: T.add,
  sub: T.sub,
  mul: T.mul,
  div: T.div,
  maximum: T.maximum,
  minimum: T.minimum,
  pow: T.pow,
  reluGrad,
  mulSafe,
  divSafe,
};
/** IEEE ops are bit-identical; the rest within one float32 ulp. */
const EXACT = new Set<string>(["neg", "abs", "relu", "sqrt", "rsqrt", "add", "sub", "mul", "div", "maximum", "minimum", "reluGrad", "mulSafe", "divSafe"]);
const tolerance = (op: string) => (EXACT.has(op) ? 0 : 1);

const size = fc.oneof(fc.integer({ min: 0, max: 17 }), fc.constantFrom(63, 64, 65, 1000, 4099));
const values = (dtype: "float32" | "float64", n: number) =>
  dtype === "float32" ? fc.float32Array({ minLength: n, maxLength: n }) : fc.float64Array({ minLength: n, maxLength: n });

/** Every float32 whose bit pattern is a multiple of `step`, both signs: the whole range, ±0, ±∞, subnormals. */
function sweep(step: number): Tensor {
  const bits: number[] = [];
  for (let b = 0; b <= 0x7f800000; b += step) bits.push(b, b | 0x80000000);
  bits.push(0x7fc00000, 0x7f800000, 0xff800000, 1, 0x80000001);
  return tensor(new Float32Array(new Int32Array(bits).buffer));
}

/** n float32s evenly over [lo, hi]. */
const linear = (lo: number, hi: number, n: number) => tensor(Float32Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1)));

describe.runIf(simdAvailable)("wasm unary kernels", () => {
  const ops = Object.keys(UNARY) as UnaryOp[];

  it("has a reference for every kernel", () => {
    expect(ops.sort()).toEqual(Object.keys(UNARY_REFERENCE).sort());
  });

  it.each(ops)("%s matches the reference on random sizes and values (property)", (op) => {
    const dtypes = (["float32", "float64"] as const).filter((d) => UNARY[op]?.[d] !== undefined);
    fc.assert(
      fc.property(
        fc.constantFrom(...dtypes).chain((dtype) => size.chain((n) => fc.tuple(fc.constant(dtype), values(dtype, n)))),
        ([dtype, data]) => {
          const x = tensor(data, { dtype });
          const got = unary(op, x, 0);
          if (x.size === 0) expect(got).toBeUndefined();
          else expectWithin(got, expected(op, x), tolerance(op), x);
        },
      ),
      { numRuns: 60 },
    );
  });

  it.each(ops.filter((op) => !EXACT.has(op)))("%s is within one float32 ulp over dense sweeps, with the reference's special values", (op) => {
    for (const x of [sweep(4099), linear(-40, 40, 100_003), linear(-1, 1, 20_011)]) {
      const got = unary(op, x, 0) as Tensor;
      const want = expected(op, x);
      expectWithin(got, want, 1, x);
      // Where the reference gives NaN, ±∞ or ±0, so does the kernel, to the sign.
      const [g, w] = [got.data(), want.data()];
      const differ: number[] = [];
      for (let i = 0; i < w.length; i++) if ((!Number.isFinite(w[i]) || w[i] === 0) && !Object.is(g[i], w[i])) differ.push(x.data()[i]);
      expect(differ).toEqual([]);
    }
  });

  it.each(Object.keys(ORACLE))("%s agrees with the reference's formula where that is accurate (x ≥ −5)", (op) => {
    const x = linear(-5, 40, 200_003);
    expectWithin(
      unary(op as UnaryOp, x, 0),
      onCpu(() => UNARY_REFERENCE[op](x)),
      1,
      x,
    );
  });

  it("sin and cos near multiples of π/2 and past the reduction's range (recomputed there)", () => {
    // The float32s nearest to kπ/2: r is tiny there, so any error in the reduction shows.
    const k = Float32Array.from({ length: 20_000 }, (_, i) => (i * 16 + (i % 16)) * (Math.PI / 2));
    const big = Float32Array.from({ length: 1000 }, (_, i) => TRIG_LIMIT * (0.999 + i * 0.001) * (i % 2 ? -1 : 1));
    for (const x of [tensor(k), tensor(big), tensor(Float32Array.from(k, (v, i) => (i % 3 === 0 ? v * 1e20 : v)))]) {
      for (const op of ["sin", "cos"] as const)
        expectWithin(
          unary(op, x, 0),
          onCpu(() => UNARY_REFERENCE[op](x)),
          1,
          x,
        );
    }
  });

  it("declines what it does not cover: size 0, strided views, float64 transcendentals, ints", () => {
    const m = T.randn([20, 30], { rng: T.rng(1) });
    expect(unary("exp", T.zeros([0, 3]), 0)).toBeUndefined();
    expect(unary("exp", T.transpose(m), 0)).toBeUndefined();
    expect(unary("exp", T.slice(m, [null, [null, null, -1]]), 0)).toBeUndefined();
    expect(unary("exp", T.cast(m, "float64"), 0)).toBeUndefined();
    expect(unary("neg", T.cast(m, "int32"), 0)).toBeUndefined();
    // A contiguous slice (offset storage) is covered.
    const rows = T.slice(m, [[5, 15]]);
    expectWithin(
      unary("exp", rows, 0),
      onCpu(() => T.exp(rows)),
      1,
    );
  });

  it("leaves small tensors to the reference (size threshold)", () => {
    expect(unary("exp", T.randn([8]))).toBeUndefined();
    expect(unary("exp", T.randn([4096]))).toBeDefined();
    expect(binary("add", T.randn([8]), T.randn([8]))).toBeUndefined();
  });
});

/** Operand shapes for each layout the kernels cover, for a [rows, n] output. */
const LAYOUT_CASES: Record<string, (r: number, n: number) => [number[], number[]]> = {
  "same shape": (r, n) => [
    [r, n],
    [r, n],
  ],
  "scalar b": (r, n) => [[r, n], []],
  "scalar a": (r, n) => [[1], [r, n]],
  "bias row b": (r, n) => [[r, n], [n]],
  "bias row a": (r, n) => [[n], [2, r, n]],
  "column b": (r, n) => [
    [r, n],
    [r, 1],
  ],
  "column a": (r, n) => [
    [r, 1],
    [r, n],
  ],
  "outer": (r, n) => [
    [r, 1],
    [1, n],
  ],
};

describe.runIf(simdAvailable)("wasm binary kernels", () => {
  const ops = Object.keys(BINARY) as BinaryOp[];

  it("has a reference for every kernel", () => {
    expect(ops.sort()).toEqual(Object.keys(BINARY_REFERENCE).sort());
  });

  it.each(ops)("%s matches the reference in every layout (property)", (op) => {
    const dtypes = (["float32", "float64"] as const).filter((d) => BINARY[op]?.[d] !== undefined);
    const dim = fc.oneof(fc.integer({ min: 1, max: 17 }), fc.constantFrom(64, 257));
    fc.assert(
      fc.property(fc.constantFrom(...dtypes), fc.constantFrom(...Object.keys(LAYOUT_CASES)), dim, dim, fc.integer(), (dtype, layout, r, n, seed) => {
        const [sa, sb] = LAYOUT_CASES[layout](r, n);
        const a = mixed(sa, dtype, seed, op === "pow");
        const b = mixed(sb, dtype, seed + 1, false);
        const got = binary(op, a, b, 0);
        const want = onCpu(() => BINARY_REFERENCE[op](a, b));
        // A layout that degenerates (size-1 dims collapse to a lone scalar pair) may fall back.
        if (got === undefined) expect(want.size).toBeLessThanOrEqual(1);
        else expectWithin(got, want, tolerance(op));
      }),
      { numRuns: 80 },
    );
  });

  it("pow: Math.pow's special values and negative bases, within one ulp elsewhere", () => {
    const special = [0, -0, 1, -1, 2, -2, 0.5, -0.5, 3, -3, 1e-30, 1e30, 1e-45, Infinity, -Infinity, NaN, 16777216, 1.5, -2.5];
    const grid = special.flatMap((a) => special.map((b) => [a, b]));
    const a = tensor(Float32Array.from(grid, ([x]) => x));
    const b = tensor(Float32Array.from(grid, ([, y]) => y));
    expectWithin(
      binary("pow", a, b, 0),
      onCpu(() => T.pow(a, b)),
      0,
    );
    const base = linear(-20, 20, 40_001);
    for (const e of [2, 3, -1, 0.5, 7.25, -9])
      expectWithin(
        binary("pow", base, tensor(e), 0),
        onCpu(() => T.pow(base, e)),
        1,
        base,
      );
    const pos = T.exp(linear(-80, 80, 20_001));
    expectWithin(
      binary("pow", pos, tensor(1.1), 0),
      onCpu(() => T.pow(pos, 1.1)),
      1,
      pos,
    );
  });

  it("declines strided views, mixed dtypes, size 0 and a lone pair of scalars", () => {
    const m = T.randn([20, 30], { rng: T.rng(2) });
    expect(binary("add", T.transpose(m), T.randn([30, 20]), 0)).toBeUndefined();
    expect(binary("add", T.slice(m, [null, [0, 10]]), T.randn([20, 10]), 0)).toBeUndefined();
    expect(binary("add", m, T.cast(m, "float64"), 0)).toBeUndefined();
    expect(binary("add", T.zeros([0, 4]), T.zeros([4]), 0)).toBeUndefined();
    expect(binary("add", tensor(1), tensor(2), 0)).toBeUndefined();
    // Three axes that do not merge: [A, 1, C] + [1, B, C].
    expect(binary("add", T.randn([3, 1, 5]), T.randn([1, 4, 5]), 0)).toBeUndefined();
  });
});

/** Random values in `shape`, a few of them special; a pow base keeps to magnitudes where aᵇ is interesting. */
function mixed(shape: number[], dtype: "float32" | "float64", seed: number, base: boolean): Tensor {
  const r = T.rng(seed);
  const x = T.randn(shape, { rng: r, dtype })
    .mul(base ? 3 : 10)
    .data()
    .slice();
  const specials = [0, -0, Infinity, -Infinity, NaN, 1, -1, 2, 1e-40];
  for (let i = 0; i < x.length; i += 7) x[i] = specials[(i / 7 + Math.abs(seed)) % specials.length];
  return tensor(x, { dtype, shape });
}

/**
 * The generated elementwise kernels: one function per (op, dtype) for unary ops and per (op, dtype,
 * operand layout) for binary ops, each a SIMD loop over whole 16-byte vectors. The driver
 * (./elementwise.ts) pads every buffer to whole vectors, so the loops have no scalar tail.
 *
 * IEEE ops (+ − × ÷ √, neg, abs, max, min, relu) run in the data's own lanes and are correctly
 * rounded, so they equal the reference bit for bit (its float64 result rounded once to float32 is
 * the correctly rounded float32 op). rsqrt, the transcendental functions and pow run on float32
 * data only, in f64x2 lanes (./math.ts, ./erf.ts) rounded once to float32.
 */
import { Body, ModuleBuilder, Val } from "./encoder.js";
import * as gaussian from "./erf.js";
import * as math from "./math.js";
import type { BinaryOp, UnaryOp } from "../ops.js";

type Lane = Val.f32 | Val.f64;
export type Dtype = "float32" | "float64";
/** Op on the vector in local x (lanes of the kernel's dtype), result left on the stack. */
type VecFn = (f: Body, x: number) => void;
type VecFn2 = (f: Body, a: number, b: number) => void;

const I32 = Val.i32;
const V128 = Val.v128;

/** Byte shuffles: the high 8 bytes of a to the low half; the low halves of a and b side by side. */
const HIGH_TO_LOW = [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7];
const LOW_HALVES = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];

/** The f64x2 halves of the f32x4 in local x, as two new locals. */
function promote(f: Body, x: number): [number, number] {
  const lo = f.local(V128);
  const hi = f.local(V128);
  f.get(x).promoteLow().set(lo);
  f.get(x).get(x).shuffle(HIGH_TO_LOW).promoteLow().set(hi);
  return [lo, hi];
}

/** An f32x4 op computed in f64x2 lanes and rounded once. */
function widen(g: VecFn): VecFn {
  return (f, x) => {
    const [lo, hi] = promote(f, x);
    g(f, lo);
    f.demoteZero();
    g(f, hi);
    f.demoteZero().shuffle(LOW_HALVES);
  };
}

function widen2(g: VecFn2): VecFn2 {
  return (f, a, b) => {
    const [alo, ahi] = promote(f, a);
    const [blo, bhi] = promote(f, b);
    g(f, alo, blo);
    f.demoteZero();
    g(f, ahi, bhi);
    f.demoteZero().shuffle(LOW_HALVES);
  };
}

interface UnarySpec {
  readonly float32?: VecFn;
  readonly float64?: VecFn;
  /**
   * All ones in the lanes of the float32 vector in local x that the kernel does not compute
   * exactly enough; the kernel returns whether any lane was, and the driver recomputes those elements.
   */
  readonly outOfRange?: VecFn;
}

/** An IEEE op, the same instruction in either dtype's lanes. */
function exact(g: (f: Body, lane: Lane, x: number) => void): UnarySpec {
  return { float32: (f, x) => g(f, Val.f32, x), float64: (f, x) => g(f, Val.f64, x) };
}

const trigRange: VecFn = (f, x) => {
  f.get(x).vAbs(Val.f32).vConst(Val.f32, math.TRIG_LIMIT).vCmp(Val.f32, "gt");
};

export const UNARY: Partial<Record<UnaryOp, UnarySpec>> = {
  neg: exact((f, t, x) => f.get(x).vNeg(t)),
  abs: exact((f, t, x) => f.get(x).vAbs(t)),
  // pmax(x, 0) keeps NaN and −0; adding +0 then turns −0 into +0, as the reference's relu.
  relu: exact((f, t, x) => f.get(x).vConst(t, 0).vPmax(t).vConst(t, 0).vAdd(t)),
  sqrt: exact((f, t, x) => f.get(x).vSqrt(t)),
  // 1/√x in double is the reference's computation exactly, in either dtype.
  rsqrt: { float32: widen(rsqrt64), float64: rsqrt64 },
  exp: { float32: widen(math.exp) },
  log: { float32: widen(math.log) },
  sin: { float32: widen((f, x) => math.sinCos(f, x, 0)), outOfRange: trigRange },
  cos: { float32: widen((f, x) => math.sinCos(f, x, 1)), outOfRange: trigRange },
  tanh: { float32: widen(math.tanh) },
  sigmoid: { float32: widen(math.sigmoid) },
  softplus: { float32: widen(math.softplus) },
  erf: { float32: widen(gaussian.erf) },
  gelu: { float32: widen(gaussian.gelu) },
  geluTanh: { float32: widen(gaussian.geluTanh) },
};

function rsqrt64(f: Body, x: number): void {
  f.vConst(Val.f64, 1).get(x).vSqrt(Val.f64).vDiv(Val.f64);
}

function exact2(g: (f: Body, lane: Lane) => void): { float32: VecFn2; float64: VecFn2 } {
  return {
    float32: (f, a, b) => g(f.get(a).get(b), Val.f32),
    float64: (f, a, b) => g(f.get(a).get(b), Val.f64),
  };
}

export const BINARY: Partial<Record<BinaryOp, { readonly float32?: VecFn2; readonly float64?: VecFn2 }>> = {
  add: exact2((f, t) => f.vAdd(t)),
  sub: exact2((f, t) => f.vSub(t)),
  mul: exact2((f, t) => f.vMul(t)),
  div: exact2((f, t) => f.vDiv(t)),
  // Math.max/min's semantics: NaN if either is NaN, −0 < +0.
  maximum: exact2((f, t) => f.vMax(t)),
  minimum: exact2((f, t) => f.vMin(t)),
  pow: { float32: widen2(math.pow) },
  // g & (x > 0): the comparison's all-ones lanes keep g's bits, the others give +0 (as the reference).
  reluGrad: exact2((f, t) => f.vConst(t, 0).vCmp(t, "gt").and()),
  mulSafe: { float32: zeroSafe(Val.f32, "mul"), float64: zeroSafe(Val.f64, "mul") },
  divSafe: { float32: zeroSafe(Val.f32, "div"), float64: zeroSafe(Val.f64, "div") },
};

/** (a op b) & (a ≠ 0): lanes where a is ±0 give +0 whatever b is (as the reference); NaN in a stays NaN. */
function zeroSafe(t: Lane, op: "mul" | "div"): VecFn2 {
  return (f, a, b) => {
    f.get(a).get(b);
    if (op === "mul") f.vMul(t);
    else f.vDiv(t);
    f.get(a).vConst(t, 0).vCmp(t, "ne").and();
  };
}

/**
 * How a binary kernel reads its operands along a row: both as vectors ("vv"), or one of them as a
 * single value splat over the row ("vs": b, "sv": a) — a scalar operand, or a column broadcast.
 */
export type Layout = "vv" | "vs" | "sv";
export const LAYOUTS: readonly Layout[] = ["vv", "vs", "sv"];

export const unaryName = (op: UnaryOp, dtype: Dtype) => `${op}_${dtype}`;
export const binaryName = (op: BinaryOp, dtype: Dtype, layout: Layout) => `${op}_${dtype}_${layout}`;

/**
 * `op_dtype(src, dst, vectors) → flag`: dst[i] = op(src[i]) over `vectors` ≥ 1 whole vectors (byte
 * addresses); the flag is 1 when a lane was out of the kernel's range (see UnarySpec.outOfRange).
 */
function emitUnary(module: ModuleBuilder, name: string, g: VecFn, outOfRange: VecFn | undefined): void {
  const f = module.func(name, [I32, I32, I32], [I32]);
  const [SRC, DST, COUNT] = [0, 1, 2];
  const x = f.local(V128);
  const flags = f.local(V128);
  f.v128Zero().set(flags);
  f.loop();
  {
    f.get(SRC).v128Load().set(x);
    f.get(DST);
    g(f, x);
    f.v128Store();
    if (outOfRange !== undefined) {
      f.get(flags);
      outOfRange(f, x);
      f.or().set(flags);
    }
    f.get(SRC).i32(16).i32Add().set(SRC);
    f.get(DST).i32(16).i32Add().set(DST);
    f.get(COUNT).i32(1).i32Sub().tee(COUNT).brIf(0);
  }
  f.end();
  f.get(flags).anyTrue();
}

/**
 * `op_dtype_layout(a, b, out, rows, vectors, aRow, bRow, outRow)`: for each of `rows` ≥ 1 rows,
 * `vectors` ≥ 1 vectors of out = op(a, b); a, b and out then advance by aRow, bRow, outRow bytes.
 * A row's last vector may run past the row: it writes the start of the next row's output, which
 * that row then overwrites (rows go in order; out must not overlap the inputs).
 */
function emitBinary(module: ModuleBuilder, name: string, g: VecFn2, layout: Layout, lane: Lane): void {
  const f = module.func(name, [I32, I32, I32, I32, I32, I32, I32, I32]);
  const [A, B, OUT, ROWS, VECTORS, A_ROW, B_ROW, OUT_ROW] = [0, 1, 2, 3, 4, 5, 6, 7];
  const pa = f.local(I32);
  const pb = f.local(I32);
  const po = f.local(I32);
  const k = f.local(I32);
  const va = f.local(V128);
  const vb = f.local(V128);
  f.loop();
  {
    f.get(A).set(pa);
    f.get(B).set(pb);
    f.get(OUT).set(po);
    f.get(VECTORS).set(k);
    if (layout === "sv") f.get(A).loadSplat(lane).set(va);
    if (layout === "vs") f.get(B).loadSplat(lane).set(vb);
    f.loop();
    {
      if (layout !== "sv") f.get(pa).v128Load().set(va);
      if (layout !== "vs") f.get(pb).v128Load().set(vb);
      f.get(po);
      g(f, va, vb);
      f.v128Store();
      if (layout !== "sv") f.get(pa).i32(16).i32Add().set(pa);
      if (layout !== "vs") f.get(pb).i32(16).i32Add().set(pb);
      f.get(po).i32(16).i32Add().set(po);
      f.get(k).i32(1).i32Sub().tee(k).brIf(0);
    }
    f.end();
    f.get(A).get(A_ROW).i32Add().set(A);
    f.get(B).get(B_ROW).i32Add().set(B);
    f.get(OUT).get(OUT_ROW).i32Add().set(OUT);
    f.get(ROWS).i32(1).i32Sub().tee(ROWS).brIf(0);
  }
  f.end();
}

/** Adds every elementwise kernel to the module. */
export function emitElementwise(module: ModuleBuilder): void {
  for (const [op, spec] of Object.entries(UNARY) as [UnaryOp, UnarySpec][]) {
    if (spec.float32 !== undefined) emitUnary(module, unaryName(op, "float32"), spec.float32, spec.outOfRange);
    if (spec.float64 !== undefined) emitUnary(module, unaryName(op, "float64"), spec.float64, undefined);
  }
  for (const [op, spec] of Object.entries(BINARY) as [BinaryOp, { float32?: VecFn2; float64?: VecFn2 }][]) {
    for (const layout of LAYOUTS) {
      if (spec.float32 !== undefined) emitBinary(module, binaryName(op, "float32", layout), spec.float32, layout, Val.f32);
      if (spec.float64 !== undefined) emitBinary(module, binaryName(op, "float64", layout), spec.float64, layout, Val.f64);
    }
  }
}

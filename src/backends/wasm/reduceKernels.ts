/**
 * The generated reduction kernels, over contiguous rows (the driver, ./reduce.ts, reduces every
 * supported case to rows):
 * - `sumRows`: each row's sum, in f64x2 accumulators (float32 values promoted), one double per row;
 * - `sumCols`: the sum over rows of each column into a float64 accumulator row — per column the
 *   reference's order exactly (row after row, in double), so the result is bit-identical;
 * - `maxRows` / `minRows`: each row's extreme, in the data's own lanes (exact).
 */
import { Body, ModuleBuilder, Val } from "./encoder.js";
import type { Dtype } from "./elementwiseKernels.js";

const I32 = Val.i32;
const F64 = Val.f64;
const V128 = Val.v128;
const HIGH_TO_LOW = [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7];

const laneOf = (dtype: Dtype) => (dtype === "float32" ? Val.f32 : Val.f64);
const sizeOf = (dtype: Dtype) => (dtype === "float32" ? 4 : 8);

export const reduceName = (kind: "sumRows" | "sumCols" | "maxRows" | "minRows", dtype: Dtype) => `${kind}_${dtype}`;

/** `count` times `body`, for a count in local `counter` that may be 0 (the counter is used up). */
function repeat(f: Body, counter: number, body: () => void): void {
  f.block().get(counter).i32Eqz().brIf(0).loop();
  body();
  f.get(counter).i32(1).i32Sub().tee(counter).brIf(0).end().end();
}

/** `sumRows(x, out, rows, vectors, tail)`: rows of `vectors` whole vectors then `tail` values; out: one f64 per row. */
function emitSumRows(module: ModuleBuilder, dtype: Dtype): void {
  const f = module.func(reduceName("sumRows", dtype), [I32, I32, I32, I32, I32]);
  const [X, OUT, ROWS, VECTORS, TAIL] = [0, 1, 2, 3, 4];
  const k = f.local(I32);
  const v = f.local(V128);
  const acc0 = f.local(V128);
  const acc1 = f.local(V128);
  const s = f.local(F64);
  const lane = laneOf(dtype);
  f.loop();
  {
    f.v128Zero().set(acc0).v128Zero().set(acc1);
    f.get(VECTORS).set(k);
    repeat(f, k, () => {
      if (dtype === "float32") {
        f.get(X).v128Load().set(v);
        f.get(acc0).get(v).promoteLow().vAdd(F64).set(acc0);
        f.get(acc1).get(v).get(v).shuffle(HIGH_TO_LOW).promoteLow().vAdd(F64).set(acc1);
      } else {
        f.get(acc0).get(X).v128Load().vAdd(F64).set(acc0);
      }
      f.get(X).i32(16).i32Add().set(X);
    });
    f.get(acc0).get(acc1).vAdd(F64).set(acc0);
    f.get(acc0).extractLane(F64, 0).get(acc0).extractLane(F64, 1).fAdd(F64).set(s);
    f.get(TAIL).set(k);
    repeat(f, k, () => {
      f.get(s).get(X).load(lane);
      if (dtype === "float32") f.f64PromoteF32();
      f.fAdd(F64).set(s);
      f.get(X).i32(sizeOf(dtype)).i32Add().set(X);
    });
    f.get(OUT).get(s).store(F64);
    f.get(OUT).i32(8).i32Add().set(OUT);
    f.get(ROWS).i32(1).i32Sub().tee(ROWS).brIf(0);
  }
  f.end();
}

/**
 * `sumCols(x, acc, rows, vectors, rowBytes)`: acc[j] += x[r, j] for every row r in order, over
 * `vectors` ≥ 1 vectors per row (past the row's end they add into acc's padding, never read back).
 */
function emitSumCols(module: ModuleBuilder, dtype: Dtype): void {
  const f = module.func(reduceName("sumCols", dtype), [I32, I32, I32, I32, I32]);
  const [X, ACC, ROWS, VECTORS, ROW_BYTES] = [0, 1, 2, 3, 4];
  const k = f.local(I32);
  const px = f.local(I32);
  const pa = f.local(I32);
  const v = f.local(V128);
  f.loop();
  {
    f.get(X).set(px).get(ACC).set(pa).get(VECTORS).set(k);
    f.loop();
    {
      if (dtype === "float32") {
        f.get(px).v128Load().set(v);
        f.get(pa).get(pa).v128Load().get(v).promoteLow().vAdd(F64).v128Store();
        f.get(pa).get(pa).v128Load(16).get(v).get(v).shuffle(HIGH_TO_LOW).promoteLow().vAdd(F64).v128Store(16);
        f.get(pa).i32(32).i32Add().set(pa);
      } else {
        f.get(pa).get(pa).v128Load().get(px).v128Load().vAdd(F64).v128Store();
        f.get(pa).i32(16).i32Add().set(pa);
      }
      f.get(px).i32(16).i32Add().set(px);
      f.get(k).i32(1).i32Sub().tee(k).brIf(0);
    }
    f.end();
    f.get(X).get(ROW_BYTES).i32Add().set(X);
    f.get(ROWS).i32(1).i32Sub().tee(ROWS).brIf(0);
  }
  f.end();
}

/**
 * `maxRows(x, out, rows, vectors, tail)` (or min): out[r] = the row's extreme, NaN if it holds one.
 * The vector loop uses the one-instruction pseudo-max (which skips NaN) and tracks NaN apart, which
 * is cheaper than the IEEE max's sequence; ±0 ties are the driver's (see reduce.ts `firstZero`).
 */
function emitExtremeRows(module: ModuleBuilder, dtype: Dtype, kind: "maxRows" | "minRows"): void {
  const f = module.func(reduceName(kind, dtype), [I32, I32, I32, I32, I32]);
  const [X, OUT, ROWS, VECTORS, TAIL] = [0, 1, 2, 3, 4];
  const lane = laneOf(dtype);
  const k = f.local(I32);
  const acc = f.local(V128);
  const nan = f.local(V128);
  const v = f.local(V128);
  const m = f.local(lane);
  const pickScalar = kind === "maxRows" ? () => f.fMax(lane) : () => f.fMin(lane);
  f.loop();
  {
    f.vConst(lane, kind === "maxRows" ? -Infinity : Infinity).set(acc);
    f.v128Zero().set(nan);
    f.get(VECTORS).set(k);
    repeat(f, k, () => {
      f.get(X).v128Load().set(v);
      f.get(acc).get(v);
      if (kind === "maxRows") f.vPmax(lane);
      else f.vPmin(lane);
      f.set(acc);
      f.get(nan).get(v).get(v).vCmp(lane, "ne").or().set(nan);
      f.get(X).i32(16).i32Add().set(X);
    });
    f.get(acc).extractLane(lane, 0).set(m);
    for (let i = 1; i < 16 / sizeOf(dtype); i++) {
      f.get(m).get(acc).extractLane(lane, i);
      pickScalar();
      f.set(m);
    }
    f.get(nan).anyTrue().if().vConst(lane, NaN).extractLane(lane, 0).set(m).end();
    f.get(TAIL).set(k);
    repeat(f, k, () => {
      f.get(m).get(X).load(lane);
      pickScalar();
      f.set(m);
      f.get(X).i32(sizeOf(dtype)).i32Add().set(X);
    });
    f.get(OUT).get(m).store(lane);
    f.get(OUT).i32(sizeOf(dtype)).i32Add().set(OUT);
    f.get(ROWS).i32(1).i32Sub().tee(ROWS).brIf(0);
  }
  f.end();
}

/** Adds every reduction kernel to the module. */
export function emitReductions(module: ModuleBuilder): void {
  for (const dtype of ["float32", "float64"] as const) {
    emitSumRows(module, dtype);
    emitSumCols(module, dtype);
    emitExtremeRows(module, dtype, "maxRows");
    emitExtremeRows(module, dtype, "minRows");
  }
}

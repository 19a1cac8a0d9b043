/**
 * The generated outer-product kernel: a batch of products whose contracted length is 1 (a per-example
 * weight gradient xᵀ·g, one [m, 1]·[1, n] product per example), written row by row:
 *
 *   C[q, i, j] = A[q, i] · B[q, j] + 0
 *
 * One splat of A[q, i] times B[q]'s row, stored front to back: the output is written once,
 * sequentially, where the gemm (gemm.ts) would run its k-loop machinery for a single multiply and
 * write C in 4-row tiles. The `+ 0` is the gemm's and the reference loop's (a sum from 0 of one
 * term), so the bits are theirs, −0 products included.
 */
import { type ModuleBuilder, Val } from "./encoder.js";

/** Vectors stored per iteration of the main loop. */
export const UNROLL = 4;

/**
 * Emits `name(ap, bp, cp, m, n, i0, rows, whole, unrolled)`: `rows` rows of C from row i0 of one
 * product on. A holds the products' columns of m values one after another, B their rows of n
 * values, C their row-major m × n results, each contiguous from the byte address given (ap at row
 * i0's value, bp at that product's row, cp at the first row written). `whole` is n rounded down to
 * whole vectors, `unrolled` to whole groups of UNROLL vectors. Rows are independent, so threads can
 * share them.
 */
export function emitOuter(module: ModuleBuilder, name: string, type: Val.f32 | Val.f64): void {
  const I32 = Val.i32;
  const size = type === Val.f32 ? 4 : 8;
  const f = module.func(name, [I32, I32, I32, I32, I32, I32, I32, I32, I32]);
  const [AP, BP, CP, M, N, I0, ROWS, WHOLE, UNROLLED] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const r = f.local(I32);
  const i = f.local(I32);
  const a = f.local(I32);
  const b = f.local(I32);
  const c = f.local(I32);
  const pb = f.local(I32);
  const pc = f.local(I32);
  const end = f.local(I32);
  const rowBytes = f.local(I32);
  const s = f.local(Val.v128);
  const x = f.local(type);

  /** `body` while pc < c + `upTo` elements, pc and pb advancing `step` bytes each time. */
  const over = (upTo: number, step: number, body: () => void) => {
    f.get(c).get(upTo).i32(size).i32Mul().i32Add().set(end);
    f.block();
    f.get(pc).get(end).i32LtS().i32Eqz().brIf(0);
    f.loop();
    body();
    f.get(pb).i32(step).i32Add().set(pb);
    f.get(pc).i32(step).i32Add().tee(pc).get(end).i32LtS().brIf(0);
    f.end();
    f.end();
  };
  /** Stores s · b + 0 at pc + offset. */
  const vector = (offset: number) => {
    f.get(pc).get(s).get(pb).v128Load(offset).vMul(type).vConst(type, 0).vAdd(type).v128Store(offset);
  };

  f.get(N).i32(size).i32Mul().set(rowBytes);
  f.i32(0).set(r);
  f.get(I0).set(i);
  f.get(AP).set(a);
  f.get(BP).set(b);
  f.get(CP).set(c);
  f.block();
  f.get(ROWS).i32Eqz().brIf(0);
  f.loop(); // over rows
  {
    f.get(a).load(type).set(x);
    f.get(x).splat(type).set(s);
    f.get(c).set(pc);
    f.get(b).set(pb);
    over(UNROLLED, UNROLL * 16, () => {
      for (let v = 0; v < UNROLL; v++) vector(16 * v);
    });
    over(WHOLE, 16, () => vector(0));
    // The row's tail, one value at a time.
    over(N, size, () => {
      f.get(pc).get(x).get(pb).load(type).fMul(type);
      if (type === Val.f32) f.f32(0);
      else f.f64(0);
      f.fAdd(type).store(type);
    });
    // Next row: the next A value, C's next row; B's next row after every m rows.
    f.get(a).i32(size).i32Add().set(a);
    f.get(c).get(rowBytes).i32Add().set(c);
    f.get(i).i32(1).i32Add().tee(i).get(M).i32LtS().i32Eqz().if();
    f.i32(0).set(i);
    f.get(b).get(rowBytes).i32Add().set(b);
    f.end();
    f.get(r).i32(1).i32Add().tee(r).get(ROWS).i32LtS().brIf(0);
  }
  f.end();
  f.end();
}

/**
 * Generated packing kernels: a strided matrix, staged into wasm memory, rearranged into the panels
 * the gemm kernel reads (gemm.ts). For a source viewed as [D, k] with element strides (sD, sK),
 * panel q holds rows [q·W, q·W + W) of D for every p < k, row index fastest, zero past D:
 *
 *   dst[(q·k + p)·W + r] = src[(q·W + r)·sD + p·sK]   (0 where q·W + r ≥ D)
 *
 * A packs with W = MR over its rows, B with W = NR over its columns (D = n, sD = B's column stride).
 * When sD = 1 (a row-major B, a transposed A) each (q, p) is W consecutive values: one or two v128
 * copies. Otherwise the W rows are read side by side, one value each. Panels [Q0, Q1) per call, so
 * threads can share the work.
 */
import { type ModuleBuilder, Val } from "./encoder.js";

/**
 * Emits `name(src, sD, sK, D, k, dst, q0, q1, full)`: panels [q0, q1) of W rows (`full` = ⌊D/W⌋
 * panels have no padding). `src`, `dst` are byte addresses; sD, sK element strides; k ≥ 1.
 */
export function emitPack(module: ModuleBuilder, name: string, type: Val.f32 | Val.f64, W: number): void {
  const I32 = Val.i32;
  const size = type === Val.f32 ? 4 : 8;
  const f = module.func(name, [I32, I32, I32, I32, I32, I32, I32, I32, I32]);
  const [SRC, SD, SK, D, K, DST, Q0, Q1, FULL] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const q = f.local(I32);
  const p = f.local(I32);
  const s = f.local(I32);
  const d = f.local(I32);
  const skBytes = f.local(I32);
  const rowOffset = Array.from({ length: W }, () => f.local(I32)); // r·sD·size
  const vectors = (W * size) / 16;

  f.get(SK).i32(size).i32Mul().set(skBytes);
  for (let r = 0; r < W; r++)
    f.get(SD)
      .i32(r * size)
      .i32Mul()
      .set(rowOffset[r]);

  /** The k loop around `step` (which reads s, writes d); s and d advance by one p. */
  const overK = (step: () => void) => {
    f.i32(0).set(p);
    f.loop();
    step();
    f.get(s).get(skBytes).i32Add().set(s);
    f.get(d)
      .i32(W * size)
      .i32Add()
      .set(d);
    f.get(p).i32(1).i32Add().tee(p).get(K).i32LtS().brIf(0);
    f.end();
  };
  const copyValue = (r: number) => {
    f.get(d)
      .get(s)
      .get(rowOffset[r])
      .i32Add()
      .load(type)
      .store(type, r * size);
  };
  const zeroValue = (r: number) => {
    f.get(d);
    if (type === Val.f32) f.f32(0);
    else f.f64(0);
    f.store(type, r * size);
  };

  f.get(Q0).set(q);
  f.block();
  f.get(q).get(Q1).i32LtS().i32Eqz().brIf(0);
  f.loop(); // over panels
  {
    // d = DST + q·k·W·size; s = SRC + q·W·sD·size
    f.get(DST)
      .get(q)
      .get(K)
      .i32Mul()
      .i32(W * size)
      .i32Mul()
      .i32Add()
      .set(d);
    f.get(SRC)
      .get(q)
      .get(rowOffset[W - 1])
      .get(SD)
      .i32(size)
      .i32Mul()
      .i32Add()
      .i32Mul()
      .i32Add()
      .set(s);
    f.get(q).get(FULL).i32LtS().if();
    {
      f.get(SD).i32(1).i32Sub().i32Eqz().if();
      overK(() => {
        for (let v = 0; v < vectors; v++)
          f.get(d)
            .get(s)
            .v128Load(16 * v)
            .v128Store(16 * v);
      });
      f.else();
      overK(() => {
        for (let r = 0; r < W; r++) copyValue(r);
      });
      f.end();
    }
    f.else();
    {
      // The last, partial panel: rows past D are zeros.
      overK(() => {
        for (let r = 0; r < W; r++) {
          f.get(q).i32(W).i32Mul().i32(r).i32Add().get(D).i32LtS().if();
          copyValue(r);
          f.else();
          zeroValue(r);
          f.end();
        }
      });
    }
    f.end();
    f.get(q).i32(1).i32Add().tee(q).get(Q1).i32LtS().brIf(0);
  }
  f.end();
  f.end();
}

/**
 * The generated matrix-multiply kernel: C += A·B over packed panels, blocked like GotoBLAS / BLIS.
 * A is packed in panels of MR rows (each k × MR, row index fastest), B in panels of NR columns (each
 * k × NR), C is a padded row-major buffer (rows a multiple of MR, row length `ldc` a multiple of NR).
 * The micro-kernel keeps an MR × NR tile of C in SIMD registers (MR·NR/lanes accumulators), loads
 * NR/lanes vectors of B and splats one A value per row for every k, so each loaded value feeds
 * several multiply-adds. Blocking: KC values of k at a time (the B micro-panel stays in L1), MC rows
 * (the A block stays in L2), NC columns (the B block in L2/L3).
 *
 * Every output element is a sum over k in increasing order (KC blocks one after another, each added
 * to C), whatever range of panels a call covers, so splitting the panels among threads gives the
 * same bits as one thread.
 */
import { Body, ModuleBuilder, Val } from "./encoder.js";

export interface GemmShape {
  readonly type: Val.f32 | Val.f64;
  /** Rows of the register tile. */
  readonly mr: number;
  /** Columns of the register tile (a multiple of the SIMD lane count). */
  readonly nr: number;
  /** Use relaxed SIMD's fused multiply-add. */
  readonly relaxed: boolean;
}

export const KC = 256;
/** Row panels per L2 block (MC = MC_PANELS · MR rows). */
const MC_PANELS = 32;
/** Column panels per L3 block. */
const NC_PANELS = 128;

/**
 * Emits `gemm(k, ap, bp, cp, ldcBytes, i0, i1, j0, j1)`: for row panels [i0, i1) and column panels
 * [j0, j1) (both non-empty, k > 0), C[tile] = Σ_p A[panel, p] · B[p, panel] (C need not be cleared). `ap`, `bp`, `cp` are
 * byte addresses; each A panel is k·MR values, each B panel k·NR values.
 */
export function emitGemm(module: ModuleBuilder, name: string, shape: GemmShape): void {
  const { type, mr, nr, relaxed } = shape;
  const size = type === Val.f32 ? 4 : 8;
  const lanes = 16 / size;
  const nv = nr / lanes;
  const I32 = Val.i32;
  const f = module.func(name, [I32, I32, I32, I32, I32, I32, I32, I32, I32]);
  const [K, AP, BP, CP, LDC, I0, I1, J0, J1] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const pc = f.local(I32);
  const kc = f.local(I32);
  const jc = f.local(I32);
  const jcEnd = f.local(I32);
  const ic = f.local(I32);
  const icEnd = f.local(I32);
  const jr = f.local(I32);
  const ir = f.local(I32);
  const p = f.local(I32);
  const a = f.local(I32);
  const b = f.local(I32);
  const c = f.local(I32);
  const aPanelBytes = f.local(I32);
  const bPanelBytes = f.local(I32);
  const av = f.local(Val.v128);
  const bv = Array.from({ length: nv }, () => f.local(Val.v128));
  const acc = Array.from({ length: mr }, () => Array.from({ length: nv }, () => f.local(Val.v128)));

  /** local = min(x, limit) where x is on the stack. */
  const minInto = (dst: number, limit: number) => {
    f.tee(dst).get(limit).i32LtS().if().else().get(limit).set(dst).end();
  };

  // Bytes per packed panel over the whole k.
  f.get(K)
    .i32(mr * size)
    .i32Mul()
    .set(aPanelBytes);
  f.get(K)
    .i32(nr * size)
    .i32Mul()
    .set(bPanelBytes);

  f.i32(0).set(pc);
  f.loop(); // PC
  {
    f.get(K).get(pc).i32Sub().set(kc);
    f.get(kc).i32(KC).i32LtS().if().else().i32(KC).set(kc).end();
    f.get(J0).set(jc);
    f.loop(); // JC
    {
      f.get(jc).i32(NC_PANELS).i32Add();
      minInto(jcEnd, J1);
      f.get(I0).set(ic);
      f.loop(); // IC
      {
        f.get(ic).i32(MC_PANELS).i32Add();
        minInto(icEnd, I1);
        f.get(jc).set(jr);
        f.loop(); // JR
        {
          f.get(ic).set(ir);
          f.loop(); // IR
          {
            // a = AP + ir·aPanelBytes + pc·MR·size; b likewise; c = CP + ir·MR·ldc + jr·NR·size.
            f.get(AP)
              .get(ir)
              .get(aPanelBytes)
              .i32Mul()
              .i32Add()
              .get(pc)
              .i32(mr * size)
              .i32Mul()
              .i32Add()
              .set(a);
            f.get(BP)
              .get(jr)
              .get(bPanelBytes)
              .i32Mul()
              .i32Add()
              .get(pc)
              .i32(nr * size)
              .i32Mul()
              .i32Add()
              .set(b);
            f.get(CP)
              .get(ir)
              .i32(mr)
              .i32Mul()
              .get(LDC)
              .i32Mul()
              .i32Add()
              .get(jr)
              .i32(nr * size)
              .i32Mul()
              .i32Add()
              .set(c);
            microKernel(f, shape, { kc, p, pc, a, b, c, ldc: LDC, av, bv, acc, size, nv, mr, nr, relaxed });
            f.get(ir).i32(1).i32Add().tee(ir).get(icEnd).i32LtS().brIf(0);
          }
          f.end();
          f.get(jr).i32(1).i32Add().tee(jr).get(jcEnd).i32LtS().brIf(0);
        }
        f.end();
        f.get(icEnd).tee(ic).get(I1).i32LtS().brIf(0);
      }
      f.end();
      f.get(jcEnd).tee(jc).get(J1).i32LtS().brIf(0);
    }
    f.end();
    f.get(pc).i32(KC).i32Add().tee(pc).get(K).i32LtS().brIf(0);
  }
  f.end();
}

interface MicroLocals {
  readonly kc: number;
  readonly p: number;
  readonly pc: number;
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly ldc: number;
  readonly av: number;
  readonly bv: readonly number[];
  readonly acc: readonly (readonly number[])[];
  readonly size: number;
  readonly nv: number;
  readonly mr: number;
  readonly nr: number;
  readonly relaxed: boolean;
}

/** The register tile: kc rank-1 updates, then C[tile] = the accumulators (first k block) or += them. */
function microKernel(f: Body, shape: GemmShape, l: MicroLocals): void {
  const { type } = shape;
  for (const row of l.acc) for (const r of row) f.v128Zero().set(r);
  f.get(l.kc).set(l.p);
  f.loop();
  {
    l.bv.forEach((v, j) =>
      f
        .get(l.b)
        .v128Load(16 * j)
        .set(v),
    );
    for (let r = 0; r < l.mr; r++) {
      f.get(l.a)
        .loadSplat(type, r * l.size)
        .set(l.av);
      for (let j = 0; j < l.nv; j++) {
        const acc = l.acc[r][j];
        if (l.relaxed) f.get(l.av).get(l.bv[j]).get(acc).vMadd(type).set(acc);
        else f.get(acc).get(l.av).get(l.bv[j]).vMul(type).vAdd(type).set(acc);
      }
    }
    f.get(l.a)
      .i32(l.mr * l.size)
      .i32Add()
      .set(l.a);
    f.get(l.b)
      .i32(l.nr * l.size)
      .i32Add()
      .set(l.b);
    f.get(l.p).i32(1).i32Sub().tee(l.p).brIf(0);
  }
  f.end();
  // The first block of k overwrites C, so the caller never has to clear it.
  f.get(l.pc).i32Eqz().if();
  for (let r = 0; r < l.mr; r++) {
    for (let j = 0; j < l.nv; j++)
      f.get(l.c)
        .get(l.acc[r][j])
        .v128Store(16 * j);
    if (r + 1 < l.mr) f.get(l.c).get(l.ldc).i32Add().set(l.c);
  }
  f.else();
  for (let r = 0; r < l.mr; r++) {
    for (let j = 0; j < l.nv; j++)
      f.get(l.c)
        .get(l.c)
        .v128Load(16 * j)
        .get(l.acc[r][j])
        .vAdd(type)
        .v128Store(16 * j);
    if (r + 1 < l.mr) f.get(l.c).get(l.ldc).i32Add().set(l.c);
  }
  f.end();
}

/**
 * Householder tridiagonalisation T = Qᵀ·A·Q of a symmetric matrix given by its lower triangle
 * (LAPACK's sytrd with UPLO = 'L', unblocked) in wasm memory: each step's two O(n²) passes over the
 * trailing lower triangle — p = τ·B·v (row i gives p_i its entries up to the diagonal and p_k, k < i,
 * its transpose) and the rank-2 update B −= v·wᵀ + w·vᵀ — are wasm SIMD kernels over contiguous rows,
 * the O(n) rest of the step JS on views of the same memory. Its own small module, attached to the
 * runtime's memory (as jit's fused kernels are), compiled once per runtime.
 */
import { Val, type Body } from "./encoder.js";
import { moduleBuilder, wasmRuntime, type KernelFn, type WasmRuntime } from "./runtime.js";

const I32 = Val.i32;
const F64 = Val.f64;
const V128 = Val.v128;

interface Kernels {
  /** symv(m, rowBytes, j1, n, v, p): p_i += Σ_{k<i} B_ik·v_k + B_ii·v_i and p_k += B_ik·v_i over rows i = j1…n − 1, columns k ≥ j1. */
  readonly symv: KernelFn;
  /** rank2(m, rowBytes, j1, n, v, w): B_ik −= v_i·w_k + w_i·v_k over rows i = j1…n − 1, columns j1 ≤ k ≤ i. */
  readonly rank2: KernelFn;
}

const compiled = new WeakMap<WasmRuntime, Kernels>();

/** Emits one of the two row loops: `body(row, end, i)` for each row i, row the address of column j1, end that of the diagonal. */
function rows(f: Body, body: (row: number, end: number, i: number) => void): void {
  const [M, ROW_BYTES, J1, N] = [0, 1, 2, 3];
  const i = f.local(I32);
  const row = f.local(I32);
  const end = f.local(I32);
  f.get(J1).set(i);
  f.block().loop();
  {
    f.get(i).get(N).i32GeS().brIf(1);
    f.get(M).get(i).get(ROW_BYTES).i32Mul().i32Add().tee(row).get(i).i32(3).i32Shl().i32Add().set(end);
    f.get(row).get(J1).i32(3).i32Shl().i32Add().set(row);
    body(row, end, i);
    f.get(i).i32(1).i32Add().set(i);
    f.br(0);
  }
  f.end().end();
}

function kernelsFor(rt: WasmRuntime): Kernels {
  const known = compiled.get(rt);
  if (known !== undefined) return known;
  const builder = moduleBuilder();
  const [J1, V, P] = [2, 4, 5];
  {
    const f = builder.func("symv", [I32, I32, I32, I32, I32, I32]);
    const vp = f.local(I32);
    const pp = f.local(I32);
    const acc = f.local(V128);
    const vis = f.local(V128);
    const b = f.local(V128);
    const vi = f.local(F64);
    const s = f.local(F64);
    const bs = f.local(F64);
    rows(f, (row, end, i) => {
      f.get(V).get(J1).i32(3).i32Shl().i32Add().set(vp);
      f.get(P).get(J1).i32(3).i32Shl().i32Add().set(pp);
      f.get(V).get(i).i32(3).i32Shl().i32Add().load(F64).tee(vi).splat(F64).set(vis);
      f.v128Zero().set(acc);
      // Pairs of columns while two remain before the diagonal.
      f.block().loop();
      {
        f.get(end).get(row).i32Sub().i32(16).i32LtS().brIf(1);
        f.get(row).v128Load().set(b);
        f.get(acc).get(b).get(vp).v128Load().vMul(F64).vAdd(F64).set(acc);
        f.get(pp).get(pp).v128Load().get(b).get(vis).vMul(F64).vAdd(F64).v128Store();
        f.get(row).i32(16).i32Add().set(row);
        f.get(vp).i32(16).i32Add().set(vp);
        f.get(pp).i32(16).i32Add().set(pp);
        f.br(0);
      }
      f.end().end();
      f.get(acc).extractLane(F64, 0).get(acc).extractLane(F64, 1).fAdd(F64).set(s);
      // One column left before the diagonal.
      f.block();
      {
        f.get(row).get(end).i32GeS().brIf(0);
        f.get(row).load(F64).set(bs);
        f.get(s).get(bs).get(vp).load(F64).fMul(F64).fAdd(F64).set(s);
        f.get(pp).get(pp).load(F64).get(bs).get(vi).fMul(F64).fAdd(F64).store(F64);
      }
      f.end();
      // p_i += s + B_ii·v_i.
      f.get(P).get(i).i32(3).i32Shl().i32Add().tee(pp).get(pp).load(F64).get(s).get(end).load(F64).get(vi).fMul(F64).fAdd(F64).fAdd(F64).store(F64);
    });
  }
  {
    const f = builder.func("rank2", [I32, I32, I32, I32, I32, I32]);
    const W = 5;
    const vp = f.local(I32);
    const wp = f.local(I32);
    const nvi = f.local(V128);
    const nwi = f.local(V128);
    rows(f, (row, end, i) => {
      f.get(V).get(J1).i32(3).i32Shl().i32Add().set(vp);
      f.get(W).get(J1).i32(3).i32Shl().i32Add().set(wp);
      // −v_i and −w_i, so B + (−v_i)·w_k + (−w_i)·v_k rounds as B − (v_i·w_k + w_i·v_k) does.
      f.get(V).get(i).i32(3).i32Shl().i32Add().loadSplat(F64).vNeg(F64).set(nvi);
      f.get(W).get(i).i32(3).i32Shl().i32Add().loadSplat(F64).vNeg(F64).set(nwi);
      // Columns j1…i inclusive: pairs while two remain up to the diagonal, then the last one.
      f.get(end).i32(8).i32Add().set(end);
      f.block().loop();
      {
        f.get(end).get(row).i32Sub().i32(16).i32LtS().brIf(1);
        f.get(row).get(row).v128Load().get(nvi).get(wp).v128Load().vMul(F64).get(nwi).get(vp).v128Load().vMul(F64).vAdd(F64).vAdd(F64).v128Store();
        f.get(row).i32(16).i32Add().set(row);
        f.get(vp).i32(16).i32Add().set(vp);
        f.get(wp).i32(16).i32Add().set(wp);
        f.br(0);
      }
      f.end().end();
      f.block();
      {
        f.get(row).get(end).i32GeS().brIf(0);
        f.get(row)
          .get(row)
          .load(F64)
          .get(nvi)
          .extractLane(F64, 0)
          .get(wp)
          .load(F64)
          .fMul(F64)
          .get(nwi)
          .extractLane(F64, 0)
          .get(vp)
          .load(F64)
          .fMul(F64)
          .fAdd(F64)
          .fAdd(F64)
          .store(F64);
      }
      f.end();
    });
  }
  const e = rt.attach(builder.encode());
  const kernels = { symv: e.symv as KernelFn, rank2: e.rank2 as KernelFn };
  compiled.set(rt, kernels);
  return kernels;
}

/**
 * Reduces the n×n matrix whose lower triangle is `a` (row-major; the upper triangle is not read) to
 * tridiagonal form: T's diagonal into d, its subdiagonal into e (e[i] = T[i + 1, i], e[n − 1] = 0).
 * Returns the matrix with reflector j (I − τⱼ·vⱼ·vⱼᵀ on indices j + 1…, vⱼ[j + 1] = 1) in column j
 * below the diagonal and τⱼ in taus[j]; undefined where wasm memory cannot hold it.
 */
export function tridiagonalise(a: Float64Array, n: number, d: Float64Array, e: Float64Array, taus: Float64Array): Float64Array | undefined {
  const rt = wasmRuntime();
  if (rt === undefined) return undefined;
  const rowBytes = n * 8;
  // In the scratch area, above the jit's resident buffers (resident.ts).
  const base = rt.arena.scratchBase;
  const [M, V, P] = [base, base + n * rowBytes, base + n * rowBytes + rowBytes];
  if (!rt.reserve(P + rowBytes)) return undefined;
  const { symv, rank2 } = kernelsFor(rt);
  const heap = new Float64Array(rt.memory.buffer, base, n * n + 2 * n);
  const m = heap.subarray(0, n * n);
  const v = heap.subarray(n * n, n * n + n);
  const p = heap.subarray(n * n + n, n * n + 2 * n);
  m.set(a);
  for (let j = 0; j < n - 2; j++) {
    d[j] = m[j * n + j];
    const alpha = m[(j + 1) * n + j];
    let xnorm = 0;
    for (let i = j + 2; i < n; i++) xnorm = Math.hypot(xnorm, m[i * n + j]);
    if (xnorm === 0) {
      taus[j] = 0;
      e[j] = alpha;
      continue;
    }
    const beta = -(alpha >= 0 ? 1 : -1) * Math.hypot(alpha, xnorm);
    const tau = (beta - alpha) / beta;
    const scale = 1 / (alpha - beta);
    v[j + 1] = m[(j + 1) * n + j] = 1;
    for (let i = j + 2; i < n; i++) v[i] = m[i * n + j] *= scale;
    taus[j] = tau;
    e[j] = beta;
    // B ← H·B·H on the trailing block B = m[j+1…, j+1…]: p = τ·B·v, w = p − (τ/2)(pᵀv)·v, B −= v·wᵀ + w·vᵀ.
    p.fill(0, j + 1, n);
    symv(M, rowBytes, j + 1, n, V, P);
    let pv = 0;
    for (let i = j + 1; i < n; i++) pv += (p[i] *= tau) * v[i];
    const half = 0.5 * tau * pv;
    for (let i = j + 1; i < n; i++) p[i] -= half * v[i];
    rank2(M, rowBytes, j + 1, n, V, P);
  }
  d[n - 2] = m[(n - 2) * n + n - 2];
  d[n - 1] = m[(n - 1) * n + n - 1];
  e[n - 2] = m[(n - 1) * n + n - 2];
  e[n - 1] = 0;
  return Float64Array.from(m);
}

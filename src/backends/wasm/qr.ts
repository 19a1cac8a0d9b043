/**
 * Blocked Householder QR on the wasm backend (LAPACK's geqrf/orgqr scheme, compact WY): each panel
 * of NB columns is factored by the reference's unblocked reflectors in JS, its NB reflectors are
 * gathered as I − V·T·Vᵀ (V unit lower trapezoidal, T upper triangular, dlarft's recurrence), and
 * the trailing columns and then Q are updated by that block through the SIMD matmul, where the
 * O(m·n²) work is. The reflectors are the reference's (cpu/kernels/decompositions.ts: same signs,
 * same τ), so Q agrees with it to rounding. Below two panels the reference runs (undefined).
 */
import { allocate, type Storage } from "../dtype.js";
import type { View } from "../view.js";
import { copy } from "../cpu/kernels/strided.js";
import { matmul as cpuMatmul } from "../cpu/kernels/matmul.js";
import { matmul as wasmMatmul } from "./matmul.js";

/** Panel width, as for the blocked Cholesky and LU (wasm/linalg.ts). */
const NB = 64;

/** One panel's block reflector I − V·T·Vᵀ acting on rows `start`…: V [m − start, kb], T [kb, kb], row-major. */
export interface BlockReflector {
  readonly start: number;
  readonly kb: number;
  readonly v: Float64Array;
  readonly t: Float64Array;
}

/** X·Y for X at `x` ([rows, inner], strides xs) and Y at `y` ([inner, cols], strides ys), fresh and row-major. */
function product(
  xs: Float64Array,
  x: number,
  xStrides: [number, number],
  rows: number,
  inner: number,
  ys: Float64Array,
  y: number,
  yStrides: [number, number],
  cols: number,
): Float64Array {
  const a: View = { storage: xs, dtype: "float64", shape: [rows, inner], strides: xStrides, offset: x };
  const b: View = { storage: ys, dtype: "float64", shape: [inner, cols], strides: yStrides, offset: y };
  return (wasmMatmul(a, b, []) ?? cpuMatmul(a, b, [])) as Float64Array;
}

/** Factors columns start…start+kb of r ([m, n] row-major) in place and returns their block reflector. */
function factorPanel(r: Float64Array, m: number, n: number, start: number, kb: number): BlockReflector {
  const v = new Float64Array((m - start) * kb);
  const t = new Float64Array(kb * kb);
  for (let jj = 0; jj < kb; jj++) {
    const j = start + jj;
    const alpha = r[j * n + j];
    let xnorm = 0;
    for (let i = j + 1; i < m; i++) xnorm = Math.hypot(xnorm, r[i * n + j]);
    // τ = 0 (H = I) leaves V's column and T's column zero.
    if (j === m - 1 || (xnorm === 0 && alpha === 0)) continue;
    const beta = -(alpha >= 0 ? 1 : -1) * Math.hypot(alpha, xnorm);
    const tau = (beta - alpha) / beta;
    const scale = 1 / (alpha - beta);
    v[jj * kb + jj] = 1;
    for (let i = j + 1; i < m; i++) v[(i - start) * kb + jj] = r[i * n + j] * scale;
    // The panel's own columns j… ← H·columns.
    for (let c = j; c < start + kb; c++) {
      let d = 0;
      for (let i = j; i < m; i++) d += v[(i - start) * kb + jj] * r[i * n + c];
      d *= tau;
      for (let i = j; i < m; i++) r[i * n + c] -= d * v[(i - start) * kb + jj];
    }
    // T[0:jj, jj] = −τ·T[0:jj, 0:jj]·(V[:, 0:jj]ᵀ·v_jj), T[jj, jj] = τ.
    const w = new Float64Array(jj);
    for (let i = jj; i < m - start; i++) {
      const vi = v[i * kb + jj];
      if (vi !== 0) for (let q = 0; q < jj; q++) w[q] += v[i * kb + q] * vi;
    }
    for (let q = 0; q < jj; q++) {
      let s = 0;
      for (let l = q; l < jj; l++) s += t[q * kb + l] * w[l];
      t[q * kb + jj] = -tau * s;
    }
    t[jj * kb + jj] = tau;
  }
  return { start, kb, v, t };
}

/**
 * C ← (I − V·op(T)·Vᵀ)·C for C the rows start… and columns c0…c0+cols of `s` ([·, width] row-major),
 * op(T) = Tᵀ when `transposeT` (Hᵀ, applied to R) and T otherwise (H, applied to Q).
 */
export function applyBlock({ start, kb, v, t }: BlockReflector, s: Float64Array, rows: number, width: number, c0: number, cols: number, transposeT: boolean): void {
  if (cols === 0) return;
  const w = product(v, 0, [1, kb], kb, rows, s, start * width + c0, [width, 1], cols);
  const tw = product(t, 0, transposeT ? [1, kb] : [kb, 1], kb, kb, w, 0, [cols, 1], cols);
  const p = product(v, 0, [kb, 1], rows, kb, tw, 0, [cols, 1], cols);
  for (let i = 0; i < rows; i++) {
    const row = (start + i) * width + c0;
    for (let c = 0; c < cols; c++) s[row + c] -= p[i * cols + c];
  }
}

/** Q of each [m, n] matrix (its first min(m, n) columns, or all m when `complete`), as the reference's qr; undefined below two panels. */
export function qr(a: View, complete: boolean): Storage | undefined {
  const m = a.shape[a.shape.length - 2];
  const n = a.shape[a.shape.length - 1];
  const k = Math.min(m, n);
  if (k < 2 * NB) return undefined;
  const cols = complete ? m : k;
  const count = a.shape.slice(0, -2).reduce((p, d) => p * d, 1);
  const src = copy(a);
  const out = allocate(a.dtype, count * m * cols);
  for (let p = 0; p < count; p++) {
    const r = Float64Array.from(src.subarray(p * m * n, (p + 1) * m * n) as ArrayLike<number>);
    const blocks: BlockReflector[] = [];
    for (let start = 0; start < k; start += NB) {
      const block = factorPanel(r, m, n, start, Math.min(NB, k - start));
      applyBlock(block, r, m - start, n, start + block.kb, n - start - block.kb, true);
      blocks.push(block);
    }
    // Q = B₀·B₁·…·E, applied from the last block; columns before a block's start are still e_c there.
    const q = new Float64Array(m * cols);
    for (let i = 0; i < cols; i++) q[i * cols + i] = 1;
    for (let b = blocks.length - 1; b >= 0; b--) applyBlock(blocks[b], q, m - blocks[b].start, cols, blocks[b].start, cols - blocks[b].start, false);
    out.set(q, p * m * cols);
  }
  return out;
}

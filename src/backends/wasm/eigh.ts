/**
 * The symmetric eigendecomposition on the wasm backend for n ≥ 32: Householder tridiagonalisation
 * (LAPACK's sytrd with UPLO = 'L', unblocked, its passes over the lower triangle in wasm SIMD:
 * tridiagonalise.ts), Q formed from the reflectors in compact-WY blocks on the SIMD matmul (orgtr),
 * then implicit QL/QR with Wilkinson shifts on the tridiagonal matrix (dsteqr, tridiagonalQl.ts),
 * its rotations applied to Q afterwards in cache-sized column chunks in wasm SIMD (rotations.ts).
 * O(n³) in all (about 9n³ flops) where cyclic Jacobi is O(n³) per sweep.
 * Scratch is float64 whatever the storage. The output is the reference's (cpu/kernels/decompositions.ts):
 * packed [..., n + 1, n], eigenvalues ascending, each eigenvector signed so its entry of largest
 * magnitude is positive.
 *
 * Accuracy: normwise (ε·‖A‖) in general, as LAPACK's syevd (PyTorch's eigh). On a matrix graded
 * along the diagonal the small eigenvalues keep their relative accuracy too: the reduction starts
 * at the larger end (the order is reversed when the bottom-right entry is the larger) and QL/QR
 * splits and chases relative to the diagonal (dsteqr). A matrix graded in no order along the
 * diagonal (scales shuffled) does not, where cyclic Jacobi does; so the cpu backend stays Jacobi at
 * every n, and below 32, where Jacobi is cheap, the reference runs here too (undefined).
 */
import { allocate, type Storage } from "../dtype.js";
import type { View } from "../view.js";
import { copy } from "../cpu/kernels/strided.js";
import { applyBlock, type BlockReflector } from "./qr.js";
import { tridiagonalise } from "./tridiagonalise.js";
import { Rotations, tridiagonalEigenvalues } from "./tridiagonalQl.js";

/** Below this order Jacobi (the reference) is fast enough and keeps relative accuracy. */
const SMALLEST = 32;

/** Reflectors per compact-WY block when forming Q (as qr.ts's panels). */
const NB = 64;

/**
 * Q = H₀·H₁·…·H_{n−3} = diag(1, Q′), written transposed into y (row i of y is column i of Q). Q′ acts
 * on indices 1…: its reflectors are gathered NB at a time into compact-WY blocks I − V·T·Vᵀ (dlarft's
 * recurrence for T) and applied from the last block by the SIMD matmul (qr.ts's applyBlock), where the
 * O(n³) work is, as LAPACK's orgtr/orgqr.
 */
function formQ(m: Float64Array, n: number, taus: Float64Array, y: Float64Array): void {
  const size = n - 1;
  const reflectors = n - 2;
  const q = new Float64Array(size * size);
  for (let i = 0; i < size; i++) q[i * size + i] = 1;
  const blocks: BlockReflector[] = [];
  for (let start = 0; start < reflectors; start += NB) {
    const kb = Math.min(NB, reflectors - start);
    const rows = size - start;
    const v = new Float64Array(rows * kb);
    const t = new Float64Array(kb * kb);
    const w = new Float64Array(kb);
    for (let jj = 0; jj < kb; jj++) {
      const j = start + jj;
      const tau = taus[j];
      // τ = 0 (H = I) leaves V's column and T's column zero.
      if (tau === 0) continue;
      // Reflector j's vector, index i of Q′ being index i + 1 of A (column j of m, from row j + 1).
      for (let i = j; i < size; i++) v[(i - start) * kb + jj] = m[(i + 1) * n + j];
      // T[0:jj, jj] = −τ·T[0:jj, 0:jj]·(V[:, 0:jj]ᵀ·v_jj), T[jj, jj] = τ.
      w.fill(0);
      for (let i = jj; i < rows; i++) {
        const vi = v[i * kb + jj];
        if (vi !== 0) for (let c = 0; c < jj; c++) w[c] += v[i * kb + c] * vi;
      }
      for (let c = 0; c < jj; c++) {
        let s = 0;
        for (let l = c; l < jj; l++) s += t[c * kb + l] * w[l];
        t[c * kb + jj] = -tau * s;
      }
      t[jj * kb + jj] = tau;
    }
    blocks.push({ start, kb, v, t });
  }
  // Columns before a block's start are still e_c in the rows it acts on: only columns start… change.
  for (let b = blocks.length - 1; b >= 0; b--) applyBlock(blocks[b], q, size - blocks[b].start, size, blocks[b].start, size - blocks[b].start, false);
  y.fill(0);
  y[0] = 1;
  for (let i = 0; i < size; i++) for (let k = 0; k < size; k++) y[(k + 1) * n + i + 1] = q[i * size + k];
}

/** eigh's packed result for n ≥ 32; undefined (the reference runs) below, or where QL did not converge. */
export function eigh(a: View): Storage | undefined {
  const n = a.shape[a.shape.length - 1];
  if (n < SMALLEST) return undefined;
  const count = a.shape.slice(0, -2).reduce((p, k) => p * k, 1);
  const src = copy(a);
  const out = allocate(a.dtype, count * (n + 1) * n);
  const m = new Float64Array(n * n);
  const y = new Float64Array(n * n);
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  const taus = new Float64Array(n);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let p = 0; p < count; p++) {
    const base = p * n * n;
    // The lower triangle defines the matrix (the upper one is not read). One graded with its large
    // entries at the bottom is reduced in reverse order (J·A·J, J the reversal, V = J·V′), so that the
    // reduction, which starts at the top-left, meets the large entries first, as for decreasing grading.
    const reversed = Math.abs(src[base + (n - 1) * n + n - 1]) > Math.abs(src[base]);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        const value = src[base + i * n + j];
        if (reversed) m[(n - 1 - j) * n + (n - 1 - i)] = value;
        else m[i * n + j] = value;
      }
    }
    const reflectors = tridiagonalise(m, n, d, e, taus);
    if (reflectors === undefined) return undefined;
    formQ(reflectors, n, taus, y);
    const rotations = new Rotations(y, n, n);
    if (!tridiagonalEigenvalues(d, e, n, rotations)) return undefined;
    rotations.flush();
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((x, z) => d[x] - d[z]);
    const at = p * (n + 1) * n;
    for (let j = 0; j < n; j++) {
      const row = order[j] * n;
      out[at + j] = d[order[j]];
      // Entry i of the eigenvector (row i of V) is entry n − 1 − i of y's row when reversed.
      const entry = (i: number) => y[row + (reversed ? n - 1 - i : i)];
      let big = 0;
      for (let i = 1; i < n; i++) if (Math.abs(entry(i)) > Math.abs(entry(big))) big = i;
      const flip = entry(big) < 0 ? -1 : 1;
      for (let i = 0; i < n; i++) out[at + (i + 1) * n + j] = flip * entry(i);
    }
  }
  return out;
}

/**
 * svd (a primitive): the thin SVD A = U·diag(s)·Vᵀ of matrices [..., m, n] with m ≥ n (the public
 * svd transposes a wide one), packed as one output [..., 1 + m + n, n]: row 0 the singular values s
 * descending, rows 1…m U, rows m+1… V, so one kernel run serves all three and one rule
 * differentiates them.
 *
 * Rules (Townsend 2016, "Differentiating the singular value decomposition"; PyTorch's svd_backward),
 * with dP = Uᵀ·dA·V, S = diag(s) and F_ij = 1/(s_j² − s_i²) off the diagonal:
 *   ds = diag(dP), dU = U·(F ∘ (dP·S + S·dPᵀ)) + (I − U·Uᵀ)·dA·V·S⁻¹, dV = V·(F ∘ (S·dP + dPᵀ·S));
 *   Ā = U·(J·S + S·K + diag(s̄))·Vᵀ + (I − U·Uᵀ)·Ū·S⁻¹·Vᵀ, J = F ∘ (Uᵀ·Ū − Ūᵀ·U), K = F ∘ (Vᵀ·V̄ − V̄ᵀ·V).
 * V is square here, so dV has no term outside its span.
 *
 * Where two singular values agree (s_i² and s_j² to 16·n·ε·max s², eigh's test) the pair (U_i, V_i),
 * (U_j, V_j) is any rotation of itself, so U and V have no derivative there. As PyTorch (whose ∞/NaN
 * comes from dividing by the zero gap) and as eigh's rule: the gradient is exact when the cotangents
 * of U and V have no entry for such a pair ((Uᵀ·Ū)_ij, (Vᵀ·V̄)_ij, forward dP_ij, all 0: functions of
 * S alone), and NaN where they have one — every entry of Ā, never a finite wrong value. That holds
 * for functions invariant under the rotation too (U·S·Vᵀ itself, the polar factor U·Vᵀ): their true
 * derivative is the limit of a 0/0 that the cotangents do not determine. A zero singular value of a
 * tall A (m > n) leaves its column of U any unit vector outside A's range: NaN where U's cotangent
 * (forward, dA·V) has an entry in that column; for a square A the column is the complement, set by
 * the others, and needs no S⁻¹ term.
 */
import { AdError } from "../../errors.js";
import { definePrimitive, type Primitive } from "../primitive.js";
import { formatShape } from "../shape.js";
import { fromStorage, type Tensor } from "../tensor.js";
import { add, div, mul, sub } from "./arithmetic.js";
import { gt, ne } from "./compare.js";
import { diagonalMatrix, eigenvaluesApart, gapInverse } from "./eigh.js";
import { concat } from "./join.js";
import { expectFloat } from "./lift.js";
import { matmul } from "./matmul.js";
import { where } from "./select.js";
import { slice, transpose, unsqueeze } from "./shape.js";
import { diagonalPart } from "./triangle.js";
import { sum } from "./reduce.js";
import { abs } from "./unary.js";

/** s [..., n], U [..., m, n] and V [..., n, n] of svd's packed output. */
export function svdParts(packed: Tensor): [Tensor, Tensor, Tensor] {
  const n = packed.shape[packed.rank - 1];
  const m = packed.shape[packed.rank - 2] - 1 - n;
  const batch = packed.shape.slice(0, -2).map(() => null);
  return [slice(packed, [...batch, 0]), slice(packed, [...batch, [1, m + 1], null]), slice(packed, [...batch, [m + 1, m + n + 1], null])];
}

/** 1/s as a row [..., 1, n], 0 where s is 0. */
function inverseRow(s: Tensor): Tensor {
  const positive = gt(s.detach(), 0);
  return unsqueeze(where(positive, div(1, where(positive, s, 1)), 0), -2);
}

/** x − U·(Uᵀ·x): x's part outside U's span. */
const outside = (u: Tensor, x: Tensor): Tensor => sub(x, matmul(u, matmul(transpose(u), x)));

/**
 * A constant [..., n, n]: NaN at (i, j), i ≠ j, where s_i and s_j agree to rounding and c_ij or c_ji
 * is nonzero (the pair's derivative is undefined and used), 0 elsewhere. Added to the gap terms.
 */
function undefinedPairs(s: Tensor, c: Tensor): Tensor {
  const off = abs(sub(c, diagonalPart(c))).detach();
  const used = add(off, transpose(off));
  return where(eigenvaluesApart(mul(s, s).detach()), 0, where(ne(used, 0), mul(used, Number.NaN), 0));
}

/**
 * U's part outside its span, x_⊥·S⁻¹ for x_⊥ = x − U·Uᵀ·x, 0 in the columns where s is 0 — unless
 * A is tall and x has an entry there: then NaN (U's column is any unit vector outside A's range, and
 * it is used). A square A has no such part.
 */
function beyondSpan(u: Tensor, s: Tensor, x: Tensor): Tensor {
  const scaled = mul(outside(u, x), inverseRow(s));
  if (u.shape[u.rank - 2] === u.shape[u.rank - 1]) return scaled;
  const used = sum(abs(x.detach()), -2, true);
  return add(scaled, where(gt(unsqueeze(s.detach(), -2), 0), 0, where(ne(used, 0), mul(used, Number.NaN), 0)));
}

export const svdP: Primitive<undefined> = definePrimitive("svd", {
  abstract: ([a]) => {
    const op = "svd";
    expectFloat(op, a);
    const m = a.shape[a.shape.length - 2];
    const n = a.shape[a.shape.length - 1];
    if (a.shape.length < 2 || m < n) {
      throw new AdError("ShapeMismatch", `${op} needs a batch of matrices [..., m, n] with m ≥ n (the public svd transposes a wide one), got ${formatShape(a.shape)}`, {
        op,
        shape: [...a.shape],
      });
    }
    return { shape: [...a.shape.slice(0, -2), 1 + m + n, n], dtype: a.dtype };
  },
  impl: ([a], _, k) => {
    const m = a.shape[a.rank - 2];
    const n = a.shape[a.rank - 1];
    return fromStorage(k.svd(a), a.dtype, [...a.shape.slice(0, -2), 1 + m + n, n]);
  },
  vjp: ({ cotangent: g, output }) => {
    const [s, u, v] = svdParts(output);
    const [gs, gu, gv] = svdParts(g);
    const f = gapInverse(mul(s, s));
    const row = unsqueeze(s, -2);
    const utgu = matmul(transpose(u), gu);
    const vtgv = matmul(transpose(v), gv);
    const j = mul(f, sub(utgu, transpose(utgu)));
    const kk = mul(f, sub(vtgv, transpose(vtgv)));
    // J·S scales J's columns by s, S·K scales K's rows.
    const gauge = undefinedPairs(s, add(abs(utgu), abs(vtgv)));
    const inner = add(add(add(mul(j, row), mul(transpose(row), kk)), diagonalMatrix(gs)), gauge);
    const core = matmul(matmul(u, inner), transpose(v));
    return [add(core, matmul(beyondSpan(u, s, gu), transpose(v)))];
  },
  jvp: ({ tangents: [da], output }) => {
    const [s, u, v] = svdParts(output);
    const d = da as Tensor;
    const f = gapInverse(mul(s, s));
    const row = unsqueeze(s, -2);
    const dp = matmul(matmul(transpose(u), d), v);
    const ds = sum(diagonalPart(dp), -1);
    const gauge = undefinedPairs(s, dp);
    const du = add(matmul(u, add(mul(f, add(mul(dp, row), mul(transpose(row), transpose(dp)))), gauge)), beyondSpan(u, s, matmul(d, v)));
    const dv = matmul(v, add(mul(f, add(mul(transpose(row), dp), mul(transpose(dp), row))), gauge));
    return concat([unsqueeze(ds, -2), du, dv], -2);
  },
});

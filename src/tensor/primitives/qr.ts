/**
 * qr (a primitive): Q of A = Q·R by Householder reflections, for A [..., m, n] with m ≥ n (Q
 * [..., m, n]) or, `complete`, Q [..., m, m]. R is not an output: R = Qᵀ·A holds identically, so
 * the public qr forms it with a matmul and R's derivative flows through Q's rule and that product.
 *
 * Rules for the reduced Q (m ≥ n, R invertible; Giles 2008 §3.2, Walter & Lehmann), with
 * X = Qᵀ·dA·R⁻¹ and Ω = tril(X, −1) − tril(X, −1)ᵀ (Qᵀ·dQ is skew):
 *   dQ = dA·R⁻¹ − Q·(X − Ω), where X − Ω = triu(X) + tril(X, −1)ᵀ;
 *   Ā = (Q̄ − Q·N)·R⁻ᵀ with B = Qᵀ·Q̄ and N = triu(B) + tril(Bᵀ, −1), the adjoint of the above.
 * The complete Q of a tall A (m > n) is not a differentiable function of A (its last m − n columns
 * are any orthonormal completion): its rules are MissingDerivative, as in PyTorch.
 */
import { AdError } from "../../errors.js";
import { bind, definePrimitive, type Primitive } from "../primitive.js";
import { formatShape } from "../shape.js";
import { fromStorage, type Tensor } from "../tensor.js";
import { add, sub } from "./arithmetic.js";
import { expectFloat } from "./lift.js";
import { matmul } from "./matmul.js";
import { transpose } from "./shape.js";
import { lowerPart, upperPart } from "./triangle.js";
import { triangularSolveP } from "./triangularSolve.js";

export interface QrParams {
  readonly complete: boolean;
}

/** R = triu(Qᵀ·A), the upper factor the rules need. */
export const rFactor = (q: Tensor, a: Tensor): Tensor => upperPart(matmul(transpose(q), a));

/** x·R⁻¹ (x·R⁻ᵀ when transposed) as (R⁻ᵀ·xᵀ)ᵀ. */
const solveRight = (r: Tensor, x: Tensor, transposed: boolean): Tensor =>
  transpose(bind(triangularSolveP, [r, transpose(x)], { lower: false, transpose: !transposed, unitDiagonal: false }));

function differentiable(a: Tensor, { complete }: QrParams): void {
  const m = a.shape[a.rank - 2];
  const n = a.shape[a.rank - 1];
  if (complete && m > n) {
    throw new AdError(
      "MissingDerivative",
      `qr: the complete Q of a tall matrix (${formatShape(a.shape)}) is not differentiable: its last ${m - n} columns are any orthonormal completion; use the reduced mode`,
      {
        op: "qr",
        shape: [...a.shape],
      },
    );
  }
}

export const qrP: Primitive<QrParams> = definePrimitive<QrParams>("qr", {
  abstract: ([a], { complete }) => {
    const op = "qr";
    expectFloat(op, a);
    const m = a.shape[a.shape.length - 2];
    const n = a.shape[a.shape.length - 1];
    if (a.shape.length < 2 || (m < n && !complete)) {
      throw new AdError("ShapeMismatch", `${op} needs a batch of matrices [..., m, n] with m ≥ n (the public qr splits a wide one), got ${formatShape(a.shape)}`, {
        op,
        shape: [...a.shape],
      });
    }
    return { shape: [...a.shape.slice(0, -1), complete ? m : n], dtype: a.dtype };
  },
  impl: ([a], { complete }, k) => {
    const m = a.shape[a.rank - 2];
    return fromStorage(k.qr(a, complete), a.dtype, [...a.shape.slice(0, -1), complete ? m : Math.min(m, a.shape[a.rank - 1])]);
  },
  vjp: ({ cotangent: g, inputs: [a], output: q, params }) => {
    differentiable(a, params);
    const b = matmul(transpose(q), g);
    const nMatrix = add(upperPart(b), lowerPart(transpose(b), -1));
    return [solveRight(rFactor(q, a), sub(g, matmul(q, nMatrix)), true)];
  },
  jvp: ({ tangents: [da], inputs: [a], output: q, params }) => {
    differentiable(a, params);
    const y = solveRight(rFactor(q, a), da as Tensor, false);
    const x = matmul(transpose(q), y);
    return sub(y, matmul(q, add(upperPart(x), transpose(lowerPart(x, -1)))));
  },
});

/**
 * matrixPower, kron and cross, composed of matmul, inv, mul, slice and concat: their derivatives are
 * those primitives'.
 */
import { AdError, expectInteger } from "../errors.js";
import { mul, sub } from "../tensor/primitives/arithmetic.js";
import { concat } from "../tensor/primitives/join.js";
import { eyeLike } from "../tensor/primitives/lift.js";
import { matmul } from "../tensor/primitives/matmul.js";
import { expand } from "../tensor/primitives/reduce.js";
import { reshape, slice } from "../tensor/primitives/shape.js";
import { formatShape } from "../tensor/shape.js";
import type { Tensor } from "../tensor/tensor.js";
import { expectTensor, squareOperand } from "./checks.js";
import { inv } from "./solve.js";

/**
 * Aᵏ for an integer k, batched: A⁰ = I, a negative k is (A⁻¹)^|k| (SingularMatrix for a singular
 * A), by repeated squaring (⌊log₂|k|⌋ + popcount(|k|) − 1 products).
 */
export function matrixPower(a: Tensor, k: number): Tensor {
  const op = "matrixPower";
  const [t, n] = squareOperand(op, "a", a);
  let e = expectInteger(op, "k", k, -Number.MAX_SAFE_INTEGER);
  if (e === 0) return expand(eyeLike(t, n), t.shape);
  let base = e < 0 ? inv(t) : t;
  e = Math.abs(e);
  let result: Tensor | null = null;
  for (;;) {
    if (e % 2 === 1) result = result === null ? base : matmul(result, base);
    e = Math.floor(e / 2);
    if (e === 0) return result as Tensor;
    base = matmul(base, base);
  }
}

/**
 * The Kronecker product: for a [a₀, a₁, …] and b [b₀, b₁, …] (the shorter shape padded with leading
 * 1s), the tensor [a₀·b₀, a₁·b₁, …] whose block (i₀, i₁, …) is a[i₀, i₁, …]·b, as torch.kron.
 */
export function kron(a: Tensor, b: Tensor): Tensor {
  const op = "kron";
  const x = expectTensor(op, "a", a);
  const y = expectTensor(op, "b", b);
  if (x.dtype !== y.dtype) throw new AdError("DTypeMismatch", `${op} needs a and b of one dtype, got ${x.dtype} and ${y.dtype}`, { op, dtypes: [x.dtype, y.dtype] });
  const rank = Math.max(x.rank, y.rank);
  const pad = (s: readonly number[]): number[] => [...Array<number>(rank - s.length).fill(1), ...s];
  const [sa, sb] = [pad(x.shape), pad(y.shape)];
  // a as [a₀, 1, a₁, 1, …] times b as [1, b₀, 1, b₁, …], then each pair of axes merged.
  const spread = mul(
    reshape(
      x,
      sa.flatMap((d) => [d, 1]),
    ),
    reshape(
      y,
      sb.flatMap((d) => [1, d]),
    ),
  );
  return reshape(
    spread,
    sa.map((d, i) => d * sb[i]),
  );
}

/** The cross product of 3-vectors along `axis` (default −1), a and b broadcast, as torch.linalg.cross. */
export function cross(a: Tensor, b: Tensor, axis = -1): Tensor {
  const op = "cross";
  const x = expectTensor(op, "a", a);
  const y = expectTensor(op, "b", b);
  const rank = Math.max(x.rank, y.rank);
  const ax = expectInteger(op, "axis", axis, -rank, rank - 1);
  const at = (t: Tensor): number => t.shape[ax < 0 ? t.rank + ax : ax - (rank - t.rank)];
  if (x.rank === 0 || y.rank === 0 || at(x) !== 3 || at(y) !== 3) {
    throw new AdError("ShapeMismatch", `${op} needs 3 entries along axis ${ax} of a and b, got ${formatShape(x.shape)} and ${formatShape(y.shape)}`, {
      op,
      shapes: [[...x.shape], [...y.shape]],
      axis: ax,
    });
  }
  const part = (t: Tensor, i: number): Tensor => {
    const local = ax < 0 ? t.rank + ax : ax - (rank - t.rank);
    return slice(
      t,
      t.shape.map((_, j) => (j === local ? [i, i + 1] : null)),
    );
  };
  const term = (i: number, j: number): Tensor => sub(mul(part(x, i), part(y, j)), mul(part(x, j), part(y, i)));
  return concat([term(1, 2), term(2, 0), term(0, 1)], ax);
}

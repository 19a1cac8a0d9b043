/**
 * matmul (a primitive: batched, NumPy semantics) and the products composed from it, dot and outer.
 * 1-D operands are promoted to a row (a) or a column (b) and the added axis is removed again; batch
 * axes broadcast. d(ab) = da·b + a·db, so the VJP is (g·bᵀ, aᵀ·g) in the broadcast batch shape, and
 * the engine sums each back to its operand's batch shape.
 */
import { AdError, describe, invalidArgument } from "../../errors.js";
import type { MatMul, MatMulCheck } from "../types.js";
import { bind, definePrimitive, type AbstractValue, type Primitive } from "../primitive.js";
import { broadcastShapes, formatShape, type Shape } from "../shape.js";
import { fromStorage, Tensor } from "../tensor.js";
import { addTangents, mul } from "./arithmetic.js";
import { expectNumeric, promote } from "./lift.js";
import { resultType } from "../dtype.js";
import { reshape, transpose } from "./shape.js";

/** The broadcast batch shape of two operands of rank ≥ 2, after checking the contracted dims. */
function batchShape(op: string, a: AbstractValue, b: AbstractValue, shapes: readonly [readonly number[], readonly number[]] = [a.shape, b.shape]): number[] {
  const k = a.shape[a.shape.length - 1];
  const kb = b.shape[b.shape.length - 2];
  if (k !== kb) {
    throw new AdError(
      "ShapeMismatch",
      `cannot multiply ${formatShape(shapes[0])} by ${formatShape(shapes[1])}: contracted dims ${k} (last axis of a) and ${kb} (${shapes[1].length === 1 ? "only" : "second-to-last"} axis of b) differ`,
      { op, shapes: [[...shapes[0]], [...shapes[1]]], contracted: [k, kb] },
    );
  }
  try {
    return broadcastShapes(op, a.shape.slice(0, -2), b.shape.slice(0, -2));
  } catch {
    throw new AdError(
      "ShapeMismatch",
      `cannot multiply ${formatShape(shapes[0])} by ${formatShape(shapes[1])}: batch shapes ${formatShape(a.shape.slice(0, -2))} and ${formatShape(b.shape.slice(0, -2))} do not broadcast`,
      {
        op,
        shapes: [[...shapes[0]], [...shapes[1]]],
      },
    );
  }
}

export const matmulP: Primitive<undefined> = definePrimitive("matmul", {
  // The primitive's operands are matrices (batched) of one dtype: the public matmul reshapes vectors
  // and promotes; the rule holds the primitive to that, for every caller (VJP rules, programs run again).
  abstract: ([a, b]) => {
    const op = "matmul";
    // int32 is accepted (bool is not), as in PyTorch.
    for (const t of [a, b]) expectNumeric(op, t);
    if (a.dtype !== b.dtype)
      throw new AdError("DTypeMismatch", `the matmul primitive needs operands of one dtype, got ${a.dtype} and ${b.dtype}`, { op, dtypes: [a.dtype, b.dtype] });
    if (a.shape.length < 2 || b.shape.length < 2) {
      throw new AdError("ShapeMismatch", `the matmul primitive needs operands of rank ≥ 2, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`, {
        op,
        shapes: [[...a.shape], [...b.shape]],
      });
    }
    const batch = batchShape("matmul", a, b);
    return { shape: [...batch, a.shape[a.shape.length - 2], b.shape[b.shape.length - 1]], dtype: a.dtype };
  },
  // The abstract rule has checked the operands. int32 runs on the reference kernel (wasm offers
  // float kernels only), exact modulo 2³².
  impl: ([a, b], _, k) => {
    const batch = broadcastShapes("matmul", a.shape.slice(0, -2), b.shape.slice(0, -2));
    return fromStorage(k.matmul(a, b, batch), a.dtype, [...batch, a.shape[a.rank - 2], b.shape[b.rank - 1]]);
  },
  // d(a·b) = da·b + a·db
  vjp: ({ cotangent: g, inputs: [a, b], needs }) => [needs[0] ? bind(matmulP, [g, transpose(b)], undefined) : null, needs[1] ? bind(matmulP, [transpose(a), g], undefined) : null],
  jvp: ({ tangents: [da, db], inputs: [a, b] }) => addTangents(da === null ? null : bind(matmulP, [da, b], undefined), db === null ? null : bind(matmulP, [a, db], undefined)),
});

function expectOperand(op: string, name: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) throw invalidArgument(op, `${name} must be a Tensor, got ${describe(x)}`, { argument: name, got: describe(x) });
  return x;
}

/**
 * Both operands in their promoted dtype (int32 · float32 is float32, as in JAX; PyTorch refuses to
 * mix). bool is refused, as PyTorch's matmul and dot refuse it, unless `bools` (outer is a product).
 */
function operands(op: string, a: unknown, b: unknown, bools = false): [Tensor, Tensor] {
  const ta = expectOperand(op, "a", a);
  const tb = expectOperand(op, "b", b);
  if (!bools) {
    expectNumeric(op, ta);
    expectNumeric(op, tb);
  }
  const dtype = resultType(ta.dtype, tb.dtype);
  return [promote(ta, dtype), promote(tb, dtype)];
}

/**
 * The matrix product with NumPy semantics: [..., m, k] · [..., k, n] → [..., m, n] with the batch
 * axes broadcast; a 1-D a is a row [1, k] and a 1-D b a column [k, 1], the added axis dropped from
 * the result (1-D · 1-D is a scalar).
 */
/**
 * Matrix product with NumPy semantics (batched, batch dims broadcast; 1-D operands promoted). With
 * literal shapes the compiler checks the inner dimensions and computes the result shape.
 */
export function matmul<A extends Shape, B extends Shape>(a: Tensor<A>, b: Tensor<B> & MatMulCheck<A, B>): Tensor<MatMul<A, B>> {
  return matmulUntyped(a, b) as Tensor<MatMul<A, B>>;
}

function matmulUntyped(a: Tensor, b: Tensor): Tensor {
  const op = "matmul";
  const [ta, tb] = operands(op, a, b);
  for (const [name, t] of [
    ["a", ta],
    ["b", tb],
  ] as const) {
    if (t.rank === 0) throw invalidArgument(op, `${name} must have at least one axis, got a scalar (shape [])`, { argument: name, shape: [] });
  }
  const a2 = ta.rank === 1 ? reshape(ta, [1, ta.shape[0]]) : ta;
  const b2 = tb.rank === 1 ? reshape(tb, [tb.shape[0], 1]) : tb;
  const batch = batchShape(op, a2, b2, [ta.shape, tb.shape]);
  const y = bind(matmulP, [a2, b2], undefined);
  if (ta.rank > 1 && tb.rank > 1) return y;
  const shape = [...batch];
  if (ta.rank > 1) shape.push(ta.shape[ta.rank - 2]);
  if (tb.rank > 1) shape.push(tb.shape[tb.rank - 1]);
  return reshape(y, shape);
}

/** Two vectors in their promoted dtype (and, for `dot`, of one length), or a ShapeMismatch naming both shapes. */
function vectors(op: string, a: unknown, b: unknown, sameLength: boolean): [Tensor, Tensor] {
  const [ta, tb] = operands(op, a, b, !sameLength);
  if (ta.rank !== 1 || tb.rank !== 1 || (sameLength && ta.shape[0] !== tb.shape[0])) {
    const need = sameLength ? "two vectors of the same length" : "two vectors";
    throw new AdError("ShapeMismatch", `${op} needs ${need}, got ${formatShape(ta.shape)} and ${formatShape(tb.shape)}`, { op, shapes: [[...ta.shape], [...tb.shape]] });
  }
  return [ta, tb];
}

/** The inner product of two vectors of the same length (a scalar). */
export function dot(a: Tensor, b: Tensor): Tensor {
  const [ta, tb] = vectors("dot", a, b, true);
  return matmul(ta, tb);
}

/** The outer product of two vectors: [n] ⊗ [m] → [n, m], out[i, j] = a[i]·b[j]. */
export function outer(a: Tensor, b: Tensor): Tensor {
  const [ta, tb] = vectors("outer", a, b, false);
  return mul(reshape(ta, [ta.shape[0], 1]), reshape(tb, [1, tb.shape[0]]));
}

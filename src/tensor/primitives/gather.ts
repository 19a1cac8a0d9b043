/**
 * Indexing along an axis with int32 index tensors: gather and scatterAdd are primitives and each
 * other's adjoints (gather's VJP scatters the cotangent into zeros, scatterAdd's VJP gathers it);
 * indexSelect is a gather with the index vector broadcast; oneHot has no gradient. Indices get no
 * gradient. An index out of range, or indices that are not int32, is an InvalidArgument naming the
 * op and the offending index.
 */
import { outOfRange } from "../../backends/outOfRange.js";
import { AdError, describe, expectInteger, invalidArgument } from "../../errors.js";
import { isFloat, type DType, type FloatDType } from "../dtype.js";
import { bind, definePrimitive, type AbstractValue, type Primitive } from "../primitive.js";
import { formatShape, MAX_ELEMENTS, normalizeAxis, sameShape } from "../shape.js";
import { fromStorage, Tensor } from "../tensor.js";
import { pad } from "./join.js";
import { zerosLike } from "./lift.js";
import { expand } from "./reduce.js";
import { reshape } from "./shape.js";

/** The rules' check of an index operand: int32. */
function expectIndexDtype<T extends AbstractValue>(op: string, indices: T): T {
  if (indices.dtype !== "int32") throw invalidArgument(op, `indices must be an int32 tensor, got ${indices.dtype}`, { argument: "indices", dtype: indices.dtype });
  return indices;
}

/** An index operand whose values are read before any rule runs (indexSelect, oneHot's size). */
function expectIndices(op: string, indices: unknown): Tensor {
  return expectIndexDtype(op, expectTensor(op, "indices", indices));
}

/** torch.gather's shape rule: same rank, and indices no larger than `x` on every axis but `axis`. */
function checkGatherShapes(op: string, x: AbstractValue, indices: AbstractValue, axis: number, xName = "x"): void {
  if (indices.shape.length !== x.shape.length || indices.shape.some((d, i) => i !== axis && d > x.shape[i])) {
    throw new AdError(
      "ShapeMismatch",
      `indices of shape ${formatShape(indices.shape)} do not fit ${xName} of shape ${formatShape(x.shape)}: they need the same rank and no larger size on ${axis < 0 ? "any axis" : `any axis but ${axis}`}`,
      {
        op,
        shapes: [[...x.shape], [...indices.shape]],
        axis,
      },
    );
  }
}

export const gatherP: Primitive<{ readonly axis: number }> = definePrimitive<{ readonly axis: number }>("gather", {
  abstract: ([x, indices], { axis }) => {
    const op = "gather";
    checkGatherShapes(op, x, expectIndexDtype(op, indices), axis);
    return { shape: indices.shape, dtype: x.dtype };
  },
  impl: ([x, indices], { axis }, k) => fromStorage(k.gather(x, indices, axis), x.dtype, [...indices.shape]),
  // Each output element read x at one position: the cotangent is added back there.
  vjp: ({ cotangent: g, inputs: [x, indices], params }) => [bind(scatterAddP, [zerosLike(x), indices, g], params), null],
  jvp: ({ tangents: [t], inputs: [, indices], params }) => (t === null ? null : bind(gatherP, [t, indices], params)),
});

export const scatterAddP: Primitive<{ readonly axis: number }> = definePrimitive<{ readonly axis: number }>("scatterAdd", {
  abstract: ([x, indices, src], { axis }) => {
    const op = "scatterAdd";
    expectIndexDtype(op, indices);
    if (src.dtype !== x.dtype) throw new AdError("DTypeMismatch", `x has dtype ${x.dtype} but src has ${src.dtype}`, { op, dtypes: [x.dtype, src.dtype] });
    checkGatherShapes(op, x, indices, axis);
    checkGatherShapes(op, src, indices, -1, "src");
    return x;
  },
  impl: ([x, indices, src], { axis }, k) => fromStorage(k.scatterAdd(x, indices, src, axis), x.dtype, [...x.shape]),
  // out = x + S(src) with S linear: x gets g; src gets Sᵀg = gather(g), zero where indices do not reach.
  vjp: ({ cotangent: g, inputs: [, indices, src], params }) => {
    const picked = bind(gatherP, [g, indices], params);
    const gs = sameShape(picked.shape, src.shape)
      ? picked
      : pad(
          picked,
          src.shape.map((d, i) => [0, d - indices.shape[i]] as [number, number]),
        );
    return [g, null, gs];
  },
  jvp: ({ tangents: [dx, , ds], inputs: [x, indices], params }) => (ds === null ? dx : bind(scatterAddP, [dx ?? zerosLike(x), indices, ds], params)),
});

function expectTensor(op: string, name: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) throw invalidArgument(op, `${name} must be a Tensor, got ${describe(x)}`, { argument: name, got: describe(x) });
  return x;
}

/**
 * torch.gather: out has the shape of `indices` (same rank as x, no larger on every axis but `axis`),
 * with out[i][j][k] = x[i][indices[i][j][k]][k] for axis 1.
 */
export function gather(x: Tensor, axis: number, indices: Tensor): Tensor {
  const op = "gather";
  const t = expectTensor(op, "x", x);
  const a = normalizeAxis(op, axis, t.rank);
  return bind(gatherP, [t, expectTensor(op, "indices", indices)], { axis: a });
}

/**
 * torch.scatter_add (out of place): a copy of x with out[i][indices[i][j][k]][k] += src[i][j][k] for
 * axis 1; repeated indices accumulate. `indices` has x's rank and is no larger than `src` on every
 * axis, nor than x on every axis but `axis`.
 */
export function scatterAdd(x: Tensor, axis: number, indices: Tensor, src: Tensor): Tensor {
  const op = "scatterAdd";
  const t = expectTensor(op, "x", x);
  const s = expectTensor(op, "src", src);
  const a = normalizeAxis(op, axis, t.rank);
  return bind(scatterAddP, [t, expectTensor(op, "indices", indices), s], { axis: a });
}

/** The slices of x at `indices` (a 1-D int32 tensor) along `axis`, in that order (repeats allowed). */
export function indexSelect(x: Tensor, axis: number, indices: Tensor): Tensor {
  const op = "indexSelect";
  const t = expectTensor(op, "x", x);
  if (t.rank === 0) throw invalidArgument(op, "x must have at least one axis, got a scalar (shape [])", { shape: [] });
  const a = normalizeAxis(op, axis, t.rank);
  const idx = expectIndices(op, indices);
  if (idx.rank !== 1) throw invalidArgument(op, `indices must be 1-D, got shape ${formatShape(idx.shape)}`, { argument: "indices", shape: [...idx.shape] });
  const shape = t.shape.map((d, i) => (i === a ? idx.size : d));
  const along = shape.map((d, i) => (i === a ? d : 1));
  try {
    return bind(gatherP, [t, expand(reshape(idx, along), shape)], { axis: a });
  } catch (error) {
    // The gather kernel checks each index where it reads it, at its position in the expanded indices
    // (the first bad one in row-major order sits at 0 on every other axis): name the op called and idx's position.
    const details = error instanceof AdError && error.details.op === gatherP.name ? error.details : undefined;
    if (details === undefined || !("index" in details)) throw error;
    throw outOfRange(op, details.index as number, [(details.position as number[])[a]], a, t.shape[a]);
  }
}

export const oneHotP: Primitive<{ readonly depth: number; readonly dtype: FloatDType }> = definePrimitive<{ readonly depth: number; readonly dtype: FloatDType }>("oneHot", {
  abstract: ([indices], { depth, dtype }) => ({ shape: [...expectIndexDtype("oneHot", indices).shape, depth], dtype }),
  impl: ([indices], { depth, dtype }, k) => fromStorage(k.oneHot(indices, depth, dtype), dtype, [...indices.shape, depth]),
  // Piecewise constant in its (integer) input.
  vjp: () => [null],
  jvp: () => null,
});

/** A float tensor of shape [...indices.shape, depth] with 1 at each index and 0 elsewhere. */
export function oneHot(indices: Tensor, depth: number, dtype: FloatDType = "float32"): Tensor {
  const op = "oneHot";
  const idx = expectIndices(op, indices);
  expectInteger(op, "depth", depth, 0, MAX_ELEMENTS);
  if (!isFloat(dtype)) throw invalidArgument(op, `dtype must be float32, float64 or float16, got ${describe(dtype as DType)}`, { argument: "dtype", got: describe(dtype) });
  if (idx.size * depth > MAX_ELEMENTS) throw invalidArgument(op, `the result [${[...idx.shape, depth].join(", ")}] has too many elements`, { shape: [...idx.shape, depth] });
  return bind(oneHotP, [idx], { depth, dtype });
}

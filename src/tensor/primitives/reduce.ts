/** Reductions over axes: sum (a primitive) and mean (composed). */
import { reduceAxes, SUM } from "../../backends/cpu/kernels/reduce.js";
import { AdError, describe, invalidArgument } from "../../errors.js";
import { bind, definePrimitive, type Primitive } from "../primitive.js";
import { expectAxisList, normalizeAxis } from "../shape.js";
import { Tensor } from "../tensor.js";
import { div } from "./arithmetic.js";
import { expectFloat, zerosLike } from "./lift.js";
import { expand, reshape } from "./shape.js";

interface AxesParams {
  readonly axes: readonly number[];
  readonly keepDims: boolean;
}

/** The shape a reduction keeps, with size-1 axes where it reduced. */
function keptShape(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

export const sumP: Primitive<AxesParams> = definePrimitive<AxesParams>("sum", {
  impl: ([x], { axes, keepDims }) => reduceAxes(expectFloat("sum", x), axes, SUM, keepDims),
  // Each input element contributed once: the cotangent is broadcast back over the reduced axes.
  vjp: ({ cotangent: g, inputs: [x], params: { axes } }) => [expand(reshape(g, keptShape(x.shape, axes)), x.shape)],
  jvp: ({ tangents: [t], output, params }): Tensor => (t === null ? zerosLike(output) : bind(sumP, [t], params)),
});

function axesOf(op: string, x: Tensor, axis: number | readonly number[] | undefined): number[] {
  if (axis === undefined) return x.shape.map((_, i) => i);
  const list = typeof axis === "number" ? [axis] : axis;
  expectAxisList(op, "axis", list);
  const axes = list.map((a) => normalizeAxis(op, a, x.rank));
  if (new Set(axes).size !== axes.length) throw invalidArgument(op, `axis [${list.join(", ")}] repeats an axis`, { axis: [...list] });
  return axes.sort((a, b) => a - b);
}

function expectTensor(op: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) throw invalidArgument(op, `x must be a Tensor, got ${describe(x)}`, { got: describe(x) });
  return x;
}

/** Σ over `axis` (all axes by default); `keepDims` keeps them with size 1. */
export function sum(x: Tensor, axis?: number | readonly number[], keepDims = false): Tensor {
  const t = expectTensor("sum", x);
  return bind(sumP, [t], { axes: axesOf("sum", t, axis), keepDims: keepDims === true });
}

/** The mean over `axis` (all axes by default). An empty reduction is NaN, as in NumPy. */
export function mean(x: Tensor, axis?: number | readonly number[], keepDims = false): Tensor {
  const t = expectTensor("mean", x);
  const axes = axesOf("mean", t, axis);
  let count = 1;
  for (const a of axes) count *= t.shape[a];
  if (!Number.isFinite(count)) throw new AdError("InvalidArgument", "mean over too many elements", { op: "mean" });
  return div(sum(t, axes, keepDims), count);
}

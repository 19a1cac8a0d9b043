/**
 * threefry2x32 (a primitive): the counter-based generator under `random` — int32 [..., 2] key pairs
 * and [..., 2] counter pairs, broadcast over their leading axes, to the [..., 2] Threefry-2x32 words
 * (backends/cpu/kernels/threefry.ts). Random bits have no derivative: it is a constant primitive
 * (registry.ts), and batches elementwise (a batched key gives each example its own stream).
 */
import { invalidArgument } from "../../errors.js";
import { bind, definePrimitive, type AbstractValue, type Primitive } from "../primitive.js";
import { broadcastShapes, formatShape } from "../shape.js";
import { fromStorage, type Tensor } from "../tensor.js";

/** The rule's check of a key or counter operand: int32 with a last axis of 2. */
function expectPairs(name: string, x: AbstractValue): void {
  if (x.dtype !== "int32" || x.shape.length === 0 || x.shape[x.shape.length - 1] !== 2) {
    throw invalidArgument("threefry2x32", `${name} must be an int32 tensor of shape [..., 2], got ${x.dtype} ${formatShape(x.shape)}`, {
      argument: name,
      dtype: x.dtype,
      shape: [...x.shape],
    });
  }
}

export const threefry2x32P: Primitive<undefined> = definePrimitive("threefry2x32", {
  abstract: ([key, counter]) => {
    expectPairs("key", key);
    expectPairs("counter", counter);
    return { shape: broadcastShapes("threefry2x32", key.shape, counter.shape), dtype: "int32" };
  },
  impl: ([key, counter], _, k) => {
    const shape = broadcastShapes("threefry2x32", key.shape, counter.shape);
    return fromStorage(k.threefry2x32(key, counter, shape), "int32", shape);
  },
});

/** Threefry-2x32 of `counter`'s pairs under `key`'s, broadcast: int32 [..., 2]. */
export function threefry2x32(key: Tensor, counter: Tensor): Tensor {
  return bind(threefry2x32P, [key, counter], undefined);
}

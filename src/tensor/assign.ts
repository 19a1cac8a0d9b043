/**
 * In-place writes: `x.assign(value)` stores `value` (broadcast to x's shape) into x's elements, the
 * one mutation the engine offers, for optimiser steps and buffers. Autograd stays sound: a tensor
 * with a history cannot be overwritten, a tensor that requires a gradient only under `noGrad`, and a
 * graph that recorded x before the write refuses to run backward through it (version.ts).
 */
import { AdError, describe, invalidArgument } from "../errors.js";
import { isGradEnabled } from "./autograd/mode.js";
import { lift } from "./primitives/lift.js";
import { broadcastShapes, formatShape, sameShape } from "./shape.js";
import { fromStorage, Tensor } from "./tensor.js";
import { bumpVersion } from "./version.js";

export function assign(target: Tensor, value: unknown): Tensor {
  const op = "Tensor.assign";
  if (!(target instanceof Tensor)) throw invalidArgument(op, `target must be a Tensor, got ${describe(target)}`, { got: describe(target) });
  if (target.node !== null) {
    throw invalidArgument(op, `the tensor was computed by ${target.node.prim.name} and is part of a graph; assign to a leaf, or to a detach()ed copy`, {
      producedBy: target.node.prim.name,
    });
  }
  if (target.requiresGrad && isGradEnabled()) {
    throw invalidArgument(op, "the tensor requires a gradient: write to it under noGrad (as an optimiser step does)", { shape: [...target.shape] });
  }
  let v = lift(op, value, target, "value");
  if (v.dtype !== target.dtype) {
    throw new AdError("DTypeMismatch", `value has dtype ${v.dtype}, the tensor ${target.dtype}; cast it first`, { op, dtypes: [v.dtype, target.dtype] });
  }
  if (!sameShape(broadcastShapes(op, v.shape, target.shape), target.shape)) {
    throw new AdError("ShapeMismatch", `a value of shape ${formatShape(v.shape)} does not broadcast to the tensor's ${formatShape(target.shape)}`, {
      op,
      shapes: [[...v.shape], [...target.shape]],
    });
  }
  if (target.size > 0 && target.shape.some((d, i) => d > 1 && target.strides[i] === 0)) {
    throw invalidArgument(
      op,
      `the tensor is an expanded view (shape ${formatShape(target.shape)}, strides [${target.strides.join(", ")}]): several of its elements are one storage slot`,
      {
        strides: [...target.strides],
      },
    );
  }
  // A value that reads the same storage (x.assign(x.transpose())) is copied first, so no write lands before its read.
  const kernels = target.device.kernels;
  if (v.storage === target.storage) v = fromStorage(kernels.copy(v), v.dtype, [...v.shape], v.device);
  kernels.copyInto(target, v);
  bumpVersion(target.storage);
  return target;
}

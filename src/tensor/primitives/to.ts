/**
 * to: a copy of x on another device (contiguous, same dtype and shape). Linear, and its own adjoint
 * up to direction: the cotangent is copied back to x's device, the tangent goes along with x.
 */
import { expectDevice, type Device } from "../../backends/device.js";
import { describe, invalidArgument } from "../../errors.js";
import type { Storage } from "../dtype.js";
import { bind, definePrimitive } from "../primitive.js";
import { contiguousStrides } from "../shape.js";
import { Tensor } from "../tensor.js";

export const toP = definePrimitive<{ readonly device: Device }>("to", {
  abstract: ([x]) => x,
  placement: ({ device }) => device,
  impl: ([x], { device }, k) => {
    // Every device's buffers are host memory today (backends/device.ts), so x's are read in place.
    return new Tensor(device.write(k.copy(x)) as Storage, x.dtype, [...x.shape], contiguousStrides(x.shape), 0, device);
  },
  vjp: ({ cotangent: g, inputs: [x] }) => [to(g, x.device)],
  jvp: ({ tangents: [dx], params: { device } }) => to(dx as Tensor, device),
});

/** x copied to `device` (a device or its name; x itself when it is there already); differentiable. */
export function to<T extends Tensor>(x: T, device: Device | string): T {
  return transfer("to", x, device);
}

/** x copied to `device` for the op the user called (`to` or `Tensor.to`, installed by methods.ts). */
export function transfer<T extends Tensor>(op: string, x: T, device: Device | string): T {
  if (!(x instanceof Tensor)) throw invalidArgument(op, `x must be a Tensor, got ${describe(x)}`, { got: describe(x) });
  const target = expectDevice(op, device);
  return (x.device === target ? x : bind(toP, [x], { device: target })) as T;
}

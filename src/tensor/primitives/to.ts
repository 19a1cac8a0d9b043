/**
 * to: a copy of x on another device (contiguous, same dtype and shape). Linear, and its own adjoint
 * up to direction: the cotangent is copied back to x's device, the tangent goes along with x.
 * `toAsync` is the same primitive for a device that reads only asynchronously (the GPU): it reads x
 * first and hands the elements in (`staged`), so the copy is recorded, and differentiated, as `to`.
 */
import { isStorage, type DeviceBuffer } from "../../backends/buffer.js";
import { expectDevice, noSyncRead, type Device } from "../../backends/device.js";
import { describe, invalidArgument } from "../../errors.js";
import { narrowToHalves } from "../../backends/float16.js";
import { allocate, type Storage } from "../dtype.js";
import { bind, definePrimitive } from "../primitive.js";
import { contiguousStrides } from "../shape.js";
import { Tensor } from "../tensor.js";

export const toP = definePrimitive<{ readonly device: Device; readonly staged?: Storage }>("to", {
  abstract: ([x]) => x,
  placement: ({ device }) => device,
  impl: ([x], { device, staged }, k) => {
    const data = staged ?? hostCopy(x.device, k.copy(x));
    return new Tensor(device.write(data), x.dtype, [...x.shape], contiguousStrides(x.shape), 0, device);
  },
  vjp: ({ cotangent: g, inputs: [x] }) => [to(g, x.device)],
  jvp: ({ tangents: [dx], params: { device } }) => to(dx as Tensor, device),
});

/**
 * A row-major `buffer` of `source` in host memory: itself where it is a typed array; otherwise read
 * synchronously and freed, or `UnsupportedOp` naming the asynchronous read where the device has none.
 */
function hostCopy(source: Device, buffer: DeviceBuffer): Storage {
  if (isStorage(buffer)) return buffer;
  try {
    if (source.readSync === undefined) throw noSyncRead("to", source, "await toAsync(x, device) (or await x.toAsync(device)), which is differentiable too");
    return source.readSync(buffer);
  } finally {
    source.free(buffer);
  }
}

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

/**
 * x copied to `device` (a device or its name; x itself when it is there already), asynchronously:
 * the way off a device that reads only asynchronously, such as the GPU (`await t.toAsync("cpu")`).
 * Differentiable as `to` is: the cotangent goes back to x's device.
 */
export async function toAsync<T extends Tensor>(x: T, device: Device | string): Promise<T> {
  return transferAsync("toAsync", x, device);
}

/** toAsync for the op the user called (`toAsync` or `Tensor.toAsync`). */
export async function transferAsync<T extends Tensor>(op: string, x: T, device: Device | string): Promise<T> {
  if (!(x instanceof Tensor)) throw invalidArgument(op, `x must be a Tensor, got ${describe(x)}`, { got: describe(x) });
  const target = expectDevice(op, device);
  if (x.device === target) return x;
  if (readsSynchronously(x)) return bind(toP, [x], { device: target }) as T;
  const values = await x.read();
  // A float16 tensor reads as its values; its storage holds their bits.
  const staged = x.dtype === "float16" ? narrowToHalves(values, allocate("float16", values.length, op)) : values;
  return bind(toP, [x], { device: target, staged }) as T;
}

/** Whether `to` can copy x off its device at once (its buffer is host memory, or its device reads synchronously). */
export function readsSynchronously(x: Tensor): boolean {
  return isStorage(x.storage) || x.device.readSync !== undefined;
}

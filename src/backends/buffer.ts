/**
 * Device buffers: what a `View`'s storage is. On the host (and any device over main memory) a typed
 * array (`Storage`); on a device whose memory the host cannot index (a GPU) an opaque handle that
 * carries its dtype and length. Kernels over main memory narrow a view's buffer once, at the top
 * (`hostStorage`), and loop over the typed array as before.
 */
import { AdError } from "../errors.js";
import type { DType, Storage } from "./dtype.js";

/** A buffer the host cannot index: a handle of its device (a GPU buffer), with its element type and count. */
export interface OpaqueBuffer {
  readonly dtype: DType;
  /** Elements. */
  readonly length: number;
}

export type DeviceBuffer = Storage | OpaqueBuffer;

/** Whether `buffer` is host memory (a typed array). */
export function isStorage(buffer: DeviceBuffer): buffer is Storage {
  return ArrayBuffer.isView(buffer);
}

/**
 * The typed array of a view over main memory. A host kernel handed another device's buffer is an
 * engine bug (`bind` keeps devices apart), reported as `UnsupportedOp` naming the kernel.
 */
export function hostStorage(view: { readonly storage: DeviceBuffer }, kernel: string): Storage {
  const buffer = view.storage;
  if (isStorage(buffer)) return buffer;
  throw new AdError("UnsupportedOp", `the host kernel ${kernel} cannot read a device buffer (${buffer.dtype}, ${buffer.length} elements)`, { op: kernel });
}

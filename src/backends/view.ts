/**
 * What a kernel sees of an operand: a buffer and how to read it (dtype, shape, strides, offset) —
 * no Tensor, no autograd. A Tensor is one (structurally), so the primitives pass theirs as they are;
 * a kernel returns a fresh row-major buffer that the primitive wraps into a Tensor. The buffer is
 * a typed array in main memory, or a device's opaque handle (buffer.ts).
 */
import type { DeviceBuffer } from "./buffer.js";
import type { DType } from "./dtype.js";
import type { Shape } from "./shape.js";

export interface View {
  readonly storage: DeviceBuffer;
  readonly dtype: DType;
  readonly shape: Shape;
  readonly strides: readonly number[];
  readonly offset: number;
}

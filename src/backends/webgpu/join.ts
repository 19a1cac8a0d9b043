/**
 * concat and pad on the GPU — the contracts of `Backend.concat` and `Backend.pad` with GPU buffers:
 * a fresh row-major output, each input written into its block by the strided write (copy.ts); pad's
 * fill, where it is not +0, is one element broadcast over the output first.
 */
import { contiguousStrides } from "../shape.js";
import { allocate } from "../dtype.js";
import { sizeOf } from "../shape.js";
import { expectGPUDType, type GPUBuffers, type GPUData } from "./buffers.js";
import type { GPUCopy } from "./copy.js";
import type { GPUView } from "./elementwise.js";

export class GPUJoin {
  constructor(
    readonly buffers: GPUBuffers,
    readonly copy: GPUCopy,
  ) {}

  concat(inputs: readonly GPUView[], axis: number): GPUData {
    const first = inputs[0];
    const shape = [...first.shape];
    shape[axis] = inputs.reduce((n, t) => n + t.shape[axis], 0);
    const out = this.buffers.allocate(expectGPUDType("concat", first.dtype), sizeOf(shape), "concat");
    const strides = contiguousStrides(shape);
    let offset = 0;
    for (const t of inputs) {
      this.copy.copyInto({ storage: out, dtype: first.dtype, shape: t.shape, strides, offset }, t);
      offset += t.shape[axis] * strides[axis];
    }
    return out;
  }

  pad(x: GPUView, widths: readonly (readonly [number, number])[], fill: number): GPUData {
    const shape = x.shape.map((d, i) => d + widths[i][0] + widths[i][1]);
    // Zeroed: a zero fill writes only the interior.
    const out = this.buffers.allocateZeroed(expectGPUDType("pad", x.dtype), sizeOf(shape), "pad");
    const strides = contiguousStrides(shape);
    if (!Object.is(fill, 0)) {
      const value = allocate(x.dtype, 1);
      value[0] = fill;
      const scalar = this.buffers.write(value, "pad");
      this.copy.copyInto({ storage: out, dtype: x.dtype, shape, strides, offset: 0 }, { storage: scalar, dtype: x.dtype, shape: [], strides: [], offset: 0 });
      this.buffers.free(scalar);
    }
    const offset = widths.reduce((o, [before], i) => o + before * strides[i], 0);
    this.copy.copyInto({ storage: out, dtype: x.dtype, shape: x.shape, strides, offset }, x);
    return out;
  }
}

/**
 * Reductions on the GPU — the contract of `Backend.reduce` with GPU buffers: `op` over `axes`
 * (normalised, sorted) into a fresh row-major buffer of the kept axes, in `dtype` (x's by default).
 * float32 folds in f32 (the reference folds in float64 and rounds once, so sums differ by rounding:
 * see docs/devices-and-backends.md); int32 and bool fold in i32, wrapping as the reference's store does.
 */
import type { DType } from "../dtype.js";
import type { ReduceOp } from "../ops.js";
import { sizeOf } from "../shape.js";
import { expectGPUDType, type GPUBuffers, type GPUData } from "./buffers.js";
import type { Dispatcher } from "./dispatch.js";
import type { GPUView } from "./elementwise.js";
import { reduceShader } from "./reduceShader.js";

export class GPUReduce {
  constructor(
    readonly buffers: GPUBuffers,
    readonly dispatcher: Dispatcher,
  ) {}

  reduce(op: ReduceOp, x: GPUView, axes: readonly number[], _keepDims: boolean, dtype: DType = x.dtype): GPUData {
    const name = `reduce.${op}`;
    const input = expectGPUDType(name, x.dtype);
    const output = expectGPUDType(name, dtype);
    const reduced = new Set(axes);
    const keptAxes = x.shape.map((_, i) => i).filter((i) => !reduced.has(i));
    const m = sizeOf(keptAxes.map((i) => x.shape[i]));
    const out = this.buffers.allocate(output, m, name);
    if (m === 0) return out;
    const compute = input === "float32" || output === "float32" ? "f32" : "i32";
    const pipeline = this.dispatcher.pipeline(`${name}|${input}|${output}|${compute}`, () => reduceShader(op, input, output, compute));
    const kept = keptAxes.map((i) => [x.shape[i], x.strides[i]]);
    const red = axes.map((i) => [x.shape[i], x.strides[i]]);
    const params = new Int32Array([
      m,
      0,
      sizeOf(axes.map((i) => x.shape[i])),
      kept.length,
      red.length,
      x.offset,
      ...kept.map(([d]) => d),
      ...kept.map(([, s]) => s),
      ...red.map(([d]) => d),
      ...red.map(([, s]) => s),
    ]);
    this.dispatcher.run(name, pipeline, params, [out.buffer, x.storage.buffer], m);
    return out;
  }
}

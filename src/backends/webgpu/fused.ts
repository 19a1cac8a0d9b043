/**
 * The webgpu device's `compileDeviceFused` (`Backend.compileFused` for a GPU): a fused elementwise
 * group of float32, int32 and bool ops becomes one generated compute shader (fusedShader.ts), its
 * pipeline cached by the program's text and the inputs' dtypes, one dispatch per call recorded into
 * the device's open batch like any kernel's (so a jitted step still submits once, at its read).
 * float16 groups never get here (the jit keeps float16 ops unfused); a group with another dtype, or
 * a sum whose values are not float32, gets undefined and its ops run as single kernels.
 */
import type { DeviceFusedKernel, FusedProgram } from "../fused.js";
import { sizeOf } from "../shape.js";
import type { View } from "../view.js";
import { expectGPUDType, type GPUBuffers, type GPUData, type GPUDType } from "./buffers.js";
import type { Dispatcher } from "./dispatch.js";
import { checkAlive } from "./init.js";
import { fusedShader } from "./fusedShader.js";
import { WORKGROUP_SIZE } from "./shader.js";

const GPU_DTYPES: readonly string[] = ["float32", "int32", "bool"];

export class GPUFused {
  constructor(
    readonly buffers: GPUBuffers,
    readonly dispatcher: Dispatcher,
  ) {}

  compile(program: FusedProgram): DeviceFusedKernel | undefined {
    const last = program.ops[program.ops.length - 1];
    if (program.ops.some((op) => !GPU_DTYPES.includes(op.dtype))) return undefined;
    if (program.sum && last.dtype !== "float32") return undefined;
    const op = "fused";
    const text = JSON.stringify({ ops: program.ops, windows: program.windows, rank: program.shape.length, sum: program.sum, sumAxes: program.sumAxes });
    const { shape } = program;
    const n = sizeOf(shape);
    // A sum's kept and summed loop axes, each with its row-major stride in the loop (fusedShader.ts).
    const summed = new Set(program.sumAxes ?? shape.map((_, d) => d));
    const loopStride = (d: number) => sizeOf(shape.slice(d + 1));
    const kept = shape.map((_, d) => d).filter((d) => !summed.has(d));
    const reduced = shape.map((_, d) => d).filter((d) => summed.has(d));
    const m = program.sum ? sizeOf(kept.map((d) => shape[d])) : n;
    const sumParams = program.sum
      ? [
          m,
          sizeOf(reduced.map((d) => shape[d])),
          kept.length,
          reduced.length,
          ...kept.map((d) => shape[d]),
          ...kept.map(loopStride),
          ...reduced.map((d) => shape[d]),
          ...reduced.map(loopStride),
        ]
      : [];
    return (views: readonly View[]): GPUData => {
      const { handle } = this.buffers;
      checkAlive(handle, op);
      const inputs: GPUDType[] = views.map((v) => expectGPUDType(op, v.dtype));
      const out = this.buffers.allocate(last.dtype as GPUDType, m, op);
      if (m === 0) return out;
      const pipeline = this.dispatcher.pipeline(`fused|${text}|${inputs.join(",")}`, () => fusedShader(program, inputs));
      const params = new Int32Array([n, 0, ...shape, ...views.flatMap((v) => [v.offset, ...v.strides]), ...sumParams]);
      const bound = [out.buffer, ...views.map((v) => (v.storage as GPUData).buffer)];
      this.dispatcher.run(op, pipeline, params, bound, program.sum ? m : Math.ceil(n / WORKGROUP_SIZE));
      return out;
    };
  }
}

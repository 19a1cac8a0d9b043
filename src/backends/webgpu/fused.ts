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
    const text = JSON.stringify({ ops: program.ops, windows: program.windows, rank: program.shape.length, sum: program.sum });
    const n = sizeOf(program.shape);
    return (views: readonly View[]): GPUData => {
      const { handle } = this.buffers;
      checkAlive(handle, op);
      const inputs: GPUDType[] = views.map((v) => expectGPUDType(op, v.dtype));
      const out = this.buffers.allocate(last.dtype as GPUDType, program.sum ? 1 : n, op);
      if (n === 0 && !program.sum) return out;
      const pipeline = this.dispatcher.pipeline(`fused|${text}|${inputs.join(",")}`, () => fusedShader(program, inputs));
      const params = new Int32Array([n, 0, ...program.shape, ...views.flatMap((v) => [v.offset, ...v.strides])]);
      const bound = [out.buffer, ...views.map((v) => (v.storage as GPUData).buffer)];
      this.dispatcher.run(op, pipeline, params, bound, program.sum ? 1 : Math.ceil(n / WORKGROUP_SIZE));
      return out;
    };
  }
}

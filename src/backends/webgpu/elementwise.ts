/// <reference types="@webgpu/types" />
/**
 * The elementwise kernels on the GPU: every op of the expression table and `where`, over strided,
 * broadcast, offset views, into a fresh row-major buffer — the contract of `Backend.unary` /
 * `binary` / `where`, with GPU buffers for typed arrays. Pipelines are compiled once per (op,
 * dtypes, rank after collapsing) and kept; each call writes its shapes and strides to the params buffer
 * and enqueues one dispatch (nothing waits: a read waits).
 */
import { broadcastStrides, collapse } from "../cpu/kernels/strided.js";
import type { DType } from "../dtype.js";
import type { BinaryOp, UnaryOp } from "../expressions.js";
import { sizeOf, type Shape } from "../shape.js";
import { expectGPUDType, type GPUBuffers, type GPUData, type GPUDType } from "./buffers.js";
import { checkAlive } from "./init.js";
import { type ComputeType, elementwiseShader, type KernelSignature, WORKGROUP_SIZE } from "./shader.js";
import { BINARY_WGSL, type OpBody, UNARY_WGSL } from "./wgsl.js";

/** A View whose storage is a GPU buffer. */
export interface GPUView {
  readonly storage: GPUData;
  readonly dtype: DType;
  readonly shape: Shape;
  readonly strides: readonly number[];
  readonly offset: number;
}

const MAX_GROUPS_X = 65535;
const STORAGE = 0x80;
const COPY_DST = 0x8;

function computeType(body: OpBody, inputs: readonly GPUDType[], output: GPUDType): ComputeType {
  return body.i32 !== undefined && output !== "float32" && inputs.every((d) => d !== "float32") ? "i32" : "f32";
}

export class GPUElementwise {
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private params: GPUBuffer | undefined;

  constructor(readonly buffers: GPUBuffers) {}

  /** Pipelines compiled so far (one per op, dtypes and rank). */
  get pipelineCount(): number {
    return this.pipelines.size;
  }

  /** The table's unary `op` of x elementwise, stored as `dtype`. */
  unary(op: UnaryOp, x: GPUView, dtype: DType): GPUData {
    return this.run(`unary.${op}`, UNARY_WGSL[op], [x], x.shape, dtype, false);
  }

  /** The table's binary `op` of a and b broadcast to `shape`, stored as `dtype`. */
  binary(op: BinaryOp, a: GPUView, b: GPUView, shape: Shape, dtype: DType): GPUData {
    return this.run(`binary.${op}`, BINARY_WGSL[op], [a, b], shape, dtype, false);
  }

  /** cond ? a : b elementwise (cond "≠ 0"), broadcast to `shape`, in a's dtype. */
  where(cond: GPUView, a: GPUView, b: GPUView, shape: Shape): GPUData {
    const body = { f32: "select(b, a, c)", i32: "select(b, a, c)" };
    return this.run("where", body, [cond, a, b], shape, a.dtype, true);
  }

  private run(op: string, body: OpBody, views: readonly GPUView[], shape: Shape, dtype: DType, conditional: boolean): GPUData {
    const { handle } = this.buffers;
    checkAlive(handle, op);
    const output = expectGPUDType(op, dtype);
    const inputs = views.map((v) => expectGPUDType(op, v.dtype));
    const n = sizeOf(shape);
    const out = this.buffers.allocate(output, n, op);
    if (n === 0) return out;
    const walk = collapse(
      shape,
      views.map((v) => broadcastStrides(v.shape, v.strides, shape)),
    );
    const rank = walk.shape.length;
    // where's operands meet in its output type; the condition is read in its own.
    const valueInputs = conditional ? inputs.slice(1) : inputs;
    const compute = conditional ? (output === "float32" ? "f32" : "i32") : computeType(body, valueInputs, output);
    const sig: KernelSignature = { inputs, output, rank, compute };
    const pipeline = this.pipeline(`${op}|${inputs.join(",")}|${output}|${rank}|${compute}`, sig, compute === "i32" ? body.i32! : body.f32, conditional);

    const params = new Int32Array([n, 0, ...walk.shape, ...views.flatMap((v, k) => [v.offset, ...walk.strides[k]])]);
    const { device } = handle;
    const paramsBuffer = this.paramsFor(params);
    const bindGroup = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [paramsBuffer, out.buffer, ...views.map((v) => v.storage.buffer)].map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    const groups = Math.ceil(n / WORKGROUP_SIZE);
    const x = Math.min(groups, MAX_GROUPS_X);
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, Math.ceil(groups / x));
    pass.end();
    device.queue.submit([encoder.finish()]);
    return out;
  }

  /**
   * The params buffer, holding `params`. One buffer serves every call: each call submits before the
   * next writes, and the queue keeps writes and submits in order (so no buffer per call).
   */
  private paramsFor(params: Int32Array): GPUBuffer {
    if (this.params === undefined || this.params.size < params.byteLength) {
      const size = Math.max(1024, params.byteLength);
      this.params?.destroy();
      this.params = this.buffers.handle.device.createBuffer({ size, usage: STORAGE | COPY_DST });
    }
    this.buffers.handle.device.queue.writeBuffer(this.params, 0, params);
    return this.params;
  }

  private pipeline(key: string, sig: KernelSignature, body: string, conditional: boolean): GPUComputePipeline {
    let pipeline = this.pipelines.get(key);
    if (pipeline === undefined) {
      const module = this.buffers.handle.device.createShaderModule({ code: elementwiseShader(sig, body, conditional) });
      pipeline = this.buffers.handle.device.createComputePipeline({ layout: "auto", compute: { module, entryPoint: "main" } });
      this.pipelines.set(key, pipeline);
    }
    return pipeline;
  }
}

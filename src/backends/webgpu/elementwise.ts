/**
 * The elementwise kernels on the GPU: every op of the expression table and `where`, over strided,
 * broadcast, offset views, into a fresh row-major buffer — the contract of `Backend.unary` /
 * `binary` / `where`, with GPU buffers for typed arrays. One pipeline per (op, dtypes, rank after
 * collapsing), one dispatch per call (dispatch.ts).
 */
import { broadcastStrides, collapse } from "../cpu/kernels/strided.js";
import type { DType } from "../dtype.js";
import type { BinaryOp, UnaryOp } from "../expressions.js";
import { sizeOf, type Shape } from "../shape.js";
import { expectGPUDType, type GPUBuffers, type GPUData, type GPUDType } from "./buffers.js";
import type { Dispatcher } from "./dispatch.js";
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

/** What an op computes in: i32 where it is exact on integers and no operand or result is a float. */
export function computeType(body: OpBody, inputs: readonly GPUDType[], output: GPUDType): ComputeType {
  return body.i32 !== undefined && output !== "float32" && inputs.every((d) => d !== "float32") ? "i32" : "f32";
}

export class GPUElementwise {
  constructor(
    readonly buffers: GPUBuffers,
    readonly dispatcher: Dispatcher,
  ) {}

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
    const key = `${op}|${inputs.join(",")}|${output}|${rank}|${compute}`;
    const pipeline = this.dispatcher.pipeline(key, () => elementwiseShader(sig, compute === "i32" ? body.i32! : body.f32, conditional));
    const params = new Int32Array([n, 0, ...walk.shape, ...views.flatMap((v, k) => [v.offset, ...walk.strides[k]])]);
    const bound = [out.buffer, ...views.map((v) => v.storage.buffer)];
    this.dispatcher.run(op, pipeline, params, bound, Math.ceil(n / WORKGROUP_SIZE));
    return out;
  }
}

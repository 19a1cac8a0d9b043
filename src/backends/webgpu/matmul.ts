/**
 * Matmul on the GPU — the contract of `Backend.matmul` with GPU buffers: [...batchA, m, k] ·
 * [...batchB, k, n] into a fresh row-major [...batch, m, n], float32 only (int32 is not on the GPU yet:
 * it throws, and the engine reports `UnsupportedOp`). One dispatch of the register-blocked shader (matmulShader.ts).
 */
import { broadcastStrides } from "../cpu/kernels/strided.js";
import type { DType } from "../dtype.js";
import { sizeOf, type Shape } from "../shape.js";
import type { GPUBuffers, GPUData } from "./buffers.js";
import type { Dispatcher } from "./dispatch.js";
import type { GPUView } from "./elementwise.js";
import { MATMUL_SHADER, MATMUL_TILE } from "./matmulShader.js";

export class GPUMatmul {
  constructor(
    readonly buffers: GPUBuffers,
    readonly dispatcher: Dispatcher,
  ) {}

  matmul(a: GPUView, b: GPUView, batch: Shape, dtype: DType = a.dtype): GPUData {
    const op = "matmul";
    if (a.dtype !== "float32" || b.dtype !== "float32" || dtype !== "float32") {
      throw new Error(`the webgpu matmul is float32 only, got ${a.dtype} · ${b.dtype} into ${dtype}`);
    }
    const [m, k] = a.shape.slice(-2);
    const n = b.shape[b.shape.length - 1];
    const count = sizeOf(batch);
    const out = this.buffers.allocate("float32", count * m * n, op);
    if (count * m * n === 0) return out;
    const strides = (v: GPUView) => v.strides.slice(-2);
    const batchOf = (v: GPUView) => broadcastStrides(v.shape.slice(0, -2), v.strides.slice(0, -2), batch);
    const params = new Int32Array([m, n, k, batch.length, ...batch, a.offset, ...strides(a), ...batchOf(a), b.offset, ...strides(b), ...batchOf(b)]);
    const pipeline = this.dispatcher.pipeline(op, () => MATMUL_SHADER);
    const groups = [Math.ceil(n / MATMUL_TILE), Math.ceil(m / MATMUL_TILE), count] as const;
    this.dispatcher.run(op, pipeline, params, [out.buffer, a.storage.buffer, b.storage.buffer], groups);
    return out;
  }
}

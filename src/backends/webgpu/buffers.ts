/// <reference types="@webgpu/types" />
/**
 * GPU buffers of the three dtypes WGSL can hold: float32 as f32, int32 as i32, bool as u32 (one
 * word per element: WGSL has no byte type in storage). float64 has no WGSL type, so writing it is an
 * `AdError` naming the device, never a silent downcast. Reads are asynchronous (copy to a staging
 * buffer, `mapAsync`); a lost device rejects them with an `AdError` instead of leaving them pending.
 * `allocatedBytes` counts what the live buffers hold, so a test can see a loop stay flat. A buffer
 * whose handle is garbage collected without `free` is destroyed then (a dropped tensor's).
 */
import { AdError } from "../../errors.js";
import { allocate, dtypeOfArray, type DType, type Storage } from "../dtype.js";
import { checkAlive, type LostInfo, lostError, type WebGPUHandle } from "./init.js";

/** The dtypes a GPU buffer can hold. */
export type GPUDType = "float32" | "int32" | "bool";

// GPUBufferUsage / GPUMapMode values (spelt out: Node has no such globals unless one installs them).
const MAP_READ = 0x1;
const COPY_SRC = 0x4;
const COPY_DST = 0x8;
const STORAGE = 0x80;
const MAP_MODE_READ = 0x1;

export interface GPUData {
  readonly buffer: GPUBuffer;
  readonly dtype: GPUDType;
  /** Elements (4 bytes each). */
  readonly length: number;
}

/** Throws `UnsupportedOp` for a dtype the GPU cannot hold (float64, uint8, int8), naming `op` and the device. */
export function expectGPUDType(op: string, dtype: DType): GPUDType {
  if (dtype === "float64") {
    throw new AdError("UnsupportedOp", "the webgpu device has no float64 (WGSL has no f64); convert to float32 first, or use the cpu device", {
      op,
      device: "webgpu",
      dtype,
    });
  }
  if (dtype === "uint8" || dtype === "int8") {
    throw new AdError("UnsupportedOp", `the webgpu device has no ${dtype} (WGSL has no byte types); cast it to int32 or float32 first, or use the cpu device`, {
      op,
      device: "webgpu",
      dtype,
    });
  }
  return dtype;
}

/** The buffers of one device: write, allocate, read, free, and the bytes they hold. */
export class GPUBuffers {
  private bytes = 0;
  private readonly freed = new WeakSet<GPUBuffer>();
  /** The reads waiting on a map, rejected together if the device is lost (never left pending). */
  private readonly waiting = new Set<(lost: LostInfo) => void>();
  /** Destroys the GPU buffer of a handle collected unfreed (the handle itself cannot be held here). */
  private readonly collector = new FinalizationRegistry<{ buffer: GPUBuffer; length: number }>(({ buffer, length }) => this.release(buffer, length));

  constructor(readonly handle: WebGPUHandle) {
    // One reaction per device, not one per read: a long-lived promise keeps every reaction attached to it.
    void handle.device.lost.then((info) => {
      for (const fail of this.waiting) fail({ reason: info.reason, message: info.message });
    });
  }

  /** Bytes held by buffers not yet freed. */
  get allocatedBytes(): number {
    return this.bytes;
  }

  /** A zero-filled buffer of `length` elements (at least one word: WebGPU binds no empty buffer). */
  allocate(dtype: GPUDType, length: number, op = "webgpu.allocate"): GPUData {
    checkAlive(this.handle, op);
    const size = Math.max(4, length * 4);
    const buffer = this.handle.device.createBuffer({ size, usage: STORAGE | COPY_SRC | COPY_DST });
    this.bytes += size;
    const data = { buffer, dtype, length };
    this.collector.register(data, { buffer, length }, data);
    return data;
  }

  /** A GPU copy of `data` (Float32Array, Int32Array, or Uint8Array as bool). */
  write(data: Storage, op = "webgpu.write"): GPUData {
    const dtype = dtypeOfArray(data);
    if (dtype === undefined) throw new AdError("InvalidArgument", "data must be a Float32Array, Int32Array or Uint8Array", { op });
    const gpuDType = expectGPUDType(op, dtype);
    const out = this.allocate(gpuDType, data.length, op);
    if (data.length > 0) {
      // bool widens to one u32 per element; float32 and int32 go as their bytes.
      const words = data instanceof Uint8Array ? Uint32Array.from(data) : data;
      this.handle.device.queue.writeBuffer(out.buffer, 0, words.buffer, words.byteOffset, words.byteLength);
    }
    return out;
  }

  /** The buffer's elements, once the GPU has finished the work queued before this call. */
  async read(data: GPUData, op = "webgpu.read"): Promise<Storage> {
    checkAlive(this.handle, op);
    const out = allocate(data.dtype, data.length, op);
    if (data.length === 0) return out;
    const { device } = this.handle;
    const size = data.length * 4;
    const staging = device.createBuffer({ size, usage: MAP_READ | COPY_DST });
    try {
      const encoder = device.createCommandEncoder();
      encoder.copyBufferToBuffer(data.buffer, 0, staging, 0, size);
      device.queue.submit([encoder.finish()]);
      await this.mapped(staging, op);
      const words = staging.getMappedRange();
      if (out instanceof Uint8Array) out.set(new Uint32Array(words));
      else out.set(data.dtype === "float32" ? new Float32Array(words) : new Int32Array(words));
      staging.unmap();
    } finally {
      staging.destroy();
    }
    return out;
  }

  /** Releases the buffer now (WebGPU lets work already submitted finish with it); a second free does nothing. */
  free(data: GPUData): void {
    this.collector.unregister(data);
    this.release(data.buffer, data.length);
  }

  private release(buffer: GPUBuffer, length: number): void {
    if (this.freed.has(buffer)) return;
    this.freed.add(buffer);
    this.bytes -= Math.max(4, length * 4);
    buffer.destroy();
  }

  /** Maps `staging` for reading, or rejects with an `AdError` if the device is lost meanwhile. */
  private async mapped(staging: GPUBuffer, op: string): Promise<void> {
    let fail: ((lost: LostInfo) => void) | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        fail = (lost) => reject(lostError(op, lost));
        this.waiting.add(fail);
        staging.mapAsync(MAP_MODE_READ).then(resolve, reject);
      });
    } catch (error) {
      if (error instanceof AdError) throw error;
      checkAlive(this.handle, op);
      throw new AdError("UnsupportedOp", `reading a GPU buffer failed: ${error instanceof Error ? error.message : String(error)}`, { op, device: "webgpu" });
    } finally {
      this.waiting.delete(fail!);
    }
  }
}

/// <reference types="@webgpu/types" />
/**
 * GPU buffers of the dtypes WGSL can hold: float32 as f32, int32 as i32, bool as u32 (one
 * word per element: WGSL has no byte type in storage), and float16 packed two halves to a u32 word
 * (kernels compute on it widened to float32: halves.ts). float64 has no WGSL type, so writing it is an
 * `AdError` naming the device, never a silent downcast. Reads are asynchronous (copy to a staging
 * buffer, `mapAsync`); a lost device rejects them with an `AdError` instead of leaving them pending.
 * The queue's counters (queue.ts) count what was created, pooled and mapped, so a test can hold a
 * loop to its numbers.
 */
import { AdError } from "../../errors.js";
import { allocate, dtypeOfArray, type DType, type Storage } from "../dtype.js";
import { GPUAllocations } from "./allocations.js";
import { checkAlive, type LostInfo, lostError, type WebGPUHandle } from "./init.js";
import { GPUQueue } from "./queue.js";

/** The dtypes a GPU buffer can hold. */
export type GPUDType = "float32" | "int32" | "bool";
/** What a GPU buffer can hold: the kernels' dtypes, and float16 (packed; widened for any kernel). */
export type GPUBufferDType = GPUDType | "float16";

// GPUBufferUsage / GPUMapMode values (spelt out: Node has no such globals unless one installs them).
const MAP_READ = 0x1;
const COPY_SRC = 0x4;
const COPY_DST = 0x8;
const STORAGE = 0x80;
const MAP_MODE_READ = 0x1;

export interface GPUData {
  /** At least `length` words (its size class: the shaders take their counts from params, not from the buffer). */
  readonly buffer: GPUBuffer;
  readonly dtype: GPUBufferDType;
  /** Elements (4 bytes each; float16's 2, packed in words). */
  readonly length: number;
  /** @internal Who holds the buffer; kept apart from this handle so that collecting the handle can release it. */
  readonly slot: Slot;
}

/** A buffer's owners: the tensors holding it, and whether it went back to the pool. */
export interface Slot {
  readonly buffer: GPUBuffer;
  refs: number;
  released: boolean;
}

const TENSOR_USAGE = STORAGE | COPY_SRC | COPY_DST;

/** Throws `UnsupportedOp` for a dtype the GPU cannot hold (float64, uint8, int8), naming `op` and the device. */
export function expectGPUDType(op: string, dtype: DType): GPUDType {
  if (dtype === "float64") {
    throw new AdError("UnsupportedOp", "the webgpu device has no float64 (WGSL has no f64); convert to float32 first, or use the cpu device", {
      op,
      device: "webgpu",
      dtype,
    });
  }
  // An engine bug, not the user's: the device widens every float16 operand before its kernels (halves.ts).
  if (dtype === "float16") throw new Error(`a float16 operand reached the GPU kernel ${op} unwidened`);
  if (dtype === "uint8" || dtype === "int8") {
    throw new AdError("UnsupportedOp", `the webgpu device has no ${dtype} (WGSL has no byte types); cast it to int32 or float32 first, or use the cpu device`, {
      op,
      device: "webgpu",
      dtype,
    });
  }
  return dtype;
}

/** The bytes of `length` elements of `dtype` on the GPU: 4 each, float16 2 each rounded up to whole words. */
export function bytesOf(dtype: GPUBufferDType, length: number): number {
  return dtype === "float16" ? Math.ceil(length / 2) * 4 : length * 4;
}

/** Halves with one more (zero) to fill the last word (`writeBuffer` writes whole words). */
function padded(halves: Uint16Array): Uint16Array {
  const out = new Uint16Array(halves.length + 1);
  out.set(halves);
  return out;
}

/**
 * The bytes a request of `bytes` is given: quarter steps between powers of two (16, 20, 24, 28,
 * 32, 40, …), so a pooled buffer wastes under a quarter of itself and a loop whose sizes wobble a
 * little still finds its buffers again.
 */
export function sizeClass(bytes: number): number {
  if (bytes <= 16) return 16;
  const step = 2 ** (Math.floor(Math.log2(bytes)) - 2);
  return Math.ceil(bytes / step) * step;
}

/**
 * The buffers of one device: allocate, write, read, free, from a pool of size classes per usage
 * (tensor buffers, read staging). A freed buffer goes back to the pool — after the submit of any
 * recorded work that names it (queue.ts says why) — so a training loop stops creating buffers once
 * its first step has made the sizes it uses. Tensors that share a buffer (views) each hold a
 * reference (`retain`); the buffer is released when the last is disposed (`drop`), or when the
 * buffer's handle is garbage collected, whichever comes first.
 */
export class GPUBuffers {
  readonly queue: GPUQueue;
  /** Creates the buffers, and raises the GPU's failures to (allocations.ts). */
  readonly allocations: GPUAllocations;
  /** Free buffers by usage, then by size class. */
  private readonly pool = new Map<number, Map<number, GPUBuffer[]>>();
  /** The reads waiting on a map, rejected together if the device is lost (never left pending). */
  private readonly waiting = new Set<(lost: LostInfo) => void>();
  /** Releases the GPU buffer of a handle collected unfreed (the handle itself cannot be held here). */
  private readonly collector = new FinalizationRegistry<Slot>((slot) => this.release(slot));

  constructor(readonly handle: WebGPUHandle) {
    this.queue = new GPUQueue(handle);
    this.allocations = new GPUAllocations(handle.device, this.queue.counters);
    // One reaction per device, not one per read: a long-lived promise keeps every reaction attached to it.
    void handle.device.lost.then((info) => {
      for (const fail of this.waiting) fail({ reason: info.reason, message: info.message });
    });
  }

  /** Bytes held by tensors' buffers and pending work (pooled buffers excluded): the counters' `inUseBytes`. */
  get inUseBytes(): number {
    return this.queue.counters.inUseBytes;
  }

  /**
   * A buffer of `length` elements (at least one word: WebGPU binds no empty buffer) for a kernel that
   * writes every one of them: a pooled buffer comes back holding its last owner's values, uncleared.
   */
  allocate(dtype: GPUBufferDType, length: number, op = "webgpu.allocate"): GPUData {
    return this.take(dtype, length, op);
  }

  /** A zero-filled buffer of `length` elements, for a kernel that writes only some (pad's interior, a flag). */
  allocateZeroed(dtype: GPUDType, length: number, op = "webgpu.allocate"): GPUData {
    const hits = this.queue.counters.poolHits;
    const data = this.take(dtype, length, op);
    // The clear is recorded, so it lands before the kernel that writes the buffer (a new one is zero already).
    if (this.queue.counters.poolHits > hits) this.queue.record(op).clearBuffer(data.buffer);
    return data;
  }

  /** A GPU copy of `data` (Float32Array, Int32Array, Uint8Array as bool, or a float16 storage's halves). */
  write(data: Storage, op = "webgpu.write"): GPUData {
    const dtype = dtypeOfArray(data);
    if (dtype === undefined) throw new AdError("InvalidArgument", "data must be a Float32Array, Int32Array or Uint8Array", { op });
    const gpuDType = dtype === "float16" ? dtype : expectGPUDType(op, dtype);
    // Not cleared: the write fills it, and a recorded clear would land after the write (writeBuffer goes first).
    const out = this.take(gpuDType, data.length, op);
    if (data.length > 0) {
      // bool widens to one u32 per element; float32 and int32 go as their bytes; an odd count of halves is padded to a whole word.
      const words = data instanceof Uint8Array ? Uint32Array.from(data) : gpuDType === "float16" && data.length % 2 === 1 ? padded(data as Uint16Array) : data;
      this.handle.device.queue.writeBuffer(out.buffer, 0, words.buffer, words.byteOffset, words.byteLength);
    }
    return out;
  }

  /** The buffer's elements, once the GPU has finished the work recorded before this call (which this submits). */
  async read(data: GPUData, op = "webgpu.read"): Promise<Storage> {
    checkAlive(this.handle, op);
    await this.allocations.verify();
    const out = allocate(data.dtype, data.length, op);
    if (data.length === 0) return out;
    const size = bytesOf(data.dtype, data.length);
    const staging = this.fromPool(MAP_READ | COPY_DST, sizeClass(size), op);
    this.queue.record(op).copyBufferToBuffer(data.buffer, 0, staging, 0, size);
    this.queue.submit(op);
    try {
      await this.mapped(staging, op);
      const words = staging.getMappedRange(0, size);
      if (out instanceof Uint8Array) out.set(new Uint32Array(words));
      else if (data.dtype === "float16") out.set(new Uint16Array(words, 0, data.length));
      else out.set(data.dtype === "float32" ? new Float32Array(words) : new Int32Array(words));
      staging.unmap();
      this.toPool(MAP_READ | COPY_DST, staging);
    } catch (error) {
      this.destroy(staging);
      throw error;
    }
    return out;
  }

  /** One more tensor holds `data` (a view sharing its buffer). */
  retain(data: GPUData): void {
    data.slot.refs++;
  }

  /** A tensor holding `data` is disposed: the buffer is released when no tensor holds it. */
  drop(data: GPUData): void {
    if (--data.slot.refs <= 0) this.free(data);
  }

  /** Releases the buffer now, whoever holds it (a kernel's scratch); a second free does nothing. */
  free(data: GPUData): void {
    this.collector.unregister(data);
    this.release(data.slot);
  }

  /** Hands the pooled buffers back to the GPU (after a loop whose sizes will not come again). */
  trim(): void {
    for (const classes of this.pool.values()) for (const buffers of classes.values()) for (const buffer of buffers.splice(0)) this.destroy(buffer);
  }

  /** A buffer for `length` elements, pooled (not cleared) or new (zero-filled). */
  private take(dtype: GPUBufferDType, length: number, op: string): GPUData {
    checkAlive(this.handle, op);
    const bytes = Math.max(4, bytesOf(dtype, length));
    // Near the binding limit the class's slack could push a buffer that fits past it: such a one gets its own size.
    const rounded = sizeClass(bytes);
    const size = rounded > this.handle.device.limits.maxStorageBufferBindingSize ? bytes : rounded;
    const buffer = this.fromPool(TENSOR_USAGE, size, op);
    this.queue.counters.inUseBytes += size;
    const slot: Slot = { buffer, refs: 0, released: false };
    const data = { buffer, dtype, length, slot };
    this.collector.register(data, slot, data);
    return data;
  }

  private release(slot: Slot): void {
    if (slot.released) return;
    slot.released = true;
    this.queue.counters.inUseBytes -= slot.buffer.size;
    this.queue.afterSubmit(() => this.toPool(TENSOR_USAGE, slot.buffer));
  }

  private fromPool(usage: number, size: number, op: string): GPUBuffer {
    const pooled = this.pool.get(usage)?.get(size)?.pop();
    const { counters } = this.queue;
    if (pooled !== undefined) {
      counters.poolHits++;
      return pooled;
    }
    return this.allocations.create(size, usage, op, usage === TENSOR_USAGE);
  }

  private toPool(usage: number, buffer: GPUBuffer): void {
    if (this.allocations.isBroken(buffer)) return this.destroy(buffer);
    let classes = this.pool.get(usage);
    if (classes === undefined) this.pool.set(usage, (classes = new Map()));
    let buffers = classes.get(buffer.size);
    if (buffers === undefined) classes.set(buffer.size, (buffers = []));
    buffers.push(buffer);
  }

  private destroy(buffer: GPUBuffer): void {
    this.queue.counters.allocatedBytes -= buffer.size;
    buffer.destroy();
  }

  /** Maps `staging` for reading, or rejects with an `AdError` if the device is lost meanwhile. */
  private async mapped(staging: GPUBuffer, op: string): Promise<void> {
    let fail: ((lost: LostInfo) => void) | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        fail = (lost) => reject(lostError(op, lost));
        this.waiting.add(fail);
        this.queue.counters.maps++;
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

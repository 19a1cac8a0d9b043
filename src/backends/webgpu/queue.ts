/// <reference types="@webgpu/types" />
/**
 * The device's pending work: kernels record their dispatches (and the buffer clears and copies
 * they need) into one shared command encoder, and `submit` hands the whole batch to the GPU at once.
 * A submit happens only when something must leave the queue: a read (before it maps), an explicit
 * `flush()`/`synchronize()`, or `MAX_PENDING` recorded dispatches, so the memory held for pending
 * work stays bounded.
 *
 * Two WebGPU ordering rules shape this file. `queue.writeBuffer` takes effect before any later
 * submit, so commands recorded earlier but submitted later see its data: each dispatch's params
 * therefore get their own slot in a params chunk, written in full just before the submit (one
 * shared params buffer would leave every dispatch of a batch reading the last one's). And a buffer
 * released while recorded work still names it must not be handed out again before that work is
 * submitted (a `writeBuffer` into its next owner would land first): `afterSubmit` holds such
 * releases until the batch is on the queue, where later work is ordered after it.
 */
import { checkAlive, type WebGPUHandle } from "./init.js";

/** Dispatches recorded before the batch is submitted without being asked (bounds pending memory). */
export const MAX_PENDING = 128;

/** Bytes of one params chunk (one per batch unless a batch's params overflow it). */
const CHUNK_BYTES = 64 * 1024;
const STORAGE = 0x80;
const COPY_DST = 0x8;

/** The counts a test or a benchmark holds a workload to. */
export interface GPUCounters {
  /** Compute dispatches recorded. */
  dispatches: number;
  /** `queue.submit` calls. */
  submits: number;
  /** `mapAsync` calls (one per read of a non-empty tensor). */
  maps: number;
  /** GPU buffers created (tensor buffers, read staging, params chunks). */
  allocations: number;
  /** Tensor and staging buffers handed out from the pool instead of created. */
  poolHits: number;
  /** Bytes of the GPU buffers that exist: in use, pooled and params chunks. */
  allocatedBytes: number;
  /** Bytes of buffers held by tensors or by work not yet submitted (the rest is pooled). */
  inUseBytes: number;
}

interface ParamsChunk {
  readonly buffer: GPUBuffer;
  readonly host: Uint8Array;
  used: number;
}

export class GPUQueue {
  readonly counters: GPUCounters = { dispatches: 0, submits: 0, maps: 0, allocations: 0, poolHits: 0, allocatedBytes: 0, inUseBytes: 0 };
  private encoder: GPUCommandEncoder | undefined;
  private pending = 0;
  /** Params chunks of the open batch, then free for the next one (the submit orders their rewrite). */
  private chunks: ParamsChunk[] = [];
  private spare: ParamsChunk[] = [];
  private released: (() => void)[] = [];
  private readonly align: number;

  constructor(readonly handle: WebGPUHandle) {
    this.align = handle.device.limits.minStorageBufferOffsetAlignment;
  }

  /** The shared encoder of the open batch (opened on first use). */
  record(op: string): GPUCommandEncoder {
    checkAlive(this.handle, op);
    this.encoder ??= this.handle.device.createCommandEncoder();
    return this.encoder;
  }

  /** A slot holding `params` for one dispatch of this batch, as a binding resource. */
  params(params: Int32Array): GPUBufferBinding {
    const size = Math.max(4, params.byteLength);
    let chunk = this.chunks.at(-1);
    if (chunk === undefined || chunk.used + size > chunk.host.byteLength) {
      chunk = this.chunkOf(size);
      this.chunks.push(chunk);
    }
    const offset = chunk.used;
    chunk.host.set(new Uint8Array(params.buffer, params.byteOffset, params.byteLength), offset);
    chunk.used = offset + Math.ceil(size / this.align) * this.align;
    return { buffer: chunk.buffer, offset, size };
  }

  /** Counts a recorded dispatch, submitting the batch at `MAX_PENDING`. */
  dispatched(op: string): void {
    this.counters.dispatches++;
    if (++this.pending >= MAX_PENDING) this.submit(op);
  }

  /** Runs `release` once no unsubmitted work can name what it releases: now, or after the next submit. */
  afterSubmit(release: () => void): void {
    if (this.encoder === undefined) release();
    else this.released.push(release);
  }

  /** Writes the batch's params, submits its commands (if any), then the releases that waited on it. */
  submit(op: string): void {
    if (this.encoder === undefined) return;
    checkAlive(this.handle, op);
    const { queue } = this.handle.device;
    for (const chunk of this.chunks) queue.writeBuffer(chunk.buffer, 0, chunk.host.buffer, 0, chunk.used);
    queue.submit([this.encoder.finish()]);
    this.counters.submits++;
    this.encoder = undefined;
    this.pending = 0;
    for (const chunk of this.chunks) chunk.used = 0;
    this.spare.push(...this.chunks);
    this.chunks = [];
    const released = this.released;
    this.released = [];
    for (const release of released) release();
  }

  private chunkOf(size: number): ParamsChunk {
    const i = this.spare.findIndex((c) => c.host.byteLength >= size);
    if (i >= 0) return this.spare.splice(i, 1)[0];
    const bytes = Math.max(CHUNK_BYTES, Math.ceil(size / this.align) * this.align);
    this.counters.allocations++;
    this.counters.allocatedBytes += bytes;
    return { buffer: this.handle.device.createBuffer({ size: bytes, usage: STORAGE | COPY_DST }), host: new Uint8Array(bytes), used: 0 };
  }
}

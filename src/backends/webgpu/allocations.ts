/// <reference types="@webgpu/types" />
/**
 * Creating GPU buffers, and their failures as `AdError`s. A size over the device's limits
 * (`maxBufferSize`, and `maxStorageBufferBindingSize` for a buffer the kernels bind) is refused at
 * once, naming the op, the bytes and the limit: WebGPU would otherwise only log a validation error
 * and hand back an invalid buffer, so later kernels would silently do nothing. A size within the
 * limits can still find the GPU out of memory, which WebGPU reports only asynchronously (an
 * "out-of-memory" error scope): each creation opens one, and `verify` — awaited before every read
 * and `synchronize()` — raises the first failure as the same `InvalidArgument`, as the host's
 * `allocate` does for memory it cannot get. The failed buffer never goes back to the pool.
 */
import { invalidArgument, type AdError } from "../../errors.js";
import { UNNAMED_ALLOCATION } from "../dtype.js";
import type { GPUCounters } from "./queue.js";

/** A creation whose out-of-memory scope has not been looked at yet. */
interface Pending {
  readonly op: string;
  readonly bytes: number;
  readonly buffer: GPUBuffer;
  readonly scope: Promise<GPUError | null>;
}

export class GPUAllocations {
  private pending: Pending[] = [];
  /** Buffers the GPU failed to back: destroyed when released, never pooled. */
  private readonly broken = new WeakSet<GPUBuffer>();
  /** The primitive whose kernel is running (the device's `run` sets it): what a failure found later names. */
  running: string | undefined;

  constructor(
    private readonly device: GPUDevice,
    private readonly counters: GPUCounters,
  ) {}

  /**
   * A new buffer of `size` bytes. Over a limit it is an `InvalidArgument` now; its `op` is the
   * unnamed allocation's, which `bind` renames to the primitive (the kernel is kept as `details.kernel`).
   */
  create(size: number, usage: number, op: string, binds: boolean): GPUBuffer {
    const { maxBufferSize, maxStorageBufferBindingSize } = this.device.limits;
    const [limitName, limit] =
      binds && maxStorageBufferBindingSize < maxBufferSize ? ["maxStorageBufferBindingSize", maxStorageBufferBindingSize] : ["maxBufferSize", maxBufferSize];
    if (size > limit) {
      throw invalidArgument(UNNAMED_ALLOCATION, `cannot allocate ${size} bytes on the webgpu device: over its ${limitName} of ${limit} bytes`, {
        device: "webgpu",
        kernel: op,
        bytes: size,
        limit,
        limitName,
      });
    }
    this.device.pushErrorScope("out-of-memory");
    const buffer = this.device.createBuffer({ size, usage });
    // A scope that cannot answer (the device went away: checkAlive reports that) found nothing to raise here.
    const scope = this.device.popErrorScope().catch(() => null);
    this.pending.push({ op: this.running ?? op, bytes: size, buffer, scope });
    this.counters.allocations++;
    this.counters.allocatedBytes += size;
    return buffer;
  }

  /** Whether the GPU failed to back `buffer` (found by `verify`). */
  isBroken(buffer: GPUBuffer): boolean {
    return this.broken.has(buffer);
  }

  /** Throws the first creation since the last call that found the GPU out of memory (`InvalidArgument` naming its op, bytes and what is in use). */
  async verify(): Promise<void> {
    if (this.pending.length === 0) return;
    const pending = this.pending;
    this.pending = [];
    const errors = await Promise.all(pending.map((p) => p.scope));
    let first: AdError | undefined;
    errors.forEach((error, i) => {
      if (error === null) return;
      const { op, bytes, buffer } = pending[i];
      this.broken.add(buffer);
      // WebGPU does not say how much memory the GPU has: the error names what this device holds instead.
      const { inUseBytes, allocatedBytes } = this.counters;
      first ??= invalidArgument(
        op,
        `cannot allocate ${bytes} bytes on the webgpu device: out of memory (${error.message}); it holds ${allocatedBytes} bytes, ${inUseBytes} in use`,
        {
          device: "webgpu",
          bytes,
          allocatedBytes,
          inUseBytes,
        },
      );
    });
    if (first !== undefined) throw first;
  }
}

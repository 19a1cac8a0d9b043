/// <reference types="@webgpu/types" />
/**
 * Index checks on the GPU. The reference raises an out-of-range index as it meets it; a GPU kernel
 * cannot throw, and its indices are on the GPU, so the host learns of a bad one only when it next
 * waits for the GPU. Each indexing kernel (gather, scatterAdd, oneHot) therefore enqueues a check of
 * its indices: one invocation per index records the first bad position (an atomic minimum in a
 * scratch word), then a single invocation copies that position, its value and the call's id into
 * the device's error buffer, unless an earlier call has already failed. The indexing kernel itself
 * skips a bad index (gather reads 0, scatterAdd adds nothing, oneHot sets no 1).
 *
 * `verify`, awaited before every read of the device, reads the error buffer (only when a check is
 * pending) and throws the same `InvalidArgument` the reference raises (outOfRange.ts), naming the
 * op and the first bad index of the first failing call in queue order. The error is the device's,
 * as a CUDA device-side assert is: the next read of any tensor on the device raises it, once.
 *
 *   params = [n, size, call id, rank, shape[rank], offset, strides[rank]]   (the indices' view)
 */
import { contiguousStrides, type Shape } from "../shape.js";
import { outOfRange } from "../outOfRange.js";
import type { GPUBuffers, GPUData } from "./buffers.js";
import type { Dispatcher } from "./dispatch.js";
import type { GPUView } from "./elementwise.js";
import { WORKGROUP_SIZE } from "./shader.js";

/** The offset of element `k` (row-major over the indices' shape) in the indices' buffer. */
function offsetOf(rank: number): string {
  return `fn offset_of(k: i32) -> i32 {
  var o = params[${4 + rank}];
  var rem = k;
  for (var d = ${rank - 1}; d >= 0; d--) {
    let size = params[4 + d];
    o += (rem % size) * params[${5 + rank} + d];
    rem = rem / size;
  }
  return o;
}`;
}

/** One invocation per index: the first (smallest row-major) position out of [0, size). */
function findShader(rank: number): string {
  return /* wgsl */ `
@group(0) @binding(0) var<storage, read> params: array<i32>;
@group(0) @binding(1) var<storage, read_write> first_bad: array<atomic<u32>>;
@group(0) @binding(2) var<storage, read> indices: array<i32>;
${offsetOf(rank)}

@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let k = i32(gid.x + gid.y * groups.x * ${WORKGROUP_SIZE}u);
  if (k >= params[0]) { return; }
  let v = indices[offset_of(k)];
  if (v < 0 || v >= params[1]) { atomicMin(&first_bad[0], u32(k)); }
}
`;
}

/** One invocation: the call's first bad index into the error buffer, if it is the first failure. */
function reportShader(rank: number): string {
  return /* wgsl */ `
@group(0) @binding(0) var<storage, read> params: array<i32>;
@group(0) @binding(1) var<storage, read_write> failure: array<i32>;
@group(0) @binding(2) var<storage, read> first_bad: array<u32>;
@group(0) @binding(3) var<storage, read> indices: array<i32>;
${offsetOf(rank)}

@compute @workgroup_size(1)
fn main() {
  let k = first_bad[0];
  if (k == 0xffffffffu || failure[0] != 0) { return; }
  failure[0] = params[2];
  failure[1] = i32(k);
  failure[2] = indices[offset_of(i32(k))];
}
`;
}

interface Pending {
  readonly op: string;
  readonly shape: Shape;
  readonly axis: number;
  readonly size: number;
}

export class IndexChecks {
  /** [failing call id (0: none), its first bad position, that index]. */
  private error: GPUData | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(
    readonly buffers: GPUBuffers,
    readonly dispatcher: Dispatcher,
  ) {}

  /**
   * Enqueues the check that every index of `indices` is in [0, size), for `op`; `axis` is the axis
   * the error names (the one the indices select along).
   */
  check(op: string, indices: GPUView, axis: number, size: number): void {
    const n = indices.shape.reduce((a, b) => a * b, 1);
    if (n === 0) return;
    const id = this.nextId++;
    this.error ??= this.buffers.allocate("int32", 3, "webgpu.indexChecks");
    const rank = indices.shape.length;
    const params = new Int32Array([n, size, id, rank, ...indices.shape, indices.offset, ...indices.strides]);
    // u32 max: no bad position yet.
    const first = this.buffers.write(new Int32Array([-1]), op);
    const find = this.dispatcher.pipeline(`indexCheck.find|${rank}`, () => findShader(rank));
    this.dispatcher.run(op, find, params, [first.buffer, indices.storage.buffer], Math.ceil(n / WORKGROUP_SIZE));
    const report = this.dispatcher.pipeline(`indexCheck.report|${rank}`, () => reportShader(rank));
    this.dispatcher.run(op, report, params, [this.error.buffer, first.buffer, indices.storage.buffer], 1);
    this.buffers.free(first);
    this.pending.set(id, { op, shape: [...indices.shape], axis, size });
  }

  /** Throws the first failure among the checks enqueued so far (nothing to wait for when none is pending). */
  async verify(op: string): Promise<void> {
    if (this.pending.size === 0 || this.error === undefined) return;
    const error = this.error;
    const checked = new Map(this.pending);
    this.pending.clear();
    const [id, position, value] = await this.buffers.read(error, op);
    const failed = checked.get(id);
    if (failed === undefined) return;
    // Cleared for the next failure (after the read in queue order, so the read saw this one).
    this.buffers.handle.device.queue.writeBuffer(error.buffer, 0, new Int32Array(3));
    const strides = contiguousStrides(failed.shape);
    const at = strides.map((s, i) => Math.floor(position / s) % failed.shape[i]);
    throw outOfRange(failed.op, value, at, failed.axis, failed.size);
  }
}

/// <reference types="@webgpu/types" />
/**
 * Checks whose answer is on the GPU. The reference raises a bad index or a zero pivot as it meets
 * it; a GPU kernel cannot throw, and its operands are on the GPU, so the host learns of a failure
 * only when it next waits for the GPU. A kernel that can fail therefore enqueues a check: one
 * invocation per element tests `bad(k)` and records the first bad position (an atomic minimum in a
 * scratch word); then a single invocation copies that position, `value(k)` and the call's id into
 * the device's failure buffer, unless an earlier call has already failed. The kernel itself goes
 * on past the bad element (what it writes there is never read: the read raises first).
 *
 * `verify`, awaited before every read of the device, reads the failure buffer (only when a check
 * is pending: no cost otherwise) and throws the check's `AdError` — the one the reference raises,
 * from the first bad position of the first failing call in queue order. The failure is the
 * device's, as a CUDA device-side assert is: the next read of any tensor on the device raises it, once.
 *
 * A check's WGSL sees `params` as [n, call id, its own params…], binds its operands from 3 on, and
 * defines `fn bad(k: i32) -> bool` and `fn value(k: i32) -> i32`.
 */
import type { AdError } from "../../errors.js";
import type { GPUBuffers, GPUData } from "./buffers.js";
import type { Dispatcher } from "./dispatch.js";
import { WORKGROUP_SIZE } from "./shader.js";

export interface Check {
  /** The op named by the error, and the pipeline key's prefix. */
  readonly op: string;
  /** What the pipelines depend on besides `op` (ranks, dtypes). */
  readonly key: string;
  /** The operands' bindings (from 3), helpers, `bad` and `value`. */
  readonly wgsl: string;
  /** The error for the first bad position and its value. */
  readonly raise: (position: number, value: number) => AdError;
}

const HEAD = /* wgsl */ `
@group(0) @binding(0) var<storage, read> params: array<i32>;`;

/** One invocation per element: the first (smallest) bad position. */
function findShader(wgsl: string): string {
  return `${HEAD}
@group(0) @binding(1) var<storage, read_write> first_bad: array<atomic<u32>>;
@group(0) @binding(2) var<storage, read> failure: array<i32>;
${wgsl}

@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let k = i32(gid.x + gid.y * groups.x * ${WORKGROUP_SIZE}u);
  // Nothing to find once an earlier call has failed: only the first failure is reported.
  if (k >= params[0] || failure[0] != 0) { return; }
  if (bad(k)) { atomicMin(&first_bad[0], u32(k)); }
}
`;
}

/** One invocation: the call's first bad position into the failure buffer, if it is the first failure. */
function reportShader(wgsl: string): string {
  return `${HEAD}
@group(0) @binding(1) var<storage, read> first_bad: array<u32>;
@group(0) @binding(2) var<storage, read_write> failure: array<i32>;
${wgsl}

@compute @workgroup_size(1)
fn main() {
  let k = first_bad[0];
  if (k == 0xffffffffu || failure[0] != 0) { return; }
  failure[0] = params[1];
  failure[1] = i32(k);
  failure[2] = value(i32(k));
}
`;
}

export class DeferredChecks {
  /** [failing call id (0: none), its first bad position, the value there]. */
  private failure: GPUData | undefined;
  private readonly pending = new Map<number, Check>();
  private nextId = 1;

  constructor(
    readonly buffers: GPUBuffers,
    readonly dispatcher: Dispatcher,
  ) {}

  /** Enqueues `check` over n elements, with its own params and operands. */
  enqueue(check: Check, n: number, params: readonly number[], operands: readonly GPUBuffer[]): void {
    if (n === 0) return;
    const id = this.nextId++;
    this.failure ??= this.buffers.allocateZeroed("int32", 3, "webgpu.checks");
    const all = new Int32Array([n, id, ...params]);
    // u32 max: no bad position yet.
    const first = this.buffers.write(new Int32Array([-1]), check.op);
    const find = this.dispatcher.pipeline(`check.find.${check.op}|${check.key}`, () => findShader(check.wgsl));
    this.dispatcher.run(check.op, find, all, [first.buffer, this.failure.buffer, ...operands], Math.ceil(n / WORKGROUP_SIZE));
    const report = this.dispatcher.pipeline(`check.report.${check.op}|${check.key}`, () => reportShader(check.wgsl));
    this.dispatcher.run(check.op, report, all, [first.buffer, this.failure.buffer, ...operands], 1);
    this.buffers.free(first);
    this.pending.set(id, check);
  }

  /** Throws the first failure among the checks enqueued so far. */
  async verify(op: string): Promise<void> {
    if (this.pending.size === 0 || this.failure === undefined) return;
    const failure = this.failure;
    const checked = new Map(this.pending);
    this.pending.clear();
    const [id, position, value] = await this.buffers.read(failure, op);
    const failed = checked.get(id);
    if (failed === undefined) return;
    // Cleared for the next failure (queued after the read, so the read saw this one).
    this.buffers.handle.device.queue.writeBuffer(failure.buffer, 0, new Int32Array(3));
    throw failed.raise(position, value);
  }
}

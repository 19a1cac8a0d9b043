/**
 * Strided writes on the GPU — the contract of `Backend.copyInto`: `source`, broadcast to `target`'s
 * shape, written into target's own buffer at its strides and offset (assignment, a cotangent landing
 * in a slice of zeros). One invocation per target element; the caller has checked that no two target
 * elements share a slot and that the source does not read the target's buffer. (A row-major copy,
 * `Backend.copy`, is the elementwise `convert` into a fresh buffer.)
 */
import { broadcastStrides } from "../cpu/kernels/strided.js";
import { sizeOf } from "../shape.js";
import { expectGPUDType, type GPUBuffers } from "./buffers.js";
import type { Dispatcher } from "./dispatch.js";
import type { GPUView } from "./elementwise.js";
import { type ComputeType, load, STORAGE_TYPE, store, WORKGROUP_SIZE } from "./shader.js";
import type { GPUDType } from "./buffers.js";
import { WGSL_HELPERS } from "./wgsl.js";

/** params = [n, 0, shape[rank], targetOffset, targetStrides[rank], sourceOffset, sourceStrides[rank]] */
function copyIntoShader(target: GPUDType, source: GPUDType, rank: number, compute: ComputeType): string {
  return `${WGSL_HELPERS}
@group(0) @binding(0) var<storage, read> params: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<${STORAGE_TYPE[target]}>;
@group(0) @binding(2) var<storage, read> in0: array<${STORAGE_TYPE[source]}>;

@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = i32(gid.x + gid.y * groups.x * ${WORKGROUP_SIZE}u);
  if (i >= params[0]) { return; }
  NAN = bitcast<f32>(0x7fc00000u + u32(params[1]));
  INF = bitcast<f32>(0x7f800000u + u32(params[1]));
  var ot = params[${2 + rank}];
  var os = params[${3 + 2 * rank}];
  var rem = i;
  for (var d = ${rank - 1}; d >= 0; d--) {
    let size = params[2 + d];
    let c = rem % size;
    rem = rem / size;
    ot += c * params[${3 + rank} + d];
    os += c * params[${4 + 2 * rank} + d];
  }
  let v: ${compute} = ${load(source, compute, "in0[os]")};
  out[ot] = ${store(target, compute, "v")};
}
`;
}

export class GPUCopy {
  constructor(
    readonly buffers: GPUBuffers,
    readonly dispatcher: Dispatcher,
  ) {}

  copyInto(target: GPUView, source: GPUView): void {
    const op = "copyInto";
    const to = expectGPUDType(op, target.dtype);
    const from = expectGPUDType(op, source.dtype);
    const n = sizeOf(target.shape);
    if (n === 0) return;
    const rank = target.shape.length;
    const compute: ComputeType = to === "float32" || from === "float32" ? "f32" : "i32";
    const pipeline = this.dispatcher.pipeline(`${op}|${to}|${from}|${rank}|${compute}`, () => copyIntoShader(to, from, rank, compute));
    const params = new Int32Array([n, 0, ...target.shape, target.offset, ...target.strides, source.offset, ...broadcastStrides(source.shape, source.strides, target.shape)]);
    this.dispatcher.run(op, pipeline, params, [target.storage.buffer, source.storage.buffer], Math.ceil(n / WORKGROUP_SIZE));
  }
}

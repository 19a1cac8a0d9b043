/**
 * cumsum on the GPU — the contract of `Backend.cumsum` with GPU buffers: running sums along `axis`
 * into a fresh row-major buffer of x's shape. One invocation per line along the axis, summing in
 * order (f32 for float32, i32 for int32, wrapping); a line-parallel scan, not yet a tree within a line.
 *
 *   params = [lines, 0, n, rank − 1, outer shape[rank − 1], x offset, x outer strides, x axis stride,
 *             out outer strides, out axis stride]
 */
import { contiguousStrides, sizeOf } from "../shape.js";
import { expectGPUDType, type GPUBuffers, type GPUData, type GPUDType } from "./buffers.js";
import type { Dispatcher } from "./dispatch.js";
import type { GPUView } from "./elementwise.js";
import { STORAGE_TYPE, WORKGROUP_SIZE } from "./shader.js";

function scanShader(dtype: GPUDType, outer: number): string {
  const t = STORAGE_TYPE[dtype];
  return /* wgsl */ `
@group(0) @binding(0) var<storage, read> params: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<${t}>;
@group(0) @binding(2) var<storage, read> in0: array<${t}>;

@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let line = i32(gid.x + gid.y * groups.x * ${WORKGROUP_SIZE}u);
  if (line >= params[0]) { return; }
  let n = params[2];
  var oi = params[${4 + outer}];
  var oo = 0;
  var rem = line;
  for (var d = ${outer - 1}; d >= 0; d--) {
    let size = params[4 + d];
    let c = rem % size;
    rem = rem / size;
    oi += c * params[${5 + outer} + d];
    oo += c * params[${6 + 2 * outer} + d];
  }
  let si = params[${5 + 2 * outer}];
  let so = params[${6 + 3 * outer}];
  var acc: ${t} = ${t}(0);
  for (var j = 0; j < n; j++) {
    acc += in0[oi + j * si];
    out[oo + j * so] = acc;
  }
}
`;
}

export class GPUScan {
  constructor(
    readonly buffers: GPUBuffers,
    readonly dispatcher: Dispatcher,
  ) {}

  cumsum(x: GPUView, axis: number): GPUData {
    const op = "cumsum";
    const dtype = expectGPUDType(op, x.dtype);
    if (dtype === "bool") throw new Error("the webgpu cumsum takes float32 or int32 (the primitive counts bools as int32)");
    const out = this.buffers.allocate(dtype, sizeOf(x.shape), op);
    const n = x.shape[axis];
    const lines = n === 0 ? 0 : sizeOf(x.shape) / n;
    if (lines === 0) return out;
    const others = x.shape.map((_, i) => i).filter((i) => i !== axis);
    const outStrides = contiguousStrides(x.shape);
    const params = new Int32Array([
      lines,
      0,
      n,
      others.length,
      ...others.map((i) => x.shape[i]),
      x.offset,
      ...others.map((i) => x.strides[i]),
      x.strides[axis],
      ...others.map((i) => outStrides[i]),
      outStrides[axis],
    ]);
    const pipeline = this.dispatcher.pipeline(`${op}|${dtype}|${others.length}`, () => scanShader(dtype, others.length));
    this.dispatcher.run(op, pipeline, params, [out.buffer, x.storage.buffer], Math.ceil(lines / 64));
    return out;
  }
}

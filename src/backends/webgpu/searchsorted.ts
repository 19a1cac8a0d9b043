/**
 * `searchsorted` on the GPU, the contract of the reference (cpu/kernels/sort.ts): one invocation per
 * value, a binary search along the last axis of its row of `sorted`, NaN above every number. Both
 * views are read through their strides; the comparison is in i32 when both operands are integers
 * (bool included), else in f32 (an int32 beyond 2²⁴ against a float rounds as it does on the GPU).
 *
 *   params = [count, n, rank, values shape[rank], sorted offset, strides[rank], values offset, strides[rank]]
 *
 * The sorted row's offset walks the leading axes with sorted's strides (its last axis is the search).
 */
import { sizeOf } from "../shape.js";
import { expectGPUDType, type GPUBuffers, type GPUData, type GPUDType } from "./buffers.js";
import type { Dispatcher } from "./dispatch.js";
import type { GPUView } from "./elementwise.js";
import { gridEntry, load, STORAGE_TYPE, WORKGROUP_SIZE, type ComputeType } from "./shader.js";
import { WGSL_HELPERS } from "./wgsl.js";

function searchsortedShader(sortedType: GPUDType, valuesType: GPUDType, compute: ComputeType, rank: number, right: boolean): string {
  const s = 3 + rank;
  const v = s + 1 + rank;
  const nan = (x: string) => (compute === "f32" ? `is_nan(${x})` : "false");
  // Does e sort before x (left), or not after it (right)? NaN sorts last and equals NaN.
  const before = right ? `!(x < e || (${nan("e")} && !${nan("x")}))` : `(e < x || (${nan("x")} && !${nan("e")}))`;
  return /* wgsl */ `${WGSL_HELPERS}
@group(0) @binding(0) var<storage, read> params: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<i32>;
@group(0) @binding(2) var<storage, read> sorted: array<${STORAGE_TYPE[sortedType]}>;
@group(0) @binding(3) var<storage, read> values: array<${STORAGE_TYPE[valuesType]}>;
${gridEntry(`  var os = params[${s}];
  var ov = params[${v}];
  var rem = k;
  for (var d = ${rank - 1}; d >= 0; d--) {
    let c = rem % params[3 + d];
    rem = rem / params[3 + d];
    if (d < ${rank - 1}) { os += c * params[${s + 1} + d]; }
    ov += c * params[${v + 1} + d];
  }
  let step = params[${s + rank}];
  let x = ${load(valuesType, compute, "values[ov]")};
  var lo = 0;
  var hi = params[1];
  while (lo < hi) {
    let mid = (lo + hi) / 2;
    let e = ${load(sortedType, compute, "sorted[os + mid * step]")};
    if (${before}) { lo = mid + 1; } else { hi = mid; }
  }
  out[k] = lo;`)}`;
}

export class GPUSearchsorted {
  constructor(
    readonly buffers: GPUBuffers,
    readonly dispatcher: Dispatcher,
  ) {}

  /** For each value, its insertion point in its row of `sorted` (int32, values' shape, row-major). */
  searchsorted(sorted: GPUView, values: GPUView, right: boolean): GPUData {
    const op = "searchsorted";
    const sortedType = expectGPUDType(op, sorted.dtype);
    const valuesType = expectGPUDType(op, values.dtype);
    const count = sizeOf(values.shape);
    const out = this.buffers.allocate("int32", count, op);
    if (count === 0) return out;
    const rank = values.shape.length;
    const compute: ComputeType = sortedType === "float32" || valuesType === "float32" ? "f32" : "i32";
    const params = new Int32Array([count, sorted.shape[rank - 1], rank, ...values.shape, sorted.offset, ...sorted.strides, values.offset, ...values.strides]);
    const key = `${op}|${sortedType}|${valuesType}|${rank}|${right}`;
    const pipeline = this.dispatcher.pipeline(key, () => searchsortedShader(sortedType, valuesType, compute, rank, right));
    this.dispatcher.run(op, pipeline, params, [out.buffer, sorted.storage.buffer, values.storage.buffer], Math.ceil(count / WORKGROUP_SIZE));
    return out;
  }
}

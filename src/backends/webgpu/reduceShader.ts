/**
 * The WGSL of a reduction (sum, prod, max, min) over a set of axes: one workgroup per output
 * element; its 64 invocations each fold a strided share of the reduced elements, then fold their
 * partials pairwise in workgroup memory (a tree, log₂ 64 steps). The kept and reduced axes, their
 * strides and the offset are read from the params array at run time, so one pipeline serves every
 * shape and rank of an (op, dtypes):
 *
 *   params = [outputs, 0, reduced count, kept rank K, reduced rank R, offset,
 *             kept shape[K], kept strides[K], reduced shape[R], reduced strides[R]]
 */
import type { ReduceOp } from "../ops.js";
import type { GPUDType } from "./buffers.js";
import { type ComputeType, load, STORAGE_TYPE, store } from "./shader.js";
import { WGSL_HELPERS } from "./wgsl.js";

export const REDUCE_WORKGROUP = 64;

/** Each reduction's empty value and step, in f32 and i32. NaN wins max and min, as in the reference. */
const FOLDS: Record<ReduceOp, Record<ComputeType, { init: string; step: string }>> = {
  sum: { f32: { init: "0.0", step: "acc + v" }, i32: { init: "0", step: "acc + v" } },
  prod: { f32: { init: "1.0", step: "acc * v" }, i32: { init: "1", step: "acc * v" } },
  max: { f32: { init: "-INF", step: "select(select(acc, v, v > acc), v, is_nan(v))" }, i32: { init: "-2147483647 - 1", step: "max(acc, v)" } },
  min: { f32: { init: "INF", step: "select(select(acc, v, v < acc), v, is_nan(v))" }, i32: { init: "2147483647", step: "min(acc, v)" } },
};

export function reduceShader(op: ReduceOp, input: GPUDType, output: GPUDType, compute: ComputeType): string {
  const { init, step } = FOLDS[op][compute];
  // The reference folds an empty max/min from ∓∞, which stores in int32 as 0.
  const empty = compute === "i32" && (op === "max" || op === "min") ? "  if (total == 0) { v = 0; }\n" : "";
  return `${WGSL_HELPERS}
@group(0) @binding(0) var<storage, read> params: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<${STORAGE_TYPE[output]}>;
@group(0) @binding(2) var<storage, read> in0: array<${STORAGE_TYPE[input]}>;

var<workgroup> partial: array<${compute}, ${REDUCE_WORKGROUP}>;

fn fold(acc: ${compute}, v: ${compute}) -> ${compute} {
  return ${step};
}

@compute @workgroup_size(${REDUCE_WORKGROUP})
fn main(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  NAN = bitcast<f32>(0x7fc00000u + u32(params[1]));
  INF = bitcast<f32>(0x7f800000u + u32(params[1]));
  let o = i32(wid.x + wid.y * groups.x);
  let m = params[0];
  let total = params[2];
  let k = params[3];
  let r = params[4];
  var acc: ${compute} = ${init};
  if (o < m) {
    var base = params[5];
    var rem = o;
    for (var d = k - 1; d >= 0; d--) {
      let size = params[6 + d];
      base += (rem % size) * params[6 + k + d];
      rem = rem / size;
    }
    let rs = 6 + 2 * k;
    for (var j = i32(t); j < total; j += ${REDUCE_WORKGROUP}) {
      var off = base;
      var q = j;
      for (var d = r - 1; d >= 0; d--) {
        let size = params[rs + d];
        off += (q % size) * params[rs + r + d];
        q = q / size;
      }
      acc = fold(acc, ${load(input, compute, "in0[off]")});
    }
  }
  partial[t] = acc;
  workgroupBarrier();
  for (var s = ${REDUCE_WORKGROUP / 2}u; s > 0u; s = s >> 1u) {
    if (t < s) {
      partial[t] = fold(partial[t], partial[t + s]);
    }
    workgroupBarrier();
  }
  if (t == 0u && o < m) {
    var v = partial[0];
${empty}    out[o] = ${store(output, compute, "v")};
  }
}
`;
}

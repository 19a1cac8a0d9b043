/**
 * The WGSL compute shader of one elementwise kernel: `arity` strided input views, broadcast to a
 * row-major output of `rank` axes. Shapes, strides and offsets are not in the source but in a
 * storage array of i32 (`params`), so one pipeline serves every shape of a rank and dtype signature:
 *
 *   params = [n, 0, shape[0..rank), then per input: offset, strides[0..rank)]
 *
 * (the 0 is a run-time zero the shader builds NaN and ∞ from; WGSL refuses them as constants).
 * One invocation per output element, 64 to a workgroup, the workgroups laid out in x and y so that
 * more than 65535 · 64 elements fit in one dispatch.
 */
import type { GPUDType } from "./buffers.js";
import { WGSL_HELPERS } from "./wgsl.js";

export const WORKGROUP_SIZE = 64;

/**
 * A compute entry point over the dispatch's 2-D grid of workgroups: invocation `k` (flattened),
 * those at or past params[0] returning at once, then `body`.
 */
export function gridEntry(body: string): string {
  return `
@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let k = i32(gid.x + gid.y * groups.x * ${WORKGROUP_SIZE}u);
  if (k >= params[0]) { return; }
${body}
}
`;
}

/** What the body computes in: i32 only when every operand is an integer and the op is exact on them. */
export type ComputeType = "f32" | "i32";

export const STORAGE_TYPE: Record<GPUDType, string> = { float32: "f32", int32: "i32", bool: "u32" };

/** A stored element of `dtype` as a value of the compute type. */
export function load(dtype: GPUDType, compute: ComputeType, expr: string): string {
  return STORAGE_TYPE[dtype] === compute ? expr : `${compute}(${expr})`;
}

/** A compute-type value as it is stored in `dtype` (ToInt32 for a float to int32, "≠ 0" for bool). */
export function store(dtype: GPUDType, compute: ComputeType, expr: string): string {
  if (dtype === "bool") return compute === "f32" ? `u32(${expr} != 0.0 || is_nan(${expr}))` : `u32(${expr} != 0)`;
  if (dtype === "int32") return compute === "f32" ? `ad_to_i32(${expr})` : expr;
  return compute === "f32" ? expr : `f32(${expr})`;
}

/** "≠ 0" on a stored element (NaN counts as true, as in the reference). */
function truthy(dtype: GPUDType, expr: string): string {
  return dtype === "float32" ? `(${expr} != 0.0 || is_nan(${expr}))` : `(${expr} != ${dtype === "int32" ? "0" : "0u"})`;
}

export interface KernelSignature {
  /** The inputs' dtypes, in binding order. */
  readonly inputs: readonly GPUDType[];
  readonly output: GPUDType;
  readonly rank: number;
  readonly compute: ComputeType;
}

/**
 * The shader source. `body` is a WGSL expression of the loaded operands (`x` for one input, `a` and
 * `b` for two, where: `c`, `a`, `b`) in the compute type; `conditional` makes the first input a
 * condition tested "≠ 0" in its own dtype (where's), bound to the bool `c`.
 */
export function elementwiseShader(sig: KernelSignature, body: string, conditional = false): string {
  const { inputs, output, rank, compute } = sig;
  const names = conditional ? ["c", "a", "b"] : inputs.length === 1 ? ["x"] : ["a", "b"];
  const bindings = inputs.map((d, k) => `@group(0) @binding(${k + 2}) var<storage, read> in${k}: array<${STORAGE_TYPE[d]}>;`);
  const offsets = inputs.map((_, k) => `  var o${k} = params[${2 + rank + k * (rank + 1)}];`);
  const steps = inputs.map((_, k) => `    o${k} += c * params[${3 + rank + k * (rank + 1)} + d];`);
  const loads = inputs.map((d, k) => (conditional && k === 0 ? `  let c = ${truthy(d, `in0[o0]`)};` : `  let ${names[k]} = ${load(d, compute, `in${k}[o${k}]`)};`));
  return `${WGSL_HELPERS}
@group(0) @binding(0) var<storage, read> params: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<${STORAGE_TYPE[output]}>;
${bindings.join("\n")}

@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = i32(gid.x + gid.y * groups.x * ${WORKGROUP_SIZE}u);
  if (i >= params[0]) { return; }
  NAN = bitcast<f32>(0x7fc00000u + u32(params[1]));
  INF = bitcast<f32>(0x7f800000u + u32(params[1]));
${offsets.join("\n")}
  var rem = i;
  for (var d = ${rank - 1}; d >= 0; d--) {
    let size = params[2 + d];
    let c = rem % size;
    rem = rem / size;
${steps.join("\n")}
  }
${loads.join("\n")}
  let v: ${compute} = ${body};
  out[i] = ${store(output, compute, "v")};
}
`;
}

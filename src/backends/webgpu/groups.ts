/**
 * The group kernels on the GPU — the contracts of `Backend.argExtreme`, `tieShare`, `prodOthers`,
 * `argsort` and `cumArgExtreme` with GPU buffers: one invocation per group (the elements that share their kept-axes index),
 * walking its elements in row-major order of the reduced axes, as the reference does. argExtreme
 * writes the kept axes row-major (int32); the others write x's shape row-major (argsort and
 * cumArgExtreme as int32). Layout of
 * `params`, K kept and R reduced axes (both in the shader's source, so in its pipeline key):
 *
 *   [groups, 0, n, xOffset, keptShape[K], xKept[K], outKept[K], reducedShape[R], xReduced[R], outReduced[R]]
 */
import type { DType } from "../dtype.js";
import type { Extreme } from "../ops.js";
import { contiguousStrides, sizeOf } from "../shape.js";
import { expectGPUDType, type GPUBuffers, type GPUData, type GPUDType } from "./buffers.js";
import type { Dispatcher } from "./dispatch.js";
import type { GPUView } from "./elementwise.js";
import { type ComputeType, load, STORAGE_TYPE, store, WORKGROUP_SIZE } from "./shader.js";
import { WGSL_HELPERS } from "./wgsl.js";

type Kind = "argmax" | "argmin" | "tieShare.max" | "tieShare.min" | "prodOthers" | "argsort.ascending" | "argsort.descending" | "cumArg.max" | "cumArg.min";

/** What a group does, in WGSL over `X(i)` (its i-th element), `O(i)` (where its i-th result goes) and `n`. */
function body(kind: Kind, compute: ComputeType, output: GPUDType): string {
  const x = (i: string) => `in0[X(${i})]`;
  const put = (i: string, v: string) => `out[O(${i})] = ${store(output, compute, v)};`;
  const nan = (v: string) => (compute === "f32" ? `is_nan(${v})` : "false");
  switch (kind) {
    case "argmax":
    case "argmin": {
      const better = kind === "argmax" ? ">" : "<";
      return `  var best = ${x("0")};
  var at = 0;
  for (var i = 1; i < n && !${nan("best")}; i++) {
    let v = ${x("i")};
    if (v ${better} best || ${nan("v")}) { best = v; at = i; }
  }
  out[g] = at;`;
    }
    case "tieShare.max":
    case "tieShare.min": {
      // The fold of the reference (NaN wins, so nothing ties with it and every share is 0).
      const [init, better] = kind === "tieShare.max" ? ["-INF", ">"] : ["INF", "<"];
      return `  var best: f32 = ${init};
  for (var i = 0; i < n; i++) {
    let v = ${x("i")};
    if (v ${better} best || is_nan(v)) { best = v; }
    if (is_nan(best)) { break; }
  }
  var ties = 0.0;
  for (var i = 0; i < n; i++) { if (${x("i")} == best) { ties += 1.0; } }
  for (var i = 0; i < n; i++) { ${put("i", `select(0.0, 1.0 / ties, ${x("i")} == best)`)} }`;
    }
    case "argsort.ascending":
    case "argsort.descending": {
      // Element i goes to its rank: the elements before it in the order, or equal to it and earlier
      // (so the sort is stable by construction). NaN is above every number. O(n²) per group.
      const before = (a: string, b: string) => (kind === "argsort.ascending" ? `(${a} < ${b} || (${nan(b)} && !${nan(a)}))` : `(${a} > ${b} || (${nan(a)} && !${nan(b)}))`);
      return `  for (var i = 0; i < n; i++) {
    let v = ${x("i")};
    var rank = 0;
    for (var j = 0; j < n; j++) {
      let u = ${x("j")};
      if (${before("u", "v")} || (j < i && !${before("v", "u")})) { rank++; }
    }
    out[O(rank)] = i;
  }`;
    }
    case "cumArg.max":
    case "cumArg.min": {
      // A tie moves the index to the later element; a NaN takes it and keeps it (torch.cummax).
      const gains = kind === "cumArg.max" ? ">=" : "<=";
      return `  var best = ${x("0")};
  var at = 0;
  for (var i = 0; i < n; i++) {
    let v = ${x("i")};
    if (${nan("v")} || (!${nan("best")} && v ${gains} best)) { best = v; at = i; }
    out[O(i)] = at;
  }`;
    }
    case "prodOthers":
      return `  var left = 1.0;
  for (var i = 0; i < n; i++) { out[O(i)] = left; left *= ${x("i")}; }
  var right = 1.0;
  for (var i = n - 1; i >= 0; i--) { out[O(i)] *= right; right *= ${x("i")}; }`;
  }
}

function groupShader(kind: Kind, input: GPUDType, output: GPUDType, kept: number, reduced: number): string {
  const compute: ComputeType = input === "float32" ? "f32" : "i32";
  const K = kept;
  const R = reduced;
  const src = body(kind, compute, output).replaceAll(/in0\[X\((.*?)\)\]/g, (_, i: string) => load(input, compute, `in0[X(${i})]`));
  return `${WGSL_HELPERS}
@group(0) @binding(0) var<storage, read> params: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<${STORAGE_TYPE[output]}>;
@group(0) @binding(2) var<storage, read> in0: array<${STORAGE_TYPE[input]}>;

var<private> bx: i32;
var<private> bo: i32;

// The i-th element of the group (row-major over the reduced axes): where x holds it, where it goes.
fn X(i: i32) -> i32 {
  var off = bx;
  var q = i;
  for (var d = ${R - 1}; d >= 0; d--) {
    let s = params[${4 + 3 * K} + d];
    off += (q % s) * params[${4 + 3 * K + R} + d];
    q = q / s;
  }
  return off;
}

fn O(i: i32) -> i32 {
  var off = bo;
  var q = i;
  for (var d = ${R - 1}; d >= 0; d--) {
    let s = params[${4 + 3 * K} + d];
    off += (q % s) * params[${4 + 3 * K + 2 * R} + d];
    q = q / s;
  }
  return off;
}

@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let g = i32(gid.x + gid.y * groups.x * ${WORKGROUP_SIZE}u);
  if (g >= params[0]) { return; }
  NAN = bitcast<f32>(0x7fc00000u + u32(params[1]));
  INF = bitcast<f32>(0x7f800000u + u32(params[1]));
  let n = params[2];
  bx = params[3];
  bo = 0;
  var rem = g;
  for (var d = ${K - 1}; d >= 0; d--) {
    let s = params[4 + d];
    let c = rem % s;
    rem = rem / s;
    bx += c * params[${4 + K} + d];
    bo += c * params[${4 + 2 * K} + d];
  }
${src}
}
`;
}

export class GPUGroups {
  constructor(
    readonly buffers: GPUBuffers,
    readonly dispatcher: Dispatcher,
  ) {}

  argExtreme(x: GPUView, axes: readonly number[], extreme: Extreme): GPUData {
    return this.run(extreme === "max" ? "argmax" : "argmin", x, axes, "int32", true);
  }

  tieShare(x: GPUView, axes: readonly number[], extreme: Extreme): GPUData {
    return this.run(`tieShare.${extreme}`, x, axes, x.dtype, false);
  }

  prodOthers(x: GPUView, axes: readonly number[]): GPUData {
    return this.run("prodOthers", x, axes, x.dtype, false);
  }

  argsort(x: GPUView, axis: number, descending: boolean): GPUData {
    return this.run(descending ? "argsort.descending" : "argsort.ascending", x, [axis], "int32", false);
  }

  cumArgExtreme(x: GPUView, axis: number, extreme: Extreme): GPUData {
    return this.run(`cumArg.${extreme}`, x, [axis], "int32", false);
  }

  private run(kind: Kind, x: GPUView, axes: readonly number[], dtype: DType, reduces: boolean): GPUData {
    const input = expectGPUDType(kind, x.dtype);
    const output = expectGPUDType(kind, dtype);
    const indexing = reduces || output === "int32";
    if (input === "bool" || (!indexing && input !== "float32")) throw new Error(`the webgpu ${kind} takes float32${indexing ? " or int32" : ""}, got ${x.dtype}`);
    const reduced = new Set(axes);
    const keptAxes = x.shape.map((_, i) => i).filter((i) => !reduced.has(i));
    const n = sizeOf(axes.map((i) => x.shape[i]));
    const groups = n === 0 ? 0 : sizeOf(x.shape) / n;
    const out = this.buffers.allocate(output, reduces ? groups : sizeOf(x.shape), kind);
    if (groups === 0) return out;
    const outStrides = reduces ? contiguousStrides(keptAxes.map((i) => x.shape[i])) : keptAxes.map((i) => contiguousStrides(x.shape)[i]);
    const outReduced = reduces ? axes.map(() => 0) : axes.map((i) => contiguousStrides(x.shape)[i]);
    const params = new Int32Array([
      groups,
      0,
      n,
      x.offset,
      ...keptAxes.map((i) => x.shape[i]),
      ...keptAxes.map((i) => x.strides[i]),
      ...outStrides,
      ...axes.map((i) => x.shape[i]),
      ...axes.map((i) => x.strides[i]),
      ...outReduced,
    ]);
    const key = `${kind}|${input}|${output}|${keptAxes.length}|${axes.length}`;
    const pipeline = this.dispatcher.pipeline(key, () => groupShader(kind, input, output, keptAxes.length, axes.length));
    this.dispatcher.run(kind, pipeline, params, [out.buffer, x.storage.buffer], Math.ceil(groups / WORKGROUP_SIZE));
    return out;
  }
}

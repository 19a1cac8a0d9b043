/**
 * The WGSL of a fused elementwise group (../fused.ts): one function `value(i)` computes every op of
 * the group for loop element i in registers, each op with its body from the expression table in WGSL
 * (wgsl.ts) and its result converted to its dtype as storing it would (so the group computes what
 * the single kernels compute one after another). Inputs are indexed as the elementwise shader does
 * (shader.ts: shape, offsets and strides in `params`, so one pipeline serves every shape of a rank);
 * a windowed input reads 0 outside its box, whose corners are in the source.
 *
 *   params = [n, 0, shape[0..rank), then per input: offset, strides[0..rank)]
 *
 * Each float result passes through an identity the compiler cannot see through (`ad_opaque`), so
 * it is rounded as if stored and never reassociated with, or contracted into, the next op: the group
 * gives the single kernels' bits wherever each op's body compiles as it does alone.
 *
 * Without a sum, one invocation per element stores `value(i)`. With a sum (over every axis or over
 * `sumAxes`), one workgroup per kept position folds its values as the reduction shader does
 * (reduceShader.ts): its 64 invocations each add a strided share in f32, then their partials
 * pairwise — the same order and roundings as the sum kernel over the stored chain. The sum's part
 * of params follows the inputs' (at `sb`), the reduction shader's layout over the loop's row-major
 * positions:
 *
 *   params[sb…] = [outputs m, summed count, kept rank K, summed rank R,
 *                  kept shape[K], kept loop strides[K], summed shape[R], summed loop strides[R]]
 */
import type { FusedOperand, FusedProgram } from "../fused.js";
import type { GPUDType } from "./buffers.js";
import { computeType } from "./elementwise.js";
import { REDUCE_WORKGROUP } from "./reduceShader.js";
import { type ComputeType, load, STORAGE_TYPE, store, WORKGROUP_SIZE } from "./shader.js";
import { BINARY_WGSL, type OpBody, UNARY_WGSL, WGSL_HELPERS } from "./wgsl.js";

const ZERO: Record<GPUDType, string> = { float32: "0.0", int32: "0", bool: "0u" };

/** "≠ 0" on a stored value (NaN counts as true, as in the reference). */
const truthy = (dtype: GPUDType, expr: string): string => (dtype === "float32" ? `(${expr} != 0.0 || is_nan(${expr}))` : `(${expr} != ${ZERO[dtype]})`);

/** Op k's function and the line of `value` that stores its result as `t{k}`. */
function opCode(program: FusedProgram, inputs: readonly GPUDType[], k: number): { fn: string; line: string } {
  const op = program.ops[k];
  const dtype = op.dtype as GPUDType;
  const dtypeOf = (a: FusedOperand): GPUDType => ("input" in a ? inputs[a.input] : (program.ops[a.op].dtype as GPUDType));
  const nameOf = (a: FusedOperand): string => ("input" in a ? `a${a.input}` : `t${a.op}`);
  let compute: ComputeType;
  let fn: string;
  let args: string[];
  if (op.name === "where") {
    const [c, a, b] = op.args;
    compute = dtype === "float32" ? "f32" : "i32";
    fn = `fn op${k}(c: bool, a: ${compute}, b: ${compute}) -> ${compute} { return select(b, a, c); }`;
    args = [truthy(dtypeOf(c), nameOf(c)), ...[a, b].map((v) => load(dtypeOf(v), compute, nameOf(v)))];
  } else {
    const unary = op.args.length === 1;
    const body: OpBody = unary ? UNARY_WGSL[op.name as keyof typeof UNARY_WGSL] : BINARY_WGSL[op.name as keyof typeof BINARY_WGSL];
    compute = computeType(body, op.args.map(dtypeOf), dtype);
    const params = (unary ? ["x"] : ["a", "b"]).map((p) => `${p}: ${compute}`).join(", ");
    fn = `fn op${k}(${params}) -> ${compute} { return ${compute === "i32" ? body.i32! : body.f32}; }`;
    args = op.args.map((v) => load(dtypeOf(v), compute, nameOf(v)));
  }
  // A float result passes through the opaque identity: the compiler can neither fold it into the
  // next op (x + (y − x) to y, a product and a sum to an fma) nor skip its rounding.
  const stored = store(dtype, compute, `v${k}`);
  return { fn, line: `  let v${k} = op${k}(${args.join(", ")});\n  let t${k} = ${dtype === "float32" ? `ad_opaque(${stored})` : stored};` };
}

/** The shader of `program` for inputs of these dtypes (its ops' dtypes are GPU dtypes: gpuFused checks). */
export function fusedShader(program: FusedProgram, inputs: readonly GPUDType[]): string {
  const rank = program.shape.length;
  const last = program.ops.length - 1;
  const output = program.ops[last].dtype as GPUDType;
  const stride = (j: number, d: number) => `params[${3 + rank + j * (rank + 1) + d}]`;
  const axes: string[] = [];
  for (let d = rank - 1; d >= 0; d--) {
    const steps = inputs.map((_, j) => {
      const w = program.windows[j];
      if (w === undefined) return `    o${j} += c * ${stride(j, d)};`;
      const [lo, hi] = [w.start[d], w.start[d] + w.size[d]];
      return `    w${j} = w${j} && c >= ${lo} && c < ${hi};\n    o${j} += (c - ${lo}) * ${stride(j, d)};`;
    });
    axes.push(`  {\n    let c = rem % params[${2 + d}];\n    rem = rem / params[${2 + d}];\n${steps.join("\n")}\n  }`);
  }
  const reads = inputs.map((dtype, j) =>
    program.windows[j] === undefined ? `  let a${j} = in${j}[o${j}];` : `  var a${j}: ${STORAGE_TYPE[dtype]} = ${ZERO[dtype]};\n  if (w${j}) { a${j} = in${j}[o${j}]; }`,
  );
  const ops = program.ops.map((_, k) => opCode(program, inputs, k));
  const value = `fn value(i: i32) -> ${STORAGE_TYPE[output]} {
${inputs.map((_, j) => `  var o${j} = params[${2 + rank + j * (rank + 1)}];${program.windows[j] === undefined ? "" : ` var w${j} = true;`}`).join("\n")}
  var rem = i;
${axes.join("\n")}
${reads.join("\n")}
${ops.map((o) => o.line).join("\n")}
  return t${last};
}`;
  const constants = `  NAN = bitcast<f32>(0x7fc00000u + u32(params[1]));\n  INF = bitcast<f32>(0x7f800000u + u32(params[1]));\n  OPAQUE = u32(params[1]);`;
  const sb = 2 + rank + inputs.length * (rank + 1);
  const main = program.sum
    ? `var<workgroup> partial: array<f32, ${REDUCE_WORKGROUP}>;

@compute @workgroup_size(${REDUCE_WORKGROUP})
fn main(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
${constants}
  let o = i32(wid.x + wid.y * groups.x);
  let m = params[${sb}];
  let total = params[${sb + 1}];
  let k = params[${sb + 2}];
  let r = params[${sb + 3}];
  var acc = 0.0;
  if (o < m) {
    var base = 0;
    var rem = o;
    for (var d = k - 1; d >= 0; d--) {
      let size = params[${sb + 4} + d];
      base += (rem % size) * params[${sb + 4} + k + d];
      rem = rem / size;
    }
    let rs = ${sb + 4} + 2 * k;
    for (var j = i32(t); j < total; j += ${REDUCE_WORKGROUP}) {
      var at = base;
      var q = j;
      for (var d = r - 1; d >= 0; d--) {
        let size = params[rs + d];
        at += (q % size) * params[rs + r + d];
        q = q / size;
      }
      acc = acc + value(at);
    }
  }
  partial[t] = acc;
  workgroupBarrier();
  for (var s = ${REDUCE_WORKGROUP / 2}u; s > 0u; s = s >> 1u) {
    if (t < s) {
      partial[t] = partial[t] + partial[t + s];
    }
    workgroupBarrier();
  }
  if (t == 0u && o < m) {
    out[o] = partial[0];
  }
}`
    : `@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = i32(gid.x + gid.y * groups.x * ${WORKGROUP_SIZE}u);
  if (i >= params[0]) { return; }
${constants}
  out[i] = value(i);
}`;
  return `${WGSL_HELPERS}
@group(0) @binding(0) var<storage, read> params: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<${STORAGE_TYPE[output]}>;
${inputs.map((d, j) => `@group(0) @binding(${j + 2}) var<storage, read> in${j}: array<${STORAGE_TYPE[d]}>;`).join("\n")}

// x, through bits XORed with a zero known only at run time: a value the compiler cannot see into.
var<private> OPAQUE: u32;
fn ad_opaque(x: f32) -> f32 { return bitcast<f32>(bitcast<u32>(x) ^ OPAQUE); }

${ops.map((o) => o.fn).join("\n")}

${value}

${main}
`;
}

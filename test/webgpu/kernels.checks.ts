/**
 * Run in a child process by kernels.test.ts (the Vulkan driver must be in the environment before
 * the process starts): every op of the expression table, `where` and the reductions on the GPU
 * against the reference kernels, on a grid with NaN, ±0, ±∞ and the int32 limits, over contiguous,
 * strided, offset and broadcast views. Prints one JSON line: { adapter, checked, failures, errors }.
 */
import { AdError } from "../../src/errors.js";
import * as reference from "../../src/backends/cpu/kernels/elementwise.js";
import { reduce as referenceReduce } from "../../src/backends/cpu/kernels/reduce.js";
import type { DType, Storage } from "../../src/backends/dtype.js";
import { BINARY_EXPRESSIONS, type BinaryOp, UNARY_EXPRESSIONS, type UnaryOp } from "../../src/backends/expressions.js";
import { contiguousStrides, type Shape } from "../../src/backends/shape.js";
import type { View } from "../../src/backends/view.js";
import { GPUBuffers, type GPUData, type GPUDType } from "../../src/backends/webgpu/buffers.js";
import { Dispatcher } from "../../src/backends/webgpu/dispatch.js";
import { GPUElementwise, type GPUView } from "../../src/backends/webgpu/elementwise.js";
import { GPUReduce } from "../../src/backends/webgpu/reduce.js";
import type { ReduceOp } from "../../src/backends/ops.js";
import { initWebGPU } from "../../src/backends/webgpu/init.js";
import { BINARY_WGSL, UNARY_WGSL } from "../../src/backends/webgpu/wgsl.js";
import { tolerance } from "./tolerance.js";

const FLOATS = [0, -0, 1, -1, 0.5, -2.5, 3, 7.5, 1e-3, -0.3, 2.5, 20, -20, 88, -100, 1e30, -3e38, NaN, Infinity, -Infinity];
const INTS = [0, 1, -1, 2, -7, 13, 65536, -3, 2147483647, -2147483648];
const BOOLS = [0, 1];
const GRID: Record<GPUDType, number[]> = { float32: FLOATS, int32: INTS, bool: BOOLS };
const ARRAYS = { float32: Float32Array, int32: Int32Array, bool: Uint8Array } as const;

const handle = await initWebGPU();
const errors: string[] = [];
handle.device.addEventListener("uncapturederror", (e) => errors.push((e as GPUUncapturedErrorEvent).error.message));
const buffers = new GPUBuffers(handle);
const dispatcher = new Dispatcher(buffers);
const gpu = new GPUElementwise(buffers, dispatcher);
const gpuReduce = new GPUReduce(buffers, dispatcher);
const failures: string[] = [];
let checked = 0;

interface Pair {
  cpu: View;
  gpu: GPUView;
}

/** A view over `values` in `layout`: row-major, transposed with an offset, or as a broadcast row/column. */
function makeView(dtype: GPUDType, values: readonly number[], layout: "flat" | "strided" | "column" | "row"): Pair {
  const n = values.length;
  let storage: Storage;
  let shape: Shape;
  let strides: number[];
  let offset = 0;
  if (layout === "strided") {
    // A 2 × n buffer after 3 elements of padding, read as column 1 of its transpose [n, 2]: stride 2, offset 4.
    storage = new ARRAYS[dtype](3 + 2 * n);
    values.forEach((v, i) => (storage[3 + 2 * i + 1] = v));
    shape = [n];
    strides = [2];
    offset = 4;
  } else {
    storage = ARRAYS[dtype].from(values);
    shape = layout === "column" ? [n, 1] : layout === "row" ? [1, n] : [n];
    strides = contiguousStrides(shape);
  }
  const cpu: View = { storage, dtype, shape, strides, offset };
  return { cpu, gpu: { storage: buffers.write(storage), dtype, shape, strides, offset } };
}

/** How a case was computed on the GPU, and the reference's value before it was stored. */
interface Case {
  readonly op: string;
  readonly output: DType;
  /** The GPU computed in i32 (exact); otherwise in f32, whose integers are exact only below 2^24. */
  readonly exactInt: boolean;
  /** The inputs came from int32 storage. */
  readonly intInputs: boolean;
  /** The reference's float64 result at element i, before its store. */
  readonly exact: (inputs: readonly number[]) => number;
}

const show = (v: number) => (Object.is(v, -0) ? "-0" : String(v));

/**
 * Whether the GPU's `got` passes for the reference's `want`. In f32 an int32 input past 2^24 is
 * rounded before the op, so it is not compared; nor is an int32 result past 2^24; a float result
 * truncated to int32 may be one off (tanh(13) is 1 in f32).
 */
function same(c: Case, got: number, want: number, inputs: readonly number[]): boolean {
  const large = (x: number) => !(Math.abs(x) < 2 ** 24);
  if (!c.exactInt && c.intInputs && inputs.some(large)) return true;
  if (Number.isNaN(want)) return Number.isNaN(got);
  const tol = tolerance(c.op, inputs);
  if (c.output !== "float32") {
    if (c.exactInt) return got === want;
    if (large(c.exact(inputs)) || inputs.some(large)) return true;
    return Math.abs(got - want) <= (tol === 0 ? 0 : 1);
  }
  if (tol === 0) return Object.is(got, want);
  if (!Number.isFinite(want)) return got === want;
  return Math.abs(got - want) <= tol.abs + tol.rel * Math.abs(want);
}

async function compare(label: string, c: Case, want: Storage, gotData: GPUData, inputsAt: (i: number) => number[]) {
  if (process.env.GPU_CHECKS_TRACE) console.error(label);
  const got = await buffers.read(gotData);
  checked++;
  if (got.length !== want.length) return failures.push(`${label}: length ${got.length}, want ${want.length}`);
  for (let i = 0; i < want.length && failures.length < 200; i++) {
    const ins = inputsAt(i);
    // int32 products past 2^53 are rounded in the reference's float64 before they wrap; the GPU wraps exactly.
    if (c.exactInt && c.output === "int32" && (c.op === "mul" || c.op === "mulSafe") && Math.abs(ins[0] * ins[1]) >= 2 ** 53) {
      if (got[i] !== Math.imul(ins[0], ins[1])) failures.push(`${label}(${ins}) = ${got[i]}, want Math.imul ${Math.imul(ins[0], ins[1])}`);
    } else if (!same(c, got[i], want[i], ins)) failures.push(`${label}(${ins.map(show)}) = ${show(got[i])}, want ${show(want[i])}`);
  }
}

/** Whether the GPU runs `body` in i32 for these dtypes (as elementwise.ts decides). */
const inI32 = (body: { i32?: string }, input: GPUDType, output: GPUDType) => body.i32 !== undefined && output !== "float32" && input !== "float32";

/** The dtype pairs (input → output) each unary op is checked with. */
const UNARY_CASES: [GPUDType, GPUDType][] = [
  ["float32", "float32"],
  ["int32", "int32"],
  ["int32", "float32"],
  ["float32", "int32"],
  ["bool", "float32"],
  ["float32", "bool"],
];

// A bool output is stored "≠ 0"; only the ops that produce 0/1 (toBool, comparisons, where) are asked for one.
const BOOL_OUTPUT = new Set(["toBool", "eq", "ne", "lt", "le", "gt", "ge"]);

for (const op of Object.keys(UNARY_EXPRESSIONS) as UnaryOp[]) {
  for (const [inType, outType] of UNARY_CASES) {
    if (outType === "bool" && !BOOL_OUTPUT.has(op)) continue;
    for (const layout of ["flat", "strided"] as const) {
      const values = GRID[inType];
      const x = makeView(inType, values, layout);
      const want = reference.unary(op, x.cpu, outType);
      const c: Case = { op, output: outType, exactInt: inI32(UNARY_WGSL[op], inType, outType), intInputs: inType === "int32", exact: ([v]) => UNARY_EXPRESSIONS[op](v) };
      await compare(`${op} ${inType}→${outType} ${layout}`, c, want, gpu.unary(op, x.gpu, outType), (i) => [values[i]]);
    }
  }
}

/** The dtype pairs (operands → output) each binary op is checked with. */
const BINARY_CASES: [GPUDType, GPUDType][] = [
  ["float32", "float32"],
  ["int32", "int32"],
  ["float32", "bool"],
  ["int32", "bool"],
  ["int32", "float32"],
  ["bool", "bool"],
];

for (const op of Object.keys(BINARY_EXPRESSIONS) as BinaryOp[]) {
  for (const [inType, outType] of BINARY_CASES) {
    if (outType === "bool" && !BOOL_OUTPUT.has(op)) continue;
    const values = GRID[inType];
    const n = values.length;
    // Every pair of the grid: a column [n, 1] against a row [1, n] (broadcast to [n, n]).
    const a = makeView(inType, values, "column");
    const b = makeView(inType, values, "row");
    const shape = [n, n];
    const want = reference.binary(op, a.cpu, b.cpu, shape, outType);
    const c: Case = { op, output: outType, exactInt: inI32(BINARY_WGSL[op], inType, outType), intInputs: inType === "int32", exact: ([x, y]) => BINARY_EXPRESSIONS[op](x, y) };
    await compare(`${op} ${inType}→${outType}`, c, want, gpu.binary(op, a.gpu, b.gpu, shape, outType), (i) => [values[Math.floor(i / n)], values[i % n]]);
    // Strided and offset against row-major, elementwise.
    const s = makeView(inType, values, "strided");
    const f = makeView(inType, [...values].reverse(), "flat");
    const want2 = reference.binary(op, s.cpu, f.cpu, [n], outType);
    await compare(`${op} ${inType}→${outType} strided`, c, want2, gpu.binary(op, s.gpu, f.gpu, [n], outType), (i) => [values[i], values[n - 1 - i]]);
  }
}

for (const [condType, valueType] of [
  ["bool", "float32"],
  ["float32", "int32"],
  ["int32", "bool"],
] as [GPUDType, GPUDType][]) {
  const conds = GRID[condType];
  const values = GRID[valueType];
  const c = makeView(condType, conds, "column");
  const a = makeView(valueType, values, "row");
  const b = makeView(valueType, [...values].reverse(), "strided");
  const shape = [conds.length, values.length];
  const want = reference.where(c.cpu, a.cpu, b.cpu, shape);
  const m = values.length;
  const wc: Case = { op: "where", output: valueType, exactInt: true, intInputs: false, exact: ([k, x, y]) => (k !== 0 ? x : y) };
  await compare(`where ${condType}, ${valueType}`, wc, want, gpu.where(c.gpu, a.gpu, b.gpu, shape), (i) => [conds[Math.floor(i / m)], values[i % m], values[m - 1 - (i % m)]]);
}

// Size 0 and a scalar (rank 0).
const empty = makeView("float32", [], "flat");
checked += (await buffers.read(gpu.unary("exp", empty.gpu, "float32"))).length === 0 ? 1 : (failures.push("exp of size 0"), 0);
const scalar: GPUView = { storage: buffers.write(new Float32Array([2])), dtype: "float32", shape: [], strides: [], offset: 0 };
const sq = await buffers.read(gpu.binary("mul", scalar, scalar, [], "float32"));
checked += sq.length === 1 && sq[0] === 4 ? 1 : (failures.push(`scalar 2·2 = ${Array.from(sq)}`), 0);

// Reductions over every set of axes of a [3, 4, 5] tensor, row-major and as a transposed, offset view.
const SUMMANDS = { float32: [-2.5, 1, 0.5, 3, -1, 0.25, 2, -0.75, 0, -0], int32: [7, -3, 2147483647, 1, -2147483648, 0, 5], bool: [0, 1, 1] } as const;
const AXES = [[], [0], [1], [2], [0, 2], [1, 2], [0, 1, 2]];
for (const [input, output] of [
  ["float32", "float32"],
  ["int32", "int32"],
  ["bool", "int32"],
  ["int32", "float32"],
] as [GPUDType, GPUDType][]) {
  const pool = SUMMANDS[input];
  const values = Array.from({ length: 60 }, (_, i) => pool[(i * 7) % pool.length]);
  const storage = ARRAYS[input].from([9, ...values]);
  const views: [string, View][] = [
    ["row-major", { storage, dtype: input, shape: [3, 4, 5], strides: [20, 5, 1], offset: 1 }],
    ["transposed", { storage, dtype: input, shape: [5, 4, 3], strides: [1, 5, 20], offset: 1 }],
  ];
  const gpuStorage = buffers.write(storage);
  for (const [layout, x] of views) {
    for (const axes of AXES) {
      for (const op of ["sum", "prod", "max", "min"] as ReduceOp[]) {
        // int32 products wrap past 2^53 differently (the reference rounds first): not compared.
        if (op === "prod" && input === "int32") continue;
        const want = referenceReduce(op, x, axes, false, output);
        const got = gpuReduce.reduce(op, { ...x, storage: gpuStorage }, axes, false, output);
        const c: Case = { op: op === "prod" ? "reduce.prod" : "reduce", output, exactInt: output !== "float32", intInputs: false, exact: () => 0 };
        await compare(`${op} ${input}→${output} ${layout} over [${axes}]`, c, want, got, () => []);
      }
    }
  }
}
// NaN and ±∞ in a reduced row; an empty reduction gives the reference's empty values.
for (const op of ["sum", "prod", "max", "min"] as ReduceOp[]) {
  for (const values of [
    [1, NaN, -Infinity],
    [Infinity, -Infinity, 2],
    [Infinity, 3, 1e30],
  ]) {
    const x = makeView("float32", values, "flat");
    const c: Case = { op: "reduce", output: "float32", exactInt: false, intInputs: false, exact: () => 0 };
    await compare(`${op} of [${values}]`, c, referenceReduce(op, x.cpu, [0], false), gpuReduce.reduce(op, x.gpu, [0], false), () => values);
  }
  for (const dtype of ["float32", "int32"] as GPUDType[]) {
    const x: View = { storage: new ARRAYS[dtype](0), dtype, shape: [0, 3], strides: [3, 1], offset: 0 };
    const c: Case = { op: "reduce", output: dtype, exactInt: true, intInputs: false, exact: () => 0 };
    await compare(
      `${op} ${dtype} over an empty axis`,
      c,
      referenceReduce(op, x, [0], false),
      gpuReduce.reduce(op, { ...x, storage: buffers.write(x.storage as Storage) }, [0], false),
      () => [],
    );
  }
}

// Bytes: counted at write and allocation, returned once at free (a second free changes nothing).
{
  const before = buffers.inUseBytes;
  const data = buffers.write(new Int32Array(10));
  const grew = buffers.inUseBytes - before;
  buffers.free(data);
  buffers.free(data);
  checked++;
  if (grew !== 40 || buffers.inUseBytes !== before) failures.push(`inUseBytes grew by ${grew} for 10 int32 and ended ${buffers.inUseBytes - before} from where it began`);
}

// A read waiting on its map when the device is lost rejects with an AdError instead of hanging.
{
  const pending = buffers.read(buffers.write(new Float32Array(4096)));
  handle.device.destroy();
  const error = await pending.then(
    () => undefined,
    (e: unknown) => e,
  );
  checked++;
  // The read may also have finished first; what it must not do is hang or throw anything but an AdError.
  if (error !== undefined && !(error instanceof AdError)) failures.push(`a read pending at the loss gave ${String(error)}`);
}

// A lost device: every later use is an AdError, and a read never hangs.
handle.device.destroy();
await handle.device.lost;
await new Promise((resolve) => setTimeout(resolve, 0));
for (const [what, use] of [
  ["read", () => buffers.read(scalar.storage)],
  ["unary", async () => gpu.unary("exp", scalar, "float32")],
  ["write", async () => buffers.write(new Float32Array(1))],
] as const) {
  const error = await use().then(
    () => undefined,
    (e: unknown) => e,
  );
  checked++;
  if (!(error instanceof AdError) || error.code !== "UnsupportedOp") failures.push(`${what} after the device was lost gave ${String(error)}, want an UnsupportedOp AdError`);
}

const { vendor, architecture, description } = handle.adapter;
console.log(JSON.stringify({ adapter: { vendor, architecture, description }, checked, pipelines: dispatcher.pipelineCount, failures, errors }));
process.exit(0);

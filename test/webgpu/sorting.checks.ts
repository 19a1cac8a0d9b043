/**
 * Run in a child process by sorting.test.ts: searchsorted (left and right, NaN in both operands,
 * int32, bool and mixed dtypes, strided views, one sequence for many values, empty values) and the
 * composites built on argsort, gather and cummax's indices — sort, topk, median, cummax and the
 * gradients of sort and cummax — on the "webgpu" device against the cpu, bit for bit, each result
 * checked to stay on the GPU. Prints one JSON line: { checked, failures, errors }.
 */
import * as ops from "../../src/tensor/index.js";
import type { Tensor } from "../../src/tensor/index.js";
import { bitDifference, finish, startGPU } from "./setup.js";

const { handle, errors } = await startGPU();
const failures: string[] = [];
let checked = 0;
const g = ops.rng(18);

/** Each tensor f gives on the GPU against the one it gives on the cpu, bit for bit. */
async function same(what: string, f: (...xs: Tensor[]) => Tensor | readonly Tensor[], ...inputs: Tensor[]): Promise<void> {
  checked++;
  const list = (r: Tensor | readonly Tensor[]) => (Array.isArray(r) ? (r as readonly Tensor[]) : [r as Tensor]);
  const want = list(f(...inputs));
  const got = list(f(...inputs.map((t) => t.to("webgpu"))));
  for (const [k, w] of want.entries()) {
    const t = got[k];
    if (t.device.name !== "webgpu") return void failures.push(`${what}[${k}]: on ${t.device.name}`);
    if (t.dtype !== w.dtype || t.shape.join() !== w.shape.join()) return void failures.push(`${what}[${k}]: ${t.dtype} [${t.shape}], want ${w.dtype} [${w.shape}]`);
    const problem = bitDifference(await t.read(), w.data());
    if (problem !== undefined) return void failures.push(`${what}[${k}]: ${problem}`);
  }
}

const floats = (values: number[], shape: number[]) => ops.tensor(Float32Array.from(values), { shape });
const ints = (values: number[], shape: number[]) => ops.tensor(Int32Array.from(values), { shape, dtype: "int32" });
const pair = (r: { values: Tensor; indices: Tensor }) => [r.values, r.indices];

// searchsorted: ties on both sides, NaN in the sequence and among the values, ±∞.
const seq = floats([-Infinity, -1, 0, 0, 2, 2, 2, 5, Infinity, NaN, NaN], [11]);
const probes = floats([-Infinity, -2, -1, 0, 1, 2, 3, 5, 6, Infinity, NaN, -0], [12]);
await same("searchsorted left, one sequence", (s, v) => ops.searchsorted(s, v), seq, probes);
await same("searchsorted right, one sequence", (s, v) => ops.searchsorted(s, v, { right: true }), seq, probes);
const rows = ops.sort(ops.randn([3, 9], { rng: g }), { axis: 1 }).values;
const many = ops.randn([3, 7], { rng: g });
await same("searchsorted rows", (s, v) => ops.searchsorted(s, v), rows, many);
await same("searchsorted rows, right", (s, v) => ops.searchsorted(s, v, { right: true }), rows, many);
await same("searchsorted of transposed values", (s, v) => ops.searchsorted(s, v.transpose()), rows, ops.randn([7, 3], { rng: g }));
await same("searchsorted in a strided sequence", (s, v) => ops.searchsorted(ops.slice(s, [null, [0, 9, 2]]), v), rows, many);
await same("searchsorted rank 3", (s, v) => ops.searchsorted(s, v), ops.sort(ops.randn([2, 3, 5], { rng: g }), { axis: 2 }).values, ops.randn([2, 3, 4], { rng: g }));
await same("searchsorted int32", (s, v) => ops.searchsorted(s, v, { right: true }), ints([-3, 0, 0, 4, 9], [5]), ints([-4, -3, 0, 1, 9, 10], [6]));
await same("searchsorted int32 values in a float sequence", (s, v) => ops.searchsorted(s, v), floats([-1.5, 0, 0.5, 3], [4]), ints([-2, 0, 1, 3, 4], [5]));
await same("searchsorted bool", (s, v) => ops.searchsorted(ops.gt(s, 0), ops.gt(v, 0)), floats([0, 0, 1, 1], [4]), floats([0, 1, 1], [3]));
await same("searchsorted of no values", (s, v) => ops.searchsorted(s, v), rows, ops.zeros([3, 0]));
await same("searchsorted in an empty sequence", (s, v) => ops.searchsorted(s, v), ops.zeros([0]), probes);

// The composites over argsort, gather and cummax's indices.
const x = ops.randn([4, 7], { rng: g });
const withNaN = floats([3, NaN, -1, 3, 0, NaN, -1, 2], [2, 4]);
await same("sort", (u) => pair(ops.sort(u, { axis: 1 })), x);
await same("sort descending along axis 0", (u) => pair(ops.sort(u, { axis: 0, descending: true })), x);
await same("sort with NaN and ties", (u) => pair(ops.sort(u, { axis: 1 })), withNaN);
await same("topk", (u) => pair(ops.topk(u, 3)), x);
await same("topk smallest along axis 0", (u) => pair(ops.topk(u, 2, { axis: 0, largest: false })), x);
await same("median", (u) => ops.median(u), x);
await same("median along an axis", (u) => pair(ops.median(u, { axis: 1 })), x);
await same("cummax", (u) => pair(ops.cummax(u, 1)), x);
await same("cummax with NaN and ties", (u) => pair(ops.cummax(u, 1)), withNaN);
await same("cummin along axis 0", (u) => pair(ops.cummin(u, 0)), x);
const weights = ops.randn([4, 7], { rng: g });
await same("grad of sort", (u) => ops.grad((v: Tensor) => ops.sum(ops.mul(ops.sort(v, { axis: 1 }).values, weights.to(v.device))))(u) as Tensor, x);
await same("grad of cummax", (u) => ops.grad((v: Tensor) => ops.sum(ops.mul(ops.cummax(v, 1).values, weights.to(v.device))))(u) as Tensor, x);

await finish(handle, { checked, failures, errors });

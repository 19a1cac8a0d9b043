/**
 * Run in a child process by indexing.test.ts: gather, scatterAdd, oneHot and indexSelect on the
 * "webgpu" device against the cpu, bit for bit (odd shapes, strided and transposed operands, repeated
 * indices), scatterAdd's sums the same run to run, a gather's gradient; out-of-range indices raised at
 * the next read with the cpu's error (code, op, index, position, axis, size), once; and threefry2x32
 * with the random draws it drives, bit for bit. Prints one JSON line: { checked, failures, errors }.
 */
import { AdError } from "../../src/errors.js";
import * as ops from "../../src/tensor/index.js";
import { random, type Tensor } from "../../src/tensor/index.js";
import { threefry2x32 } from "../../src/tensor/primitives/threefry.js";
import { bitDifference, finish, startGPU } from "./setup.js";

const { handle, errors } = await startGPU();
const failures: string[] = [];
let checked = 0;
const g = ops.rng(15);
const onGPU = (t: Tensor) => t.to("webgpu");

/** f on the GPU against f on the cpu, bit for bit. */
async function same(what: string, f: (...xs: Tensor[]) => Tensor, ...inputs: Tensor[]): Promise<void> {
  checked++;
  const want = f(...inputs);
  const got = f(...inputs.map(onGPU));
  if (got.device.name !== "webgpu") return void failures.push(`${what}: on ${got.device.name}`);
  if (got.dtype !== want.dtype || got.shape.join() !== want.shape.join()) {
    return void failures.push(`${what}: ${got.dtype} [${got.shape}], want ${want.dtype} [${want.shape}]`);
  }
  const problem = bitDifference(await got.read(), want.data());
  if (problem !== undefined) failures.push(`${what}: ${problem}`);
}

const ints = (values: number[], shape: number[]) => ops.tensor(Int32Array.from(values), { shape, dtype: "int32" });
/** n indices in [0, size) of `shape`, repeats likely. */
const draws = (shape: number[], size: number) =>
  ints(
    Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => Math.floor(g.uniform() * size)),
    shape,
  );

// gather: every axis, a transposed x, transposed (strided) indices, int32 and bool x, an empty result.
const x = ops.randn([5, 7], { rng: g });
await same("gather axis 0", (u, i) => ops.gather(u, 0, i), x, draws([4, 7], 5));
await same("gather axis 1", (u, i) => ops.gather(u, 1, i), x, draws([5, 9], 7));
await same("gather of a transposed x", (u, i) => ops.gather(u.transpose(), 1, i), x, draws([6, 3], 5));
await same("gather with transposed indices", (u, i) => ops.gather(u, 1, i.transpose()), x, draws([11, 3], 7));
await same("gather int32", (u, i) => ops.gather(u, 0, i), ops.randint(-9, 9, [3, 4], { rng: g }), draws([5, 4], 3));
await same("gather bool", (u, i) => ops.gather(ops.gt(u, 0), 1, i), x, draws([5, 3], 7));
await same("gather of a rank-3 slice", (u, i) => ops.gather(ops.slice(u, [null, [1, 4], null]), 2, i), ops.randn([2, 5, 3], { rng: g }), draws([2, 3, 4], 3));
await same("gather into an empty result", (u, i) => ops.gather(u, 0, i), x, ints([], [0, 7]));
await same("indexSelect", (u, i) => ops.indexSelect(u, 1, i), x, ints([6, 0, 6, 2], [4]));

// scatterAdd: repeated indices accumulate in order; src larger than the indices; a transposed x; int32.
const src = ops.randn([6, 8], { rng: g });
await same("scatterAdd axis 0 with repeats", (u, i, s) => ops.scatterAdd(u, 0, i, s), x, draws([6, 7], 5), src);
await same("scatterAdd axis 1 with repeats", (u, i, s) => ops.scatterAdd(u, 1, i, s), x, draws([4, 8], 7), src);
await same("scatterAdd into a transposed x", (u, i, s) => ops.scatterAdd(u.transpose(), 0, i, s), x, draws([3, 5], 7), src);
await same("scatterAdd int32", (u, i, s) => ops.scatterAdd(u, 1, i, s), ops.randint(-9, 9, [3, 4], { rng: g }), draws([3, 6], 4), ops.randint(-9, 9, [3, 6], { rng: g }));
const crowd = draws([40, 3], 2);
const many = ops.randn([40, 3], { rng: g });
const sums = async () => ops.scatterAdd(onGPU(ops.zeros([2, 3])), 0, onGPU(crowd), onGPU(many)).read();
const [first, second] = [await sums(), await sums()];
checked++;
if (first.some((v, i) => !Object.is(v, second[i]))) failures.push(`scatterAdd: two runs differ: ${first} and ${second}`);
await same("scatterAdd of 40 rows onto 2", (u, i, s) => ops.scatterAdd(u, 0, i, s), ops.zeros([2, 3]), crowd, many);

// oneHot: strided indices, an empty depth.
await same("oneHot", (i) => ops.oneHot(i, 5), draws([3, 4], 5));
await same("oneHot of transposed indices", (i) => ops.oneHot(i.transpose(), 6), draws([2, 3], 6));
await same("oneHot of depth 0", (i) => ops.oneHot(i, 0), ints([], [0]));

// The gradient of a gather is a scatterAdd on the GPU.
const picked = draws([4, 7], 5);
await same("grad of a gather (scatterAdd)", (u, i) => ops.grad((v: Tensor) => ops.sum(ops.mul(ops.gather(v, 0, i), ops.slice(v, [[0, 4], null]))))(u) as Tensor, x, picked);

/** The error the cpu raises for `f`, and the one the GPU raises when `f`'s result, then `later`, are read. */
async function outOfRange(what: string, f: (...xs: Tensor[]) => Tensor, ...inputs: Tensor[]): Promise<void> {
  checked++;
  let want: AdError | undefined;
  try {
    f(...inputs);
  } catch (error) {
    if (error instanceof AdError) want = error;
  }
  if (want === undefined) return void failures.push(`${what}: the cpu did not raise`);
  // A result depending on the bad one, then the bad one itself (after a second failing call: each is raised once).
  const dependent = () => ops.sum(ops.mul(ops.cast(f(...inputs.map(onGPU)), "float32"), 2));
  for (const [which, result] of [
    ["a dependent", dependent],
    ["the result", () => f(...inputs.map(onGPU))],
  ] as const) {
    try {
      await result().read();
      failures.push(`${what}: reading ${which} did not raise`);
    } catch (error) {
      if (!(error instanceof AdError)) return void failures.push(`${what}: reading ${which} threw ${String(error)}`);
      if (error.code !== want.code || JSON.stringify(error.details) !== JSON.stringify(want.details)) {
        failures.push(`${what}: reading ${which} raised ${error.code} ${JSON.stringify(error.details)}, want ${want.code} ${JSON.stringify(want.details)}`);
      }
    }
  }
  const clean = await ops.add(onGPU(ops.ones([2])), 1).read();
  if (clean[0] !== 2) failures.push(`${what}: a clean read after the error gave ${clean[0]}`);
}

await outOfRange("gather past the end", (u, i) => ops.gather(u, 1, i), x, ints([0, 1, 2, 7, 9, 1], [2, 3]));
await outOfRange("gather below 0 in a transposed index", (u, i) => ops.gather(u, 0, i.transpose()), x, ints([0, 1, 2, 3, -1, 0, 4, 4], [4, 2]));
await outOfRange("scatterAdd past the end", (u, i, s) => ops.scatterAdd(u, 0, i, s), x, ints([4, 5, 0], [1, 3]), src);
await outOfRange("oneHot of -1", (i) => ops.oneHot(i, 3), ints([2, 0, -1, 5], [2, 2]));

// threefry2x32: the known-answer vectors (hex words), a broadcast key over strided counters, random draws.
const hex = (t: Int32Array | ArrayLike<number>) => Array.from(t, (w) => (w >>> 0).toString(16).padStart(8, "0")).join(" ");
for (const [key, counter, want] of [
  [[0, 0], [0, 0], "6b200159 99ba4efe"],
  [[-1, -1], [-1, -1], "1cb996fc bb002be7"],
  [[0x13198a2e, 0x03707344], [0x243f6a88, 0x85a308d3 | 0], "c4923a9c 483df7a0"],
] as const) {
  checked++;
  const words = hex(await threefry2x32(onGPU(ints([...key], [2])), onGPU(ints([...counter], [2]))).read());
  if (words !== want) failures.push(`threefry2x32 of key ${key} counter ${counter}: ${words}, want ${want}`);
}
await same("threefry2x32 of one key over transposed counters", (k, c) => threefry2x32(k, c.transpose()), ints([7, -3], [2]), draws([2, 13], 1000));
await same("threefry2x32 of batched keys", (k, c) => threefry2x32(k, c), draws([5, 1, 2], 99), draws([3, 2], 1000));
await same("random.bits", (k) => random.bits(k, [3, 5]), random.key(42));
await same("random.split", (k) => random.split(k, 3), random.key(7));
await same("random.uniform", (k) => random.uniform(k, [1001]), random.key(20261207));
await same("random.uniform in [-2, 3)", (k) => random.uniform(k, [4, 33], { min: -2, max: 3 }), random.key(1));

await finish(handle, { checked, failures, errors });

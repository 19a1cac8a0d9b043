/**
 * Run in a child process by device.test.ts: the "webgpu" device end to end through the tensor API —
 * creation and `to`, asynchronous reads, copies and strided writes, the register-blocked matmul (odd sizes past
 * a tile, batched, broadcast, transposed operands), backward of sum(relu(x·w + b)) against the cpu,
 * `dispose` freeing GPU memory, a buffer over the binding limit refused, float64 and the kernels not on the GPU refused with `UnsupportedOp`.
 * Prints one JSON line: { adapter, checked, failures, errors }.
 */
import { AdError } from "../../src/errors.js";
import * as linalg from "../../src/linalg/index.js";
import * as ops from "../../src/tensor/index.js";
import type { Tensor } from "../../src/tensor/index.js";
import { finish, refusalProblems, startGPU, toleranceDifference } from "./setup.js";
import { bind } from "../../src/tensor/primitive.js";
import { cumArgExtremeP } from "../../src/tensor/primitives/sort.js";

const { handle, gpu, errors } = await startGPU();
const failures: string[] = [];
let checked = 0;
const g = ops.rng(15);

/** got against want (the cpu's), within float32 rounding of a sum of `terms` products. */
async function compare(what: string, got: Tensor, want: Tensor, tol = 1e-5): Promise<void> {
  checked++;
  if (got.device !== gpu) failures.push(`${what}: on ${got.device.name}, want webgpu`);
  if (got.shape.join() !== want.shape.join()) return void failures.push(`${what}: shape [${got.shape}], want [${want.shape}]`);
  const problem = toleranceDifference(await got.read(), want.data(), tol);
  if (problem !== undefined) failures.push(`${what}: ${problem}`);
}

function refused(what: string, f: () => unknown, details: Record<string, unknown>): void {
  checked++;
  for (const problem of refusalProblems(f, details)) failures.push(`${what}: ${problem}`);
}

const onGPU = (t: Tensor) => t.to("webgpu");

// Creation and reads.
const created = ops.tensor(
  [
    [1, 2, 3],
    [4, 5, 6],
  ],
  { device: "webgpu" },
);
await compare(
  "tensor({ device })",
  created,
  ops.tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]),
);
await compare("ones({ device }) int32", ops.ones([3], { device: "webgpu", dtype: "int32" }), ops.ones([3], { dtype: "int32" }), 0);
refused("data() on the GPU", () => created.data(), { op: "Tensor.data", device: "webgpu" });
refused("item() on the GPU", () => ops.sum(created).item(), { op: "Tensor.item", device: "webgpu" });
refused("float64 on the GPU", () => ops.zeros([2], { dtype: "float64", device: "webgpu" }), { device: "webgpu" });
refused("a kernel not on the GPU yet", () => linalg.cholesky(ops.eye(3, 3, { device: "webgpu" })), { op: "cholesky", device: "webgpu" });
refused("uint8 on the GPU", () => ops.zeros([2], { dtype: "uint8", device: "webgpu" }), { device: "webgpu", dtype: "uint8" });
refused("int8 moved to the GPU", () => ops.to(ops.tensor([1, -1], { dtype: "int8" }), "webgpu"), { device: "webgpu", dtype: "int8" });

// Copies: a transpose made contiguous, a strided write (assign into a slice), the slice's VJP.
const h = ops.randn([4, 5], { rng: g });
await compare("contiguous of a transpose", ops.contiguous(onGPU(h).transpose()), ops.contiguous(h.transpose()), 0);
const target = onGPU(ops.zeros([4, 5]));
ops
  .slice(target, [
    [1, 3],
    [0, 5, 2],
  ])
  .assign(onGPU(ops.full([2, 3], 7)));
const want = ops.zeros([4, 5]);
ops
  .slice(want, [
    [1, 3],
    [0, 5, 2],
  ])
  .assign(ops.full([2, 3], 7));
await compare("assign into a strided slice", target, want, 0);
const sliced = (x: Tensor) => ops.grad((u: Tensor) => ops.sum(ops.mul(ops.slice(u, [[1, 3], null]), 3)))(x) as Tensor;
await compare("grad of a slice (unslice)", sliced(onGPU(h)), sliced(h), 0);

// concat, pad, cumsum: strided inputs, a fill, int32, a scan along either axis.
const c1 = ops.randn([5, 2], { rng: g });
await compare("concat of a transpose and a block", ops.concat([onGPU(h).transpose(), onGPU(c1)], 1), ops.concat([h.transpose(), c1], 1), 0);
const widths = [
  [1, 2],
  [0, 3],
] as const;
await compare("pad with a fill", ops.pad(onGPU(h).transpose(), widths, -1.5), ops.pad(h.transpose(), widths, -1.5), 0);
const ints = ops.randint(-50, 50, [4, 6], { rng: g });
await compare("pad int32 with 0", ops.pad(onGPU(ints), widths, 0), ops.pad(ints, widths, 0), 0);
await compare("cumsum along axis 0 of a transpose", ops.cumsum(onGPU(h).transpose(), 0), ops.cumsum(h.transpose(), 0));
await compare("cumsum int32 along axis 1", ops.cumsum(onGPU(ints), 1), ops.cumsum(ints, 1), 0);

// The group kernels: argmax/argmin of strided and int32 views, the max (ties) and prod derivatives.
await compare("argmin along axis 0 of a transpose", ops.argmin(onGPU(h).transpose(), 0), ops.argmin(h.transpose(), 0), 0);
await compare("argmax int32 over both axes", ops.argmax(onGPU(ints)), ops.argmax(ints), 0);
const tied = ops.tensor([
  [1, 3, 3],
  [2, 2, 0],
]);
const gradOf = (f: (u: Tensor) => Tensor) => (x: Tensor) => ops.grad((u: Tensor) => ops.sum(f(u)))(x) as Tensor;
await compare("grad of max with ties (tieShare)", gradOf((u) => ops.max(u, 1))(onGPU(tied)), gradOf((u) => ops.max(u, 1))(tied), 0);
await compare("grad of prod over both axes (prodOthers)", gradOf((u) => ops.prod(u))(onGPU(tied)), gradOf((u) => ops.prod(u))(tied));

// The sorting kernels: stable among ties, NaN above every number, strided and int32 views.
const unsorted = ops.tensor([
  [2, NaN, 1, 2, -Infinity],
  [0, -0, NaN, 3, 0],
]);
for (const descending of [false, true]) {
  await compare(`argsort (descending ${descending}) with ties and NaN`, ops.argsort(onGPU(unsorted), { descending }), ops.argsort(unsorted, { descending }), 0);
  await compare(
    `argsort (descending ${descending}) along axis 0 of a transpose`,
    ops.argsort(onGPU(unsorted).transpose(), { axis: 0, descending }),
    ops.argsort(unsorted.transpose(), { axis: 0, descending }),
    0,
  );
}
await compare("argsort int32", ops.argsort(onGPU(ints)), ops.argsort(ints), 0);
const runningIndex = (u: Tensor, extreme: "max" | "min") => bind(cumArgExtremeP, [u], { axis: 1, extreme });
for (const extreme of ["max", "min"] as const) {
  await compare(`cummax/cummin indices (${extreme}) with ties and NaN`, runningIndex(onGPU(unsorted), extreme), runningIndex(unsorted, extreme), 0);
  await compare(`cummax/cummin indices (${extreme}) of int32`, runningIndex(onGPU(ints), extreme), runningIndex(ints, extreme), 0);
}

// Max pooling, its gradient and its JVP: overlapping windows with padding, a strided (permuted) input, ties.
const img = ops.randn([2, 3, 7, 6], { rng: g });
const poolOf = (u: Tensor) => ops.maxPool2d(u, { kernel: 3, stride: 2, padding: 1 });
const swapped = (u: Tensor) => ops.permute(u, [0, 1, 3, 2]);
await compare("maxPool2d of a permuted input", poolOf(swapped(onGPU(img))), poolOf(swapped(img)), 0);
await compare("grad of maxPool2d (overlapping windows)", gradOf(poolOf)(onGPU(img)), gradOf(poolOf)(img));
const flat = ops.ones([1, 1, 4, 4]);
await compare(
  "grad of maxPool2d with ties",
  gradOf((u) => ops.maxPool2d(u, { kernel: 2, stride: 1 }))(onGPU(flat)),
  gradOf((u) => ops.maxPool2d(u, { kernel: 2, stride: 1 }))(flat),
);
// Dilated windows: the GPU kernels walk taps dilation apart, as the reference does.
const dilatedOf = (u: Tensor) => ops.maxPool2d(u, { kernel: [2, 3], stride: [1, 2], padding: 1, dilation: [3, 2] });
await compare("maxPool2d dilated", dilatedOf(onGPU(img)), dilatedOf(img), 0);
await compare("grad of maxPool2d dilated", gradOf(dilatedOf)(onGPU(img)), gradOf(dilatedOf)(img));
const tangent = ops.randn([2, 3, 7, 6], { rng: g });
await compare("jvp of maxPool2d", ops.jvp(poolOf, [onGPU(img)], [onGPU(tangent)])[1], ops.jvp(poolOf, [img], [tangent])[1], 0);

// conv2d and both adjoints: stride, padding, dilation, a permuted (strided) input.
const cx = ops.randn([2, 3, 7, 8], { rng: g });
const cw = ops.randn([4, 3, 3, 2], { rng: g });
const convOf = (u: Tensor, v: Tensor) => ops.conv2d(u, v, { stride: [2, 1], padding: [1, 2], dilation: [1, 2] });
await compare("conv2d (stride, padding, dilation)", convOf(onGPU(cx), onGPU(cw)), convOf(cx, cw));
const cxs = ops.randn([2, 3, 8, 7], { rng: g });
await compare("conv2d of a permuted input", convOf(swapped(onGPU(cxs)), onGPU(cw)), convOf(swapped(cxs), cw));
const convGrads = (u: Tensor, v: Tensor) => ops.grad((p: Tensor, q: Tensor) => ops.sum(ops.mul(convOf(p, q), convOf(p, q))), { argnums: [0, 1] })(u, v) as Tensor[];
const [gx, gw] = convGrads(onGPU(cx), onGPU(cw));
const [hx, hw] = convGrads(cx, cw);
await compare("conv2d input gradient", gx, hx, 1e-4);
await compare("conv2d weight gradient", gw, hw, 1e-4);

// Matmul: past a 64 × 64 block in both directions, batched, broadcast, transposed operands read through their strides.
for (const [as, bs] of [
  [
    [5, 7],
    [7, 3],
  ],
  [
    [17, 33],
    [33, 20],
  ],
  [
    [67, 5],
    [5, 130],
  ],
  [
    [2, 3, 4],
    [4, 5],
  ],
  [
    [2, 1, 3, 4],
    [3, 4, 2],
  ],
  [
    [1, 0],
    [0, 3],
  ],
] as const) {
  const a = ops.randn([...as], { rng: g });
  const b = ops.randn([...bs], { rng: g });
  await compare(`matmul [${as}]·[${bs}]`, ops.matmul(onGPU(a), onGPU(b)), ops.matmul(a, b));
}
const at = ops.randn([20, 69], { rng: g });
const bt = ops.randn([9, 20], { rng: g });
await compare("matmul of transposed operands", ops.matmul(onGPU(at).transpose(), onGPU(bt).transpose()), ops.matmul(at.transpose(), bt.transpose()));
refused("int32 matmul", () => ops.matmul(ops.ones([2, 2], { dtype: "int32", device: "webgpu" }), ops.ones([2, 2], { dtype: "int32", device: "webgpu" })), {
  op: "matmul",
  device: "webgpu",
});

// Backward on the GPU: grad of sum(relu(x·w + b)) against the cpu's, for every input.
const x = ops.randn([6, 5], { rng: g });
const w = ops.randn([5, 4], { rng: g });
const b = ops.randn([4], { rng: g });
const loss = (xs: Tensor[]) => ops.sum(ops.relu(ops.add(ops.matmul(xs[0], xs[1]), xs[2])));
const leaves = (device: string) => [x, w, b].map((t) => ops.tensor(t.data(), { shape: [...t.shape], device, requiresGrad: true }));
const [onCpu, onDev] = [leaves("cpu"), leaves("webgpu")];
loss(onCpu).backward();
loss(onDev).backward();
for (const [i, name] of ["x", "w", "b"].entries()) await compare(`grad of sum(relu(x·w + b)) wrt ${name}`, onDev[i].grad!, onCpu[i].grad!);

// dispose releases the GPU buffer (to the pool) at once.
const before = gpu.buffers.inUseBytes;
const big = ops.zeros([1024], { device: "webgpu" });
const during = gpu.buffers.inUseBytes;
big.dispose();
checked++;
if (during - before !== 4096 || gpu.buffers.inUseBytes !== before) failures.push(`dispose: ${before} → ${during} → ${gpu.buffers.inUseBytes} bytes, want +4096 then back`);

// A buffer over the device's binding limit: refused at once, naming the op, the bytes and the limit; the device goes on.
const limit = handle.device.limits.maxStorageBufferBindingSize;
const side = Math.ceil(Math.sqrt(limit / 4)) + 1;
checked++;
try {
  ops.add(ops.ones([side, 1], { device: "webgpu" }), ops.ones([1, side], { device: "webgpu" }));
  failures.push(`an add of ${side * side * 4} bytes over the binding limit ${limit} was not refused`);
} catch (error) {
  const d = (error as { details?: Record<string, unknown> }).details;
  if (!(error instanceof AdError) || error.code !== "InvalidArgument" || d?.op !== "add" || d.limit !== limit || d.bytes !== side * side * 4) {
    failures.push(`an add over the binding limit threw ${String(error)} ${JSON.stringify(d)}, want InvalidArgument naming add, the bytes and the limit`);
  }
}
await compare("an add after the refused one", ops.add(onGPU(ops.ones([3])), 1), ops.full([3], 2));

// A training loop's GPU bytes staying flat after collection is memory.checks.ts's (it tolerates a collection that runs late).

const { vendor, architecture, description } = handle.adapter;
await finish(handle, { adapter: { vendor, architecture, description }, checked, failures, errors });

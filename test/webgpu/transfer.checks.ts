/**
 * Run in a child process by transfer.test.ts: moving tensors between the GPU and the host. A
 * synchronous `to("cpu")` of a GPU tensor is `UnsupportedOp` naming `toAsync`; `await toAsync(x,
 * "cpu")` copies (strided views included); gradients cross the boundary both ways and equal the
 * all-cpu ones: GPU leaves through `toAsync` to a loss on the cpu (`backward`: the cotangent goes back
 * to the GPU synchronously), and host leaves through `to("webgpu")` (`backward` refuses, naming
 * `backwardAsync`, which reads the cotangents back). Prints one JSON line: { checked, failures, errors }.
 */
import * as ops from "../../src/tensor/index.js";
import type { Tensor } from "../../src/tensor/index.js";
import { finish, refusalProblems, startGPU, toleranceDifference } from "./setup.js";

const { handle, errors } = await startGPU();
const failures: string[] = [];
let checked = 0;
const g = ops.rng(17);

/** got (any device) against want (the cpu's), within float32 rounding. */
async function close(what: string, got: Tensor | null, want: Tensor | null, device: string, tol = 1e-5): Promise<void> {
  checked++;
  if (got === null || want === null) return void failures.push(`${what}: missing (${got === null ? "got" : "want"})`);
  if (got.device.name !== device) return void failures.push(`${what}: on ${got.device.name}, want ${device}`);
  if (got.shape.join() !== want.shape.join()) return void failures.push(`${what}: shape [${got.shape}], want [${want.shape}]`);
  const problem = toleranceDifference(await got.read(), await want.read(), tol);
  if (problem !== undefined) failures.push(`${what}: ${problem}`);
}

function refused(what: string, f: () => unknown, op: string, instead: string): void {
  checked++;
  for (const problem of refusalProblems(f, { op, device: "webgpu" }, instead)) failures.push(`${what}: ${problem}`);
}

const h = ops.randn([4, 5], { rng: g });
const onGPU = h.to("webgpu");

// Off the GPU: sync refused, async copies (a strided view too), itself when already there.
refused("to('cpu') of a GPU tensor", () => onGPU.to("cpu"), "to", "toAsync");
refused("to(x, 'cpu') of a GPU tensor", () => ops.to(onGPU, "cpu"), "to", "toAsync");
await close("toAsync of a GPU tensor", await ops.toAsync(onGPU, "cpu"), h, "cpu", 0);
await close("x.toAsync of a transposed GPU view", await onGPU.transpose().toAsync("cpu"), h.transpose(), "cpu", 0);
checked++;
if ((await onGPU.toAsync("webgpu")) !== onGPU) failures.push("toAsync to its own device is not the tensor itself");

// GPU leaves, a loss finished on the cpu: backward moves the cotangent back to the GPU at once.
const x = ops.randn([6, 5], { rng: g });
const w = ops.randn([5, 3], { rng: g });
const c = ops.randn([6, 3], { rng: g });
const head = (a: Tensor, b: Tensor) => ops.tanh(ops.matmul(a, b));
const tail = (y: Tensor) => ops.sum(ops.mul(ops.mul(y, y), c));
const leaf = (t: Tensor, device: string) => ops.tensor(t.data(), { shape: [...t.shape], device, requiresGrad: true });
const [xc, wc] = [leaf(x, "cpu"), leaf(w, "cpu")];
tail(head(xc, wc)).backward();
const [xg, wg] = [leaf(x, "webgpu"), leaf(w, "webgpu")];
const split = tail(await ops.toAsync(head(xg, wg), "cpu"));
await close("a loss on the cpu of GPU work", split, tail(head(x, w)), "cpu");
split.backward();
await close("grad of GPU leaf x across toAsync", xg.grad, xc.grad, "webgpu");
await close("grad of GPU leaf w across toAsync", wg.grad, wc.grad, "webgpu");

// Host leaves moved to the GPU, the loss back on the cpu: the cotangent must be read back.
const crossing = (a: Tensor, b: Tensor) => ops.toAsync(head(a.to("webgpu"), b.to("webgpu")), "cpu").then(tail);
const [xh, wh] = [leaf(x, "cpu"), leaf(w, "cpu")];
const crossed = await crossing(xh, wh);
refused("backward through to('webgpu')", () => crossed.backward(), "backward", "backwardAsync");
// Refused before anything was swept: the same graph still runs backwardAsync.
await crossed.backwardAsync();
await close("grad of host leaf x across to('webgpu') and toAsync", xh.grad, xc.grad, "cpu");
await close("grad of host leaf w across to('webgpu') and toAsync", wh.grad, wc.grad, "cpu");
// Both kinds of leaf in one loss, and the functional form.
const [xm, wm] = [leaf(x, "cpu"), leaf(w, "webgpu")];
await ops.backwardAsync(tail(await ops.toAsync(head(xm.to("webgpu"), wm), "cpu")));
await close("grad of a host leaf beside a GPU leaf", xm.grad, xc.grad, "cpu");
await close("grad of a GPU leaf beside a host leaf", wm.grad, wc.grad, "webgpu");

await finish(handle, { checked, failures, errors });

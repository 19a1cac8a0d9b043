/**
 * Run in a child process by control.test.ts: the control-flow primitives on the "webgpu" device. A
 * scan (and its gradient, a second scan) runs its body's primitives on the GPU and matches the cpu;
 * cond and whileLoop, which read their predicate on the host each step, are refused with
 * `UnsupportedOp`. Prints one JSON line: { scan, grad, refused, failures, errors }.
 */
import { AdError } from "../../src/errors.js";
import * as ops from "../../src/tensor/index.js";
import type { Tensor } from "../../src/tensor/index.js";
import { startGPU } from "./setup.js";

const { errors } = await startGPU();
const failures: string[] = [];

const w = ops.randn([3, 3], { rng: ops.rng(5) });
const rnn = (h: Tensor, xs: Tensor): Tensor => {
  const wd = w.device === h.device ? w : w.to(h.device);
  const [last, ys] = ops.scan((c: Tensor, x: Tensor) => [ops.tanh(ops.add(ops.matmul(c, wd), x)), ops.mul(c, 2)] as const, h, xs);
  return ops.add(ops.sum(last), ops.sum(ys));
};
const h = ops.randn([3], { rng: ops.rng(6) });
const xs = ops.randn([4, 3], { rng: ops.rng(7) });

const close = async (what: string, got: Tensor, want: Tensor): Promise<number> => {
  if (got.device.name !== "webgpu") failures.push(`${what}: ran on ${got.device.name}`);
  const [a, b] = [await got.read(), await want.read()];
  const worst = Math.max(...Array.from(a).map((v, i) => Math.abs(v - b[i]) / (1e-6 + Math.abs(b[i]))));
  if (!(worst < 1e-4)) failures.push(`${what}: worst relative error ${worst}`);
  return worst;
};

const scan = await close("scan", rnn(h.to("webgpu"), xs.to("webgpu")), rnn(h, xs));
const grad = await close("grad", ops.grad(rnn)(h.to("webgpu"), xs.to("webgpu")) as Tensor, ops.grad(rnn)(h, xs) as Tensor);

const refused: string[] = [];
for (const [what, f] of [
  ["cond", (x: Tensor) => ops.cond(ops.gt(ops.sum(x), 0), (v: Tensor) => v, ops.neg, x)],
  [
    "whileLoop",
    (x: Tensor) =>
      ops.whileLoop(
        (v: Tensor) => ops.lt(ops.sum(v), 10),
        (v) => ops.mul(v, 2),
        x,
      ),
  ],
] as const) {
  try {
    f(ops.abs(h).to("webgpu"));
    failures.push(`${what}: ran without reading its predicate`);
  } catch (error) {
    if (error instanceof AdError && error.code === "UnsupportedOp") refused.push(`${String(error.details.op)} on ${String(error.details.device)}`);
    else failures.push(`${what}: threw ${String(error)}`);
  }
}
console.log(JSON.stringify({ scan, grad, refused, failures, errors }));

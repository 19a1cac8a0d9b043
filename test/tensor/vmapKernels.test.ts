/**
 * What vmap asks of the backend on the per-example gradient path (issue 16's `vmap(grad(loss))` of an
 * MLP): the batch gradient's kernels and no more — each product one matmul call (the batch folded
 * into the rows against a weight, the per-example weight gradients one batched product) and no copy
 * between rules — counted on the counting device, whose kernels are the reference backend's.
 */
import { describe, expect, it } from "vitest";
import { add, grad, logSoftmax, matmul, mul, randn, relu, rng, sum, vmap, type Tensor } from "../../src/tensor/index.js";
import { countingDevice } from "../support/countingDevice.js";

const counting = countingDevice();
const on = { device: counting };

type Params = { w1: Tensor; b1: Tensor; w2: Tensor; b2: Tensor };
/** Cross-entropy summed over the rows of x: one example's loss under vmap, where x is a vector. */
const loss = (p: Params, x: Tensor, y: Tensor): Tensor => mul(sum(mul(y, logSoftmax(add(matmul(relu(add(matmul(x, p.w1), p.b1)), p.w2), p.b2)))), -1);

function kernelCalls(run: () => unknown): Map<string, number> {
  counting.reset();
  run();
  return new Map(counting.kernelCalls);
}

describe("vmap(grad) of an MLP on the backend", () => {
  it("calls the batch gradient's kernels: one matmul per product, no copies, no more calls in all", () => {
    const g = rng(3);
    const [batch, inputs, hidden, classes] = [4, 6, 5, 3];
    const p: Params = {
      w1: randn([inputs, hidden], { rng: g, ...on }),
      b1: randn([hidden], { rng: g, ...on }),
      w2: randn([hidden, classes], { rng: g, ...on }),
      b2: randn([classes], { rng: g, ...on }),
    };
    const x = randn([batch, inputs], { rng: g, ...on });
    const y = randn([batch, classes], { rng: g, ...on });
    const perExample = vmap(grad(loss), { inAxes: [null, 0, 0] });
    const batched = kernelCalls(() => grad(loss)(p, x, y));
    const vmapped = kernelCalls(() => perExample(p, x, y));
    const total = (calls: Map<string, number>): number => [...calls.values()].reduce((a, b) => a + b, 0);
    // Two products forward, three backward (the hidden layer's input gradient and both weights').
    expect(vmapped.get("matmul")).toBe(5);
    expect(batched.get("matmul")).toBe(5);
    expect(vmapped.get("copy") ?? 0).toBe(0);
    expect(vmapped.get("copyInto") ?? 0).toBe(0);
    expect(total(vmapped)).toBeLessThanOrEqual(total(batched));
  });
});

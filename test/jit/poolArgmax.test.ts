/**
 * Max pooling's argmax once per jitted run (src/jit/passes/poolArgmax.ts): the backward reads the
 * indices the forward found (IR text, one argmax kernel call per run), with eager's bits, on both
 * host backends; two poolings of one x pair each backward with the forward of its own window.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { kernels } from "../../src/backends/backend.js";
import { jit } from "../../src/jit/index.js";
import { add, conv2d, maxPool2d, mul, relu, sum, tensor, valueAndGrad, type Tensor } from "../../src/tensor/index.js";
import { onBackend } from "../support/backends.js";

/** Deterministic values in [−1, 1) (float32), with ties (rounded to eighths) for the argmax's tie rule. */
function values(seed: number, n: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = Math.round((s / 2 ** 31 - 1) * 8) / 8;
  }
  return out;
}
const x = tensor(values(1, 2 * 1 * 10 * 10), { shape: [2, 1, 10, 10] });
const w = tensor(values(2, 3 * 1 * 3 * 3), { shape: [3, 1, 3, 3] });
const loss = (p: { w: Tensor }) => sum(mul(maxPool2d(relu(conv2d(x, p.w)), { kernel: 2 }), 0.5));

afterEach(() => vi.restoreAllMocks());

describe("pooling argmax shared under jit", () => {
  for (const backend of ["cpu", "wasm"] as const) {
    it(`${backend}: the backward reads the forward's argmax: one argmax per run, eager's bits`, () => {
      onBackend(backend, () => {
        const step = jit(valueAndGrad(loss));
        const text = String(step.lower({ w }));
        expect(text).toContain("argmax=kept");
        expect(text).toContain("argmax=shared");
        step({ w });
        const argmax = vi.spyOn(kernels(), "maxPool2dArgmax");
        const [value, grads] = step({ w }) as [Tensor, { w: Tensor }];
        expect(argmax).toHaveBeenCalledTimes(1);
        const [eagerValue, eagerGrads] = valueAndGrad(loss)({ w }) as [Tensor, { w: Tensor }];
        expect(value.data()).toEqual(eagerValue.data());
        expect(grads.w.data()).toEqual(eagerGrads.w.data());
      });
    });
  }

  it("two poolings of one x, each backward with its own forward's argmax", () => {
    const both = (a: Tensor) => add(sum(maxPool2d(a, { kernel: 2 })), sum(mul(maxPool2d(a, { kernel: 2, stride: 1 }), 0.25)));
    const step = jit(valueAndGrad(both));
    const text = String(step.lower(x));
    expect(text.match(/argmax=kept/g)).toHaveLength(2);
    expect(text.match(/argmax=shared/g)).toHaveLength(2);
    const [value, g] = step(x) as [Tensor, Tensor];
    const [eagerValue, eagerG] = valueAndGrad(both)(x) as [Tensor, Tensor];
    expect(value.data()).toEqual(eagerValue.data());
    expect(g.data()).toEqual(eagerG.data());
  });
});

/**
 * Per-example gradients compiled: `jit` of `vmap(grad(loss), { inAxes: [null, 0, 0] })` for an MLP,
 * with the previous call's gradients donated (an argument the function ignores), so each call writes
 * into the storage the last one returned. It equals the eager per-example gradients, allocates
 * nothing in steady state (the allocation counter) on the cpu and wasm backends, disposes the
 * donated gradients, and its program computes each layer's per-example weight gradient as one
 * batched product whatever the batch size (no per-example loop).
 */
import { afterEach, describe, expect, it } from "vitest";
import { allocationCounter, jit } from "../../src/jit/index.js";
import { add, getBackend, grad, logSoftmax, matmul, mul, randn, relu, rng, setBackend, sum, vmap, type BackendName, type Tensor } from "../../src/tensor/index.js";
import { thrown } from "../support/errorCode.js";

type Params = { w1: Tensor; b1: Tensor; w2: Tensor; b2: Tensor };
const [inputs, hidden, classes] = [40, 24, 5];

const params = (): Params => {
  const r = rng(1);
  return {
    w1: randn([inputs, hidden], { rng: r }).mul(0.3),
    b1: randn([hidden], { rng: r }).mul(0.1),
    w2: randn([hidden, classes], { rng: r }).mul(0.3),
    b2: randn([classes], { rng: r }).mul(0.1),
  };
};
const data = (rows: number, seed: number): [Tensor, Tensor] => {
  const r = rng(seed);
  return [randn([rows, inputs], { rng: r }), randn([rows, classes], { rng: r })];
};

/** Cross-entropy summed over the rows of x: one example's loss under vmap, where x is a vector. */
const loss = (p: Params, x: Tensor, y: Tensor): Tensor => mul(sum(mul(y, logSoftmax(add(matmul(relu(add(matmul(x, p.w1), p.b1)), p.w2), p.b2)))), -1);
const perExample = vmap(grad(loss), { inAxes: [null, 0, 0] }) as (p: Params, x: Tensor, y: Tensor) => Params;
/** The compiled form: the fourth argument, the previous call's gradients, is donated and not read. */
const compiled = () => jit((p: Params, x: Tensor, y: Tensor, _previous: Params | null) => perExample(p, x, y), { donate: [3] });

const values = (g: Params) => Object.values(g).map((t) => Array.from(t.data()));
const before = getBackend();
afterEach(() => setBackend(before));

describe.each<BackendName>(["cpu", "wasm"])("jit(vmap(grad(loss))) with the previous gradients donated, on %s", (backend) => {
  it("equals the eager per-example gradients and allocates nothing in steady state", () => {
    setBackend(backend);
    const p = params();
    const f = compiled();
    let g = f(p, ...data(6, 2), null);
    for (let i = 0; i < 3; i++) {
      const [x, y] = data(6, 3 + i);
      g = f(p, x, y, g);
      expect(values(g)).toEqual(values(perExample(p, x, y)));
    }
    const [x, y] = data(6, 9);
    const start = allocationCounter();
    for (let i = 0; i < 5; i++) g = f(p, x, y, g);
    expect(allocationCounter().bytes - start.bytes).toBe(0);
    expect(allocationCounter().allocations - start.allocations).toBe(0);
    // One trace with nothing to donate, one with the previous gradients.
    expect(f.traces).toBe(2);
  });

  it("disposes the donated gradients: reading them again is a StaleVariable", () => {
    setBackend(backend);
    const p = params();
    const f = compiled();
    const first = f(p, ...data(4, 2), null);
    const second = f(p, ...data(4, 3), first);
    expect(thrown(() => first.w1.data())).toMatchObject({ code: "StaleVariable" });
    expect(second.w1.shape).toEqual([4, inputs, hidden]);
  });
});

describe("the compiled per-example program", () => {
  it("computes each per-example weight gradient as one batched product, with as many equations at any batch size", () => {
    const p = params();
    const programOf = (rows: number) => {
      const [x, y] = data(rows, 2);
      return compiled().lower(p, x, y, perExample(p, x, y));
    };
    const [small, large] = [programOf(4), programOf(32)];
    expect(large.equations.length).toBe(small.equations.length);
    const text = String(large);
    // w1's gradient, [32, 40, 24]: a product of the examples' inputs [32, 40, 1] and hidden cotangents [32, 1, 24].
    expect(text).toMatch(/f32\[32,40,24\] = matmul \w+ \w+\n/);
    expect(text).toMatch(/f32\[32,24,5\] = matmul \w+ \w+\n/);
  });
});

/**
 * A whole training step under jit: `(params, optState, batch) → [loss, params, optState]` over pytrees,
 * with the functional Adam. It traces once, equals the eager step step by step, and in steady state
 * allocates nothing but its loss (the allocation counter); with `donate` the returned parameters and
 * state take the storage of the ones passed in, which are disposed.
 */
import { afterEach, describe, expect, it } from "vitest";
import { allocationCounter, jit } from "../../src/jit/index.js";
import { adam, applyUpdates, chain, clipByGlobalNorm, sgd, type AdamState, type GradientTransformation } from "../../src/optim/index.js";
import { crossEntropy } from "../../src/nn/index.js";
import { add, getBackend, matmul, randint, randn, relu, rng, setBackend, valueAndGrad, type BackendName, type Tensor } from "../../src/tensor/index.js";
import { thrown } from "../support/errorCode.js";

type Params = { w1: Tensor; b1: Tensor; w2: Tensor; b2: Tensor };
type Batch = [Tensor, Tensor];

function init(seed: number): Params {
  const r = rng(seed);
  return { w1: randn([12, 16], { rng: r }).mul(0.3), b1: randn([16], { rng: r }).mul(0.1), w2: randn([16, 3], { rng: r }).mul(0.3), b2: randn([3], { rng: r }).mul(0.1) };
}

function batch(seed: number): Batch {
  const r = rng(seed);
  return [randn([8, 12], { rng: r }), randint(0, 3, [8], { rng: r })];
}

const loss = (p: Params, x: Tensor, y: Tensor) => crossEntropy(add(matmul(relu(add(matmul(x, p.w1), p.b1)), p.w2), p.b2), y);

function makeStep<S>(opt: GradientTransformation<S>) {
  return (params: Params, state: S, [x, y]: Batch): [Tensor, Params, S] => {
    const [value, grads] = valueAndGrad(loss)(params, x, y);
    const { updates, state: next } = opt.update(grads as Params, state, params);
    return [value, applyUpdates(params, updates), next];
  };
}

const values = (t: { [k: string]: Tensor } | Tensor[]) => Object.values(t).map((x) => Array.from(x.data()));
const before = getBackend();
afterEach(() => setBackend(before));

describe.each(["cpu", "wasm"] as BackendName[])("a jitted training step (%s backend)", (backend) => {
  it("equals the eager step, step by step, with one trace", () => {
    setBackend(backend);
    const opt = chain(clipByGlobalNorm(1), adam({ lr: 0.05 }));
    const step = makeStep(opt);
    const jitted = jit(step);
    let [pe, se] = [init(1), opt.init(init(1))];
    let [pj, sj] = [init(1), opt.init(init(1))];
    for (let s = 0; s < 4; s++) {
      const [le, pe2, se2] = step(pe, se, batch(10 + s));
      const [lj, pj2, sj2] = jitted(pj, sj, batch(10 + s));
      [pe, se, pj, sj] = [pe2, se2, pj2, sj2];
      expect(lj.item()).toBeCloseTo(le.item(), 6);
      values(pj).forEach((v, i) => v.forEach((x, k) => expect(Math.abs(x - values(pe)[i][k])).toBeLessThan(1e-6)));
    }
    expect(jitted.traces).toBe(1);
    // It learned: a test of a step that changes nothing would pass the comparison too.
    expect(values(pj)).not.toEqual(values(init(1)));
  });

  it("allocates nothing per step in steady state but the loss, with the inputs donated", () => {
    setBackend(backend);
    const opt = adam({ lr: 0.01 });
    const jitted = jit(makeStep(opt), { donate: [0, 1] });
    let params = init(2);
    let state: AdamState = opt.init(params);
    const data = batch(3);
    const run = () => {
      const old = params;
      [, params, state] = jitted(params, state, data);
      return old;
    };
    for (let s = 0; s < 3; s++) run();
    const start = allocationCounter();
    const old = run();
    for (let s = 0; s < 4; s++) run();
    const end = allocationCounter();
    // The loss is a fresh float32 scalar each step: 5 steps, 4 bytes each, one storage each.
    expect(end.bytes - start.bytes).toBe(5 * 4);
    expect(end.allocations - start.allocations).toBe(5);
    // The donated parameters are gone.
    expect(thrown(() => old.w1.data())).toMatchObject({ code: "StaleVariable" });
  });

  it("allocates zero bytes per step in steady state when every returned value has a donated storage", () => {
    setBackend(backend);
    const opt = adam({ lr: 0.01 });
    const step = makeStep(opt);
    const jitted = jit((p: Params, s: AdamState, b: Batch) => step(p, s, b).slice(1) as [Params, AdamState], { donate: [0, 1] });
    let params = init(2);
    let state: AdamState = opt.init(params);
    const data = batch(3);
    for (let s = 0; s < 3; s++) [params, state] = jitted(params, state, data);
    const start = allocationCounter();
    for (let s = 0; s < 5; s++) [params, state] = jitted(params, state, data);
    expect(allocationCounter()).toEqual(start);
    expect(state.count.item()).toBe(8);
  });
});

describe("donation and recycling", () => {
  it("without donate the steady state allocates just the returned values, and the inputs stay valid", () => {
    const opt = sgd({ lr: 0.1, momentum: 0.9 });
    const jitted = jit(makeStep(opt));
    const params = init(4);
    const state = opt.init(params);
    const data = batch(5);
    for (let s = 0; s < 2; s++) jitted(params, state, data);
    const start = allocationCounter();
    const [l, p, st] = jitted(params, state, data);
    const bytes = allocationCounter().bytes - start.bytes;
    const returned = [l, ...Object.values(p), st.count, ...st.buffers].reduce((n, t) => n + t.size * (t.dtype === "float64" ? 8 : 4), 0);
    expect(bytes).toBe(returned);
    expect(values(params)).toEqual(values(init(4)));
  });

  it("a recycled storage never reaches a returned value still held: two calls give two different results", () => {
    const f = jit((x: Tensor) => relu(matmul(x, x)));
    const x = randn([4, 4], { rng: rng(1) });
    const a = f(x);
    const first = Array.from(a.data());
    const b = f(add(x, 1));
    expect(Array.from(a.data())).toEqual(first);
    expect(Array.from(b.data())).not.toEqual(first);
  });

  it("donate is checked: positions, and not also static", () => {
    expect(thrown(() => jit((x: Tensor) => x, { donate: [-1] }))).toMatchObject({ code: "InvalidArgument", details: { op: "jit", argument: "donate" } });
    expect(thrown(() => jit((x: Tensor) => x, { donate: [0], static: [0] }))).toMatchObject({ code: "InvalidArgument", details: { op: "jit", argument: "donate" } });
    expect(thrown(() => jit((x: Tensor) => x, { donate: [2] })(randn([2])))).toMatchObject({ code: "InvalidArgument", details: { op: "jit", argument: "donate" } });
  });
});

/**
 * Compiled programs keep their buffers in the wasm memory (src/backends/wasm/resident.ts): the
 * planned buffers and the storage recycled from run to run are resident there, so the kernels read
 * and write them in place. Held by the runtime's counter of bytes copied from JS memory into the
 * wasm memory: in steady state a jitted training step (parameters and optimiser state donated)
 * copies only the data batch it is passed, read once by each of the two products that use it
 * (x·w₁ and the weight gradient xᵀ·g); parameters, state and every intermediate stay in place.
 */
import { afterEach, describe, expect, it } from "vitest";
import { backendKernels } from "../../src/backends/backend.js";
import { getThreads, setThreads } from "../../src/backends/wasm/pool.js";
import { copiedIntoWasm, trimMemory } from "../../src/backends/wasm/runtime.js";
import { jit } from "../../src/jit/index.js";
import { crossEntropy } from "../../src/nn/index.js";
import { adam, applyUpdates, type AdamState } from "../../src/optim/index.js";
import { add, getBackend, matmul, mul, randint, randn, relu, rng, setBackend, tanh, valueAndGrad, type Tensor } from "../../src/tensor/index.js";

type Params = { w1: Tensor; b1: Tensor; w2: Tensor; b2: Tensor };
const [inputs, hidden, classes, rows] = [64, 64, 10, 32];

function init(seed: number): Params {
  const r = rng(seed);
  return {
    w1: randn([inputs, hidden], { rng: r }).mul(0.2),
    b1: randn([hidden], { rng: r }).mul(0.1),
    w2: randn([hidden, classes], { rng: r }).mul(0.2),
    b2: randn([classes], { rng: r }).mul(0.1),
  };
}
const batch = (seed: number): [Tensor, Tensor] => {
  const r = rng(seed);
  return [randn([rows, inputs], { rng: r }), randint(0, classes, [rows], { rng: r })];
};
const loss = (p: Params, x: Tensor, y: Tensor) => crossEntropy(add(matmul(relu(add(matmul(x, p.w1), p.b1)), p.w2), p.b2), y);
const opt = adam({ lr: 0.01 });
const step = (p: Params, s: AdamState, x: Tensor, y: Tensor): [Tensor, Params, AdamState] => {
  const [value, grads] = valueAndGrad(loss)(p, x, y) as [Tensor, Params];
  const { updates, state } = opt.update(grads, s, p);
  return [value, applyUpdates(p, updates), state];
};

/** Bytes copied into the wasm memory per step, over `steps` steps after three warm-up steps. */
function copiesPerStep(steps: number): { perStep: number[]; losses: number[] } {
  const jitted = jit(step, { donate: [0, 1] });
  let [p, s] = [init(1), opt.init(init(1))];
  const perStep: number[] = [];
  const losses: number[] = [];
  for (let i = 0; i < 3 + steps; i++) {
    const [x, y] = batch(10 + i);
    const before = copiedIntoWasm();
    const [value, p2, s2] = jitted(p, s, x, y);
    if (i >= 3) perStep.push(copiedIntoWasm() - before);
    losses.push(value.item());
    [p, s] = [p2, s2];
  }
  return { perStep, losses };
}

/** The same steps eagerly: the losses. */
function eagerLosses(steps: number): number[] {
  let [p, s] = [init(1), opt.init(init(1))];
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const [value, p2, s2] = step(p, s, ...batch(10 + i));
    losses.push(value.item());
    [p, s] = [p2, s2];
  }
  return losses;
}

const previous = getBackend();
afterEach(() => setBackend(previous));

describe("jit buffers resident in the wasm memory", () => {
  it("a jitted step copies only its data batch into the wasm memory in steady state, and equals the eager step", () => {
    setBackend("wasm");
    const { perStep, losses } = copiesPerStep(4);
    const xBytes = rows * inputs * 4;
    // The batch x read by the two products, and a few scalar constants of the update splat (4 bytes each).
    expect(new Set(perStep).size).toBe(1);
    expect(perStep[0] - 2 * xBytes).toBeGreaterThanOrEqual(0);
    expect(perStep[0] - 2 * xBytes).toBeLessThan(64);
    eagerLosses(7).forEach((l, i) => expect(Math.abs(losses[i] - l)).toBeLessThan(1e-5));
  });

  it("without resident storage (the code before) the same step copies its parameters and intermediates too", () => {
    setBackend("wasm");
    const wasm = backendKernels("wasm") as { allocateResident?: unknown };
    const saved = wasm.allocateResident;
    wasm.allocateResident = undefined;
    try {
      const { perStep } = copiesPerStep(2);
      expect(perStep[1]).toBeGreaterThan(4 * rows * inputs * 4);
    } finally {
      wasm.allocateResident = saved;
    }
  });

  it("after trimMemory (a new memory) the buffers of the old one move into the new one within a few steps, and the results stay right", () => {
    setBackend("wasm");
    const jitted = jit(step, { donate: [0, 1] });
    let [p, s] = [init(1), opt.init(init(1))];
    const losses: number[] = [];
    const perStep: number[] = [];
    for (let i = 0; i < 10; i++) {
      if (i === 4) trimMemory();
      const [x, y] = batch(10 + i);
      const before = copiedIntoWasm();
      const [value, p2, s2] = jitted(p, s, x, y);
      perStep.push(copiedIntoWasm() - before);
      losses.push(value.item());
      [p, s] = [p2, s2];
    }
    eagerLosses(10).forEach((l, i) => expect(Math.abs(losses[i] - l)).toBeLessThan(1e-5));
    const xBytes = rows * inputs * 4;
    // Right after the trim the old memory's parameters, state and buffers are copied in like JS arrays…
    expect(perStep[4]).toBeGreaterThan(4 * xBytes);
    // …and from the third call on only the batch again, as before the trim (they were not copied for good).
    expect(perStep.slice(6)).toEqual(new Array(4).fill(perStep[3]));
    expect(perStep[3] - 2 * xBytes).toBeLessThan(64);
  });

  it("with two threads, products written in place into resident buffers (and their epilogues) give eager's bits", () => {
    setBackend("wasm");
    const threads = getThreads();
    setThreads(2);
    try {
      const r = rng(5);
      const [x, w, b, v] = [randn([128, 256], { rng: r }), randn([256, 64], { rng: r }), randn([64], { rng: r }), randn([64, 256], { rng: r })];
      // Large enough to split among the threads; h is a planned buffer, the second product's input.
      const f = (x: Tensor, w: Tensor, b: Tensor, v: Tensor) => mul(matmul(tanh(add(matmul(x, w), b)), v), 0.5);
      const g = jit(f);
      const want = Array.from(f(x, w, b, v).data());
      for (let i = 0; i < 3; i++) expect(Array.from(g(x, w, b, v).data())).toEqual(want);
    } finally {
      setThreads(threads);
    }
  });
});

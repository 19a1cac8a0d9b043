/**
 * Concurrent branches of a jitted reverse sweep (src/jit/passes/branches.ts, src/jit/levels.ts,
 * src/backends/wasm/products.ts): the independent products of one level are grouped (shown in the
 * program text) and run side by side on the worker threads; the values and gradients are
 * bit-identical to the sequential sweep (`parallelBranches: false`) on the MLP, a two-head network and
 * generated programs, with 1 and 2 threads; a worker that dies inside a level costs no bit.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { capThreadsForFile } from "../support/threadCap.js";
import { simdAvailable } from "../../src/backends/wasm/features.js";
import { faultPending, injectWorkerFault, runningWorkers, setThreads, stopThreads, workerDeaths } from "../../src/backends/wasm/pool.js";
import { jit } from "../../src/jit/index.js";
import { levelsOf } from "../../src/jit/levels.js";
import { add, logSoftmax, matmul, mul, randn, relu, rng, sum, tanh, trace, valueAndGrad, type Tensor } from "../../src/tensor/index.js";
import { onBackend } from "../support/backends.js";

capThreadsForFile();

type Params = Record<string, Tensor>;

/** Every value's bits: the loss and each gradient, in key order. */
function bitsOf([value, grads]: [Tensor, Params]): number[] {
  return [value.item(), ...Object.keys(grads).flatMap((k) => [...grads[k].data()])];
}

/** The jitted value and gradients of `loss` at `params`, with and without parallel branches, on `threads`. */
function both(loss: (p: Params) => Tensor, params: Params, threads: number): { parallel: number[]; sequential: number[]; text: string } {
  return onBackend("wasm", () => {
    setThreads(threads);
    const parallel = jit(valueAndGrad(loss));
    const sequential = jit(valueAndGrad(loss), { parallelBranches: false });
    return {
      parallel: bitsOf(parallel(params) as [Tensor, Params]),
      sequential: bitsOf(sequential(params) as [Tensor, Params]),
      text: String(parallel.lower(params)),
    };
  });
}

const crossEntropy = (logits: Tensor, labels: Tensor) => mul(sum(mul(labels, logSoftmax(logits, -1))), -1 / logits.shape[0]);

function mlp() {
  const r = rng(1);
  const x = randn([128, 784], { rng: r });
  const labels = randn([128, 10], { rng: r });
  const params: Params = { w1: mul(randn([784, 256], { rng: r }), 0.05), b1: randn([256], { rng: r }), w2: mul(randn([256, 10], { rng: r }), 0.05), b2: randn([10], { rng: r }) };
  const loss = (p: Params) => crossEntropy(add(matmul(relu(add(matmul(x, p.w1), p.b1)), p.w2), p.b2), labels);
  return { loss, params };
}

/** A trunk and two heads: a classifier and a regressor, whose weight gradients and input gradients share levels. */
function twoHeads() {
  const r = rng(2);
  const x = randn([64, 96], { rng: r });
  const labels = randn([64, 10], { rng: r });
  const target = randn([64, 24], { rng: r });
  const params: Params = { w: mul(randn([96, 80], { rng: r }), 0.1), wa: mul(randn([80, 10], { rng: r }), 0.1), wb: mul(randn([80, 24], { rng: r }), 0.1) };
  const loss = (p: Params) => {
    const h = tanh(matmul(x, p.w));
    const a = matmul(h, p.wa);
    const e = add(matmul(h, p.wb), mul(target, -1));
    return add(crossEntropy(a, labels), sum(mul(e, e)));
  };
  return { loss, params };
}

describe.runIf(simdAvailable)("jit: concurrent branches of the reverse sweep", () => {
  it("levelsOf: one more than the highest level read; the two heads' products share a level", () => {
    const { loss, params } = twoHeads();
    const program = trace((w: Tensor, wa: Tensor, wb: Tensor) => loss({ w, wa, wb }))(params.w, params.wa, params.wb);
    const levels = levelsOf(program);
    program.equations.forEach((eq, i) => {
      const producers = eq.inputs.map((v) => program.equations.findIndex((e) => e.output === v)).filter((j) => j >= 0);
      expect(levels[i]).toBe(1 + Math.max(0, ...producers.map((j) => levels[j])));
    });
    const products = program.equations.flatMap((eq, i) => (eq.primitive.name === "matmul" ? [levels[i]] : []));
    expect(products.slice(0, 3)).toEqual([1, 3, 3]); // x·w, then h·wa beside h·wb
  });

  it.each([1, 2])("the MLP's value and gradients are bit-identical to the sequential sweep (%i threads)", (threads) => {
    const { loss, params } = mlp();
    const { parallel, sequential, text } = both(loss, params, threads);
    expect(parallel).toEqual(sequential);
    // Its one pair of a level, hᵀ·g beside g·W₂ᵀ, is not grouped on wasm: g·W₂ᵀ runs with relu's
    // gradient as its epilogue (passes/epilogue.ts), which the grouping leaves alone.
    expect(text).toMatch(/fused\[ops=\(matmul,reluGrad\)/);
    expect(text).not.toContain("branch=");
    const off = onBackend("wasm", () => String(jit(valueAndGrad(loss), { parallelBranches: false }).lower(params)));
    expect(off).not.toContain("branch=");
  });

  it.each([1, 2])("a two-head network's value and gradients are bit-identical to the sequential sweep (%i threads)", (threads) => {
    const { loss, params } = twoHeads();
    const { parallel, sequential, text } = both(loss, params, threads);
    expect(parallel).toEqual(sequential);
    expect(text).toContain("of=2");
  });

  it("generated programs (products and elementwise ops over a few matrices): bit-identical to the sequential sweep on 1 and 2 threads (property)", () => {
    const step = fc.record({ op: fc.constantFrom("matmul", "add", "tanh", "mul"), a: fc.nat(), b: fc.nat() });
    fc.assert(
      fc.property(fc.integer({ min: 16, max: 40 }), fc.array(step, { minLength: 2, maxLength: 7 }), fc.integer(), (d, steps, seed) => {
        const r = rng(seed);
        const x = randn([d, d], { rng: r });
        const params: Params = { u: mul(randn([d, d], { rng: r }), 0.2), v: mul(randn([d, d], { rng: r }), 0.2), w: mul(randn([d, d], { rng: r }), 0.2) };
        const loss = (p: Params) => {
          const values: Tensor[] = [x, p.u, p.v, p.w];
          for (const { op, a, b } of steps) {
            const [s, t] = [values[a % values.length], values[b % values.length]];
            values.push(op === "matmul" ? matmul(s, t) : op === "add" ? add(s, t) : op === "mul" ? mul(s, t) : tanh(s));
          }
          return sum(
            mul(
              values.slice(1).reduce((acc, v) => add(acc, v)),
              0.01,
            ),
          );
        };
        for (const threads of [1, 2]) {
          const { parallel, sequential } = both(loss, params, threads);
          expect(parallel).toEqual(sequential);
        }
      }),
      { numRuns: 12 },
    );
  });

  it("the products of a level run on the workers: a worker that throws or exits inside one costs no bit", async () => {
    // Every product here is below the size that splits one product by panels: only a group reaches a worker.
    const { loss, params } = twoHeads();
    const expected = both(loss, params, 1).sequential;
    const f = onBackend("wasm", () => jit(valueAndGrad(loss)));
    const run = () => onBackend("wasm", () => bitsOf(f(params) as [Tensor, Params]));
    for (const fault of ["throw", "exit"] as const) {
      stopThreads();
      setThreads(2);
      expect(run()).toEqual(expected);
      const deaths = workerDeaths();
      injectWorkerFault(0, fault);
      // Parts are claimed as threads come (pool.ts): on a busy machine this thread may take them all for
      // a while, so the fault waits for worker 0 to claim one (as in the kernel tests: up to 200 runs).
      for (let i = 0; i < 200 && faultPending(); i++) expect(run()).toEqual(expected);
      expect(faultPending()).toBe(false);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(run()).toEqual(expected);
      expect(workerDeaths()).toBe(deaths + (fault === "exit" ? 1 : 0));
      expect(runningWorkers()).toBe(1);
    }
  }, 60_000);
});

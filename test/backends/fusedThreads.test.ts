/**
 * Fused kernels split among the worker threads (src/backends/wasm/fusedParts.ts): on generated
 * programs (stored or summed, splat inputs, odd lengths) the split kernel gives the one-thread
 * kernel's bits and flags, with 2 and 3 threads; the parts really run on the workers (an injected
 * fault fires); a worker that dies or throws inside a fused part costs no bit; a jitted chain and its
 * gradient give the same bits on 1 and 2 threads.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { capThreadsForFile } from "../support/threadCap.js";
import type { FusedProgram, FusedProgramOp } from "../../src/backends/fused.js";
import type { View } from "../../src/backends/view.js";
import { compileFused } from "../../src/backends/wasm/fused.js";
import { emitFused } from "../../src/backends/wasm/fusedKernels.js";
import { moduleBuilder, wasmRuntime } from "../../src/backends/wasm/runtime.js";
import { simdAvailable } from "../../src/backends/wasm/features.js";
import { faultPending, injectWorkerFault, poolFor, runningWorkers, setThreads, stopThreads, workerDeaths } from "../../src/backends/wasm/pool.js";
import { jit } from "../../src/jit/index.js";
import { add, grad, mul, sin, slice, sum, tensor, valueAndGrad, type Tensor } from "../../src/tensor/index.js";
import { onBackend } from "../support/backends.js";
import { thrown } from "../support/errorCode.js";

type Float = "float32" | "float64";

capThreadsForFile();

const UNARY: Record<Float, readonly string[]> = { float32: ["neg", "abs", "relu", "sqrt", "exp", "log", "sin", "cos", "tanh", "sigmoid"], float64: ["neg", "abs", "relu", "sqrt"] };
const BINARY = ["add", "sub", "mul", "div", "maximum", "minimum"];

const values = (n: number, seed: number) => Array.from({ length: n }, (_, i) => Math.sin(i * 1.3 + seed * 7.1) * 4);

interface Case {
  readonly program: FusedProgram;
  readonly inputs: readonly View[];
}

/** A chain of `ops` random ops over `inputs` inputs (input 0 a scalar when `splat`), stored or summed. */
const programs = fc
  .record({
    dtype: fc.constantFrom<Float>("float32", "float64"),
    n: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1000, max: 5000 })),
    inputs: fc.integer({ min: 1, max: 4 }),
    picks: fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat()), { minLength: 1, maxLength: 8 }),
    sum: fc.boolean(),
    splat: fc.boolean(),
    seed: fc.nat(1000),
  })
  .map(({ dtype, n, inputs, picks, sum: summed, splat, seed }): Case => {
    const ops: FusedProgramOp[] = picks.map(([which, a, b], k) => {
      // Each op reads an input or an earlier op's result; the last op depends on the one before.
      const operand = (r: number) => (k > 0 && r % 2 === 0 ? { op: k - 1 - (r % k) } : { input: r % inputs });
      const unary = UNARY[dtype];
      return which % 2 === 0
        ? { name: unary[which % unary.length] as FusedProgramOp["name"], args: [operand(a)], dtype }
        : { name: BINARY[which % BINARY.length] as FusedProgramOp["name"], args: [operand(a), operand(b)], dtype };
    });
    const views = Array.from({ length: inputs }, (_, j): View => {
      const storage = (dtype === "float32" ? Float32Array : Float64Array).from(values(splat && j === 0 ? 1 : n, seed + j));
      return { storage, dtype, shape: [n], strides: [splat && j === 0 ? 0 : 1], offset: 0 };
    });
    return { program: { ops, inputs, shape: [n], sum: summed, windows: views.map(() => undefined) }, inputs: views };
  });

/** The kernel's return and output bits: `minSplitWork` Infinity runs on one thread, 0 splits every call. */
function runKernel({ program, inputs }: Case, minSplitWork: number): { ok: boolean | undefined; bits: number[] } {
  const kernel = compileFused(program, 0, minSplitWork);
  const dtype = program.ops[program.ops.length - 1].dtype;
  const out = dtype === "float32" ? new Float32Array(program.sum ? 1 : program.shape[0]) : new Float64Array(program.sum ? 1 : program.shape[0]);
  const ok = kernel?.(inputs, out);
  return { ok, bits: [...out] };
}

/** A fixed case big enough to split: sin, mul, exp over 4099 float32 elements, stored or summed. */
function fixed(summed: boolean): Case {
  const n = 4099;
  const dtype = "float32";
  const ops: FusedProgramOp[] = [
    { name: "sin", args: [{ input: 0 }], dtype },
    { name: "mul", args: [{ op: 0 }, { input: 1 }], dtype },
    { name: "exp", args: [{ op: 1 }], dtype },
  ];
  const inputs = [0, 1].map((j): View => ({ storage: Float32Array.from(values(n, j)), dtype, shape: [n], strides: [1], offset: 0 }));
  return { program: { ops, inputs: 2, shape: [n], sum: summed, windows: [undefined, undefined] }, inputs };
}

describe.runIf(simdAvailable)("fused kernels on threads", () => {
  it.each([2, 3])("a generated program split %i ways gives the one-thread kernel's bits and flag (property)", (threads) => {
    setThreads(threads);
    fc.assert(
      fc.property(programs, (c) => {
        const one = runKernel(c, Infinity);
        const split = runKernel(c, 0);
        expect(split.ok).toBe(one.ok);
        if (one.ok === true) expect(split.bits.map((v) => (Object.is(v, -0) ? "-0" : v))).toEqual(one.bits.map((v) => (Object.is(v, -0) ? "-0" : v)));
      }),
      { numRuns: 40 },
    );
  });

  it("the parts run on the workers: a fault injected into a worker fires during a fused call, which still gives the one-thread bits", () => {
    stopThreads();
    setThreads(2);
    for (const summed of [false, true]) {
      const c = fixed(summed);
      const one = runKernel(c, Infinity);
      expect(one.ok).toBe(true);
      expect(runKernel(c, 0)).toEqual(one); // starts the worker
      injectWorkerFault(0, "throw");
      for (let i = 0; i < 200 && faultPending(); i++) expect(runKernel(c, 0)).toEqual(one);
      expect(faultPending()).toBe(false);
      expect(runKernel(c, 0)).toEqual(one);
    }
    expect(workerDeaths()).toBe(0);
  });

  it("a worker that exits inside a fused part: the call completes with the one-thread bits, and the worker is replaced", async () => {
    stopThreads();
    setThreads(2);
    const c = fixed(true);
    const one = runKernel(c, Infinity);
    expect(runKernel(c, 0)).toEqual(one);
    injectWorkerFault(0, "exit");
    for (let i = 0; i < 200 && faultPending(); i++) expect(runKernel(c, 0)).toEqual(one);
    expect(faultPending()).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(runKernel(c, 0)).toEqual(one);
    expect(workerDeaths()).toBe(1);
    expect(runningWorkers()).toBe(1);
  }, 60_000);

  it("an attached kernel that fails on the workers and on the calling thread: an AdError naming it, and the pool stays usable", () => {
    setThreads(2);
    const c = fixed(false);
    const one = runKernel(c, Infinity);
    expect(runKernel(c, 0)).toEqual(one); // starts the worker
    const rt = wasmRuntime();
    const pool = rt?.poolTarget === undefined ? undefined : poolFor(rt.poolTarget);
    if (rt === undefined || pool === undefined) throw new Error("no pool");
    const builder = moduleBuilder();
    emitFused(builder, c.program, "float32", ["vector", "vector"]);
    const bytes = builder.encode();
    const attached = pool.attach(bytes);
    expect(attached).toBeDefined();
    expect(pool.attach(bytes)).toEqual(attached); // once per module
    const fn = rt.attach(bytes).fused as (...args: number[]) => number;
    // Inputs past the end of memory: the load traps on every thread.
    const past = rt.memory.buffer.byteLength;
    const part = [past, past, 0, 4, 0, 0];
    const e = thrown(() => pool.run(attached as NonNullable<typeof attached>, [part, part], (args) => fn(...args)));
    expect(e.code).toBe("UnsupportedOp");
    expect(e.details.op).toBe("fused");
    // A part with more arguments than a worker's slot holds is refused before anything runs.
    const long = Array.from({ length: 17 }, () => 0);
    expect(thrown(() => pool.run(attached as NonNullable<typeof attached>, [long, long], () => 0)).code).toBe("UnsupportedOp");
    expect(runKernel(c, 0)).toEqual(one);
  });

  it("a jitted elementwise chain and its gradient (n = 1e5) give the same bits on 1 and 2 threads", () => {
    const n = 100_000;
    const x = tensor(Float32Array.from(values(n, 3)));
    // f(x) = Σ sin(aᵢ)·bᵢ + aᵢ², a = x[0 .. n−2], b = x[1 .. n−1] (the benchmark's chain)
    const f = (v: Tensor) => {
      const [a, b] = [slice(v, [[0, n - 1]]), slice(v, [[1, n]])];
      return sum(add(mul(sin(a), b), mul(a, a)));
    };
    const run = (threads: number) =>
      onBackend("wasm", () => {
        setThreads(threads);
        const [value, g] = jit(valueAndGrad(f))(x) as [Tensor, Tensor];
        return [value.item(), ...g.data(), ...(jit(grad(f))(x) as Tensor).data()];
      });
    const one = run(1);
    const two = run(2);
    expect(two).toEqual(one);
    expect(runningWorkers()).toBeGreaterThanOrEqual(1);
  });
});

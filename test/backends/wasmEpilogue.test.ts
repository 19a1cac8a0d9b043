/**
 * The wasm backend's matmul epilogues (src/backends/wasm/epilogue.ts): a fused group run over the
 * gemm's rows gives the bits of the wasm product followed by the group's own wasm kernel, for every
 * input layout it reads (the product anywhere among the inputs, a scalar, a bias row, a full array)
 * and both float dtypes; against the cpu reference (its matmul, then the group's expressions) within
 * float rounding of the product. Layouts it cannot read in place, and batched or small products, are
 * declined (false), never computed wrong.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backendKernels } from "../../src/backends/backend.js";
import { BINARY_EXPRESSIONS, UNARY_EXPRESSIONS } from "../../src/backends/expressions.js";
import type { FusedProgram, FusedProgramOp } from "../../src/backends/fused.js";
import type { View } from "../../src/backends/view.js";
import { compileEpilogue } from "../../src/backends/wasm/epilogue.js";
import { compileFused } from "../../src/backends/wasm/fused.js";
import { matmul } from "../../src/backends/wasm/matmul.js";
import { setThreads, getThreads } from "../../src/backends/wasm/pool.js";

type Float = "float32" | "float64";
type FloatArray = Float32Array | Float64Array;
type Layout = "splat" | "row" | "full";

const rowMajor = (shape: readonly number[]) => shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
function view(dtype: Float, n: number, shape: readonly number[], seed: number, strides = rowMajor(shape), offset = 0): View {
  const storage = dtype === "float32" ? new Float32Array(n + offset) : new Float64Array(n + offset);
  for (let i = 0; i < storage.length; i++) storage[i] = Math.sin(i * 1.3 + seed) * 2;
  return { storage, dtype, shape, strides, offset };
}
/** An epilogue input of layout `l`, broadcast to [m, n]. */
function input(dtype: Float, l: Layout, m: number, n: number, seed: number): View {
  if (l === "splat") return view(dtype, 1, [m, n], seed, [0, 0], 0);
  if (l === "row") return view(dtype, n, [m, n], seed, [0, 1]);
  return view(dtype, m * n, [m, n], seed);
}

/** (product op x₁) → unary → (· op x₂): the product at input `at` of 3. */
function program(dtype: Float, m: number, n: number, at: number, binary: [string, string], unary: string): FusedProgram {
  const others = [0, 1, 2].filter((j) => j !== at);
  const ops: FusedProgramOp[] = [
    { name: binary[0] as FusedProgramOp["name"], args: [{ input: at }, { input: others[0] }], dtype },
    { name: unary as FusedProgramOp["name"], args: [{ op: 0 }], dtype },
    { name: binary[1] as FusedProgramOp["name"], args: [{ input: others[1] }, { op: 1 }], dtype },
  ];
  return { ops, inputs: 3, shape: [m, n], sum: false, windows: [undefined, undefined, undefined] };
}

const alloc = (dtype: Float, n: number): FloatArray => (dtype === "float32" ? new Float32Array(n) : new Float64Array(n));
const fnOf = (name: string) => ((UNARY_EXPRESSIONS as Record<string, unknown>)[name] ?? (BINARY_EXPRESSIONS as Record<string, unknown>)[name]) as (...xs: number[]) => number;

interface Case {
  readonly dtype: Float;
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly at: number;
  readonly layouts: readonly [Layout, Layout];
  readonly binary: [string, string];
  readonly unary: string;
}

function check(c: Case): void {
  const { dtype, m, k, n, at } = c;
  const p = program(dtype, m, n, at, c.binary, c.unary);
  const a = view(dtype, m * k, [m, k], 1);
  const b = view(dtype, k * n, [k, n], 2);
  const others = c.layouts.map((l, i) => input(dtype, l, m, n, 3 + i));
  const inputs: View[] = [];
  for (let j = 0, o = 0; j < 3; j++) inputs.push(j === at ? view(dtype, 0, [m, n], 0, [0, 0]) : others[o++]);
  const kernel = compileEpilogue(p, at, 1);
  expect(kernel).toBeDefined();
  const got = alloc(dtype, m * n);
  expect(kernel?.(a, b, inputs, got)).toBe(true);
  // The wasm product, then the group's own kernel over it: the same bits.
  const product = matmul(a, b, [], dtype, 1) as FloatArray;
  const withProduct = inputs.map((v, j) => (j === at ? { storage: product, dtype, shape: [m, n], strides: rowMajor([m, n]), offset: 0 } : v));
  const apart = alloc(dtype, m * n);
  expect(compileFused(p, 0)?.(withProduct, apart)).toBe(true);
  expect(Array.from(got)).toEqual(Array.from(apart));
  // The cpu reference: its product, then the expressions; within the product's rounding.
  const ref = backendKernels("cpu").matmul(a, b, [], dtype) as FloatArray;
  const round = (v: number) => (dtype === "float32" ? Math.fround(v) : v);
  for (let i = 0; i < m; i++) {
    for (let q = 0; q < n; q++) {
      const xs = inputs.map((v, j) => (j === at ? ref[i * n + q] : (v.storage as FloatArray)[v.offset + i * v.strides[0] + q * v.strides[1]]));
      const t: number[] = [];
      for (const op of p.ops) t.push(round(fnOf(op.name)(...op.args.map((x) => ("input" in x ? xs[x.input] : t[x.op])))));
      if (Number.isNaN(t[2])) expect(got[i * n + q]).toBeNaN();
      else expect(Math.abs(got[i * n + q] - t[2])).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(t[2])));
    }
  }
}

const layout = fc.constantFrom<Layout>("splat", "row", "full");
const binaries = fc.constantFrom<[string, string]>(["add", "mul"], ["sub", "add"], ["maximum", "sub"], ["reluGrad", "add"]);
const unaries = fc.constantFrom("relu", "tanh", "exp", "gelu", "neg", "abs");

describe("wasm matmul epilogues", () => {
  it("equal the product then the group's kernel (bits), and the cpu reference (rounding): generated shapes, layouts, dtypes", () => {
    fc.assert(
      fc.property(
        fc.record({
          dtype: fc.constantFrom<Float>("float32", "float64"),
          m: fc.integer({ min: 1, max: 37 }),
          k: fc.integer({ min: 1, max: 41 }),
          n: fc.integer({ min: 1, max: 45 }),
          at: fc.nat(2),
          layouts: fc.tuple(layout, layout),
          binary: binaries,
          unary: fc.constantFrom("relu", "neg", "abs"),
        }),
        (c) => check(c),
      ),
      { numRuns: 60 },
    );
    fc.assert(
      fc.property(fc.record({ m: fc.integer({ min: 1, max: 20 }), n: fc.integer({ min: 1, max: 20 }), binary: binaries, unary: unaries }), (c) =>
        check({ ...c, dtype: "float32", k: 9, at: 0, layouts: ["row", "full"] }),
      ),
      { numRuns: 20 },
    );
  });

  it("the same bits when the product is split among worker threads", () => {
    const before = getThreads();
    setThreads(2);
    try {
      check({ dtype: "float32", m: 130, k: 64, n: 131, at: 1, layouts: ["row", "full"], binary: ["add", "mul"], unary: "relu" });
      // More column panels than row panels, split by rows: each part's rows get the epilogue as they are collected.
      check({ dtype: "float32", m: 64, k: 64, n: 300, at: 0, layouts: ["row", "full"], binary: ["add", "mul"], unary: "relu" });
    } finally {
      setThreads(before);
    }
  });

  it("declines what it cannot read in place, and does not compile sums, windows, sin/cos or a rank other than 2", () => {
    const p = program("float32", 4, 6, 0, ["add", "mul"], "relu");
    const kernel = compileEpilogue(p, 0, 1);
    const a = view("float32", 20, [4, 5], 1);
    const b = view("float32", 30, [5, 6], 2);
    const transposed = view("float32", 24, [4, 6], 3, [1, 4]);
    const out = new Float32Array(24);
    expect(kernel?.(a, b, [a, transposed, input("float32", "row", 4, 6, 4)], out)).toBe(false);
    expect(compileEpilogue(p, 0)?.(a, b, [a, input("float32", "row", 4, 6, 3), input("float32", "row", 4, 6, 4)], out)).toBe(false); // below the work threshold
    expect(compileEpilogue({ ...p, sum: true }, 0)).toBeUndefined();
    expect(compileEpilogue({ ...p, windows: [undefined, { start: [0, 0], size: [2, 2] }, undefined] }, 0)).toBeUndefined();
    expect(compileEpilogue(program("float32", 4, 6, 0, ["add", "mul"], "sin"), 0)).toBeUndefined();
    expect(compileEpilogue({ ...p, shape: [2, 2, 6] }, 0)).toBeUndefined();
  });
});

/**
 * The expression table (src/backends/expressions.ts) against every backend: each op has a reference
 * function, and each backend's `unary` / `binary` / `where` computes it over views as that function
 * stored in the output dtype (float32 rounding, int32 wrap, bool 0/1) — on a grid with NaN, ±0, ±∞,
 * subnormals and the int32 limits. Small operands go the whole backend chain (the wasm backend
 * leaves them to the reference); large ones reach the SIMD kernels, which must equal the reference
 * bit for bit for the IEEE ops and the comparisons (the transcendental ones, held to one float32 ulp,
 * are checked in wasmElementwise.test.ts).
 */
import { describe, expect, it } from "vitest";
import { availableBackends, kernels } from "../../src/backends/backend.js";
import { allocate, type DType, type Storage } from "../../src/backends/dtype.js";
import { BINARY_EXPRESSIONS, type BinaryOp, INT32_BINARY_EXPRESSIONS, UNARY_EXPRESSIONS, type UnaryOp, WHERE_EXPRESSION } from "../../src/backends/expressions.js";
import { contiguousStrides, type Shape } from "../../src/backends/shape.js";
import type { View } from "../../src/backends/view.js";
import { BINARY as WASM_BINARY, UNARY as WASM_UNARY } from "../../src/backends/wasm/elementwiseKernels.js";
import { binaryRules, unaryRules } from "../../src/scalar/elementary.js";
import { onBackend } from "../support/backends.js";

const GRID = [0, -0, 1, -1, 0.5, -2.5, 3, 7.5, 1e-7, 5e-324, 1e30, -1e30, Infinity, -Infinity, NaN, 2 ** 31 - 1, -(2 ** 31), 2 ** 31];
const DTYPES = ["float32", "float64", "int32"] as const;
const COMPARISONS: readonly BinaryOp[] = ["eq", "ne", "lt", "le", "gt", "ge"];
const UNARY_OPS = Object.keys(UNARY_EXPRESSIONS) as UnaryOp[];
const BINARY_OPS = Object.keys(BINARY_EXPRESSIONS) as BinaryOp[];
/** Ops whose SIMD kernels are correctly rounded, so equal to the reference at any size. */
const EXACT = new Set<string>(["neg", "abs", "relu", "sqrt", "rsqrt", "add", "sub", "mul", "div", "maximum", "minimum", "reluGrad", "mulSafe", "divSafe", ...COMPARISONS]);

/** A contiguous view of `values` stored as `dtype`. */
function view(dtype: DType, values: readonly number[], shape: Shape = [values.length]): View {
  const storage = allocate(dtype, values.length);
  values.forEach((v, i) => (storage[i] = v));
  return { storage, dtype, shape, strides: contiguousStrides(shape), offset: 0 };
}

/** What `f` gives, element by element, stored as `dtype` (the typed array's own conversion). */
function stored(dtype: DType, values: readonly number[]): Storage {
  return view(dtype, values).storage as Storage;
}

/** The elements as numbers; NaN, ±0 and ±∞ compared by Object.is through toEqual. */
const list = (s: Storage) => Array.from(s as ArrayLike<number>);

/** The grid repeated to `n` elements (large enough for the wasm kernels, or not). */
const tiled = <T>(values: readonly T[], n: number): T[] => Array.from({ length: n }, (_, i) => values[i % values.length]);

describe("the expression table", () => {
  it("has a reference function for every op, the scalar table's where that has the function", () => {
    for (const f of [...Object.values(UNARY_EXPRESSIONS), ...Object.values(BINARY_EXPRESSIONS), WHERE_EXPRESSION]) expect(typeof f).toBe("function");
    for (const op of UNARY_OPS) if (op in unaryRules) expect(UNARY_EXPRESSIONS[op]).toBe(unaryRules[op as keyof typeof unaryRules].primal);
    expect(BINARY_EXPRESSIONS.pow).toBe(binaryRules.pow.primal);
    // The arithmetic operators are the table's own function objects (see expressions.ts), computing the same.
    for (const op of ["add", "sub", "mul", "div"] as const) {
      expect(BINARY_EXPRESSIONS[op]).not.toBe(binaryRules[op].primal);
      for (const [a, b] of [
        [1.5, -2],
        [0.1, 0.2],
        [-0, 0],
        [Infinity, -Infinity],
        [NaN, 1],
        [2 ** 60, 3],
      ])
        expect(BINARY_EXPRESSIONS[op](a, b)).toBe(binaryRules[op].primal(a, b));
    }
    expect(BINARY_EXPRESSIONS.maximum).toBe(binaryRules.max.primal);
    expect(BINARY_EXPRESSIONS.minimum).toBe(binaryRules.min.primal);
  });

  it("covers every op the wasm kernels implement", () => {
    for (const op of Object.keys(WASM_UNARY)) expect(UNARY_OPS).toContain(op);
    for (const op of Object.keys(WASM_BINARY)) expect(BINARY_OPS).toContain(op);
  });
});

describe.each(availableBackends())("the %s backend computes every expression as the table's function", (backend) => {
  describe.each([GRID.length, 4096])("on %i elements", (n) => {
    it.each(UNARY_OPS)("%s", (op) => {
      const f = UNARY_EXPRESSIONS[op];
      const exact = n === GRID.length || EXACT.has(op);
      for (const dtype of DTYPES) {
        const x = view(dtype, tiled(GRID, n));
        const outDtypes: DType[] = op === "toBool" ? ["bool"] : op === "convert" ? [...DTYPES, "bool"] : [dtype];
        for (const out of outDtypes) {
          const got = onBackend(backend, () => kernels().unary(op, x, out));
          expect(got).toBeInstanceOf(allocate(out, 0).constructor);
          if (exact || dtype !== "float32") expect(list(got)).toEqual(list(stored(out, list(x.storage as Storage).map(f))));
        }
      }
    });

    it.each(BINARY_OPS)("%s", (op) => {
      const f = BINARY_EXPRESSIONS[op];
      const exact = n === GRID.length || EXACT.has(op);
      const pairs = GRID.flatMap((a) => GRID.map((b) => [a, b]));
      const m = Math.max(n, pairs.length);
      for (const dtype of DTYPES) {
        const a = view(
          dtype,
          tiled(pairs, m).map(([x]) => x),
        );
        const b = view(
          dtype,
          tiled(pairs, m).map(([, y]) => y),
        );
        const out: DType = COMPARISONS.includes(op) ? "bool" : dtype;
        const got = onBackend(backend, () => kernels().binary(op, a, b, [m], out));
        expect(got).toBeInstanceOf(allocate(out, 0).constructor);
        const as = list(a.storage as Storage);
        const bs = list(b.storage as Storage);
        if (exact || dtype !== "float32")
          expect(list(got)).toEqual(
            list(
              stored(
                out,
                as.map((x, i) => (out === "int32" ? (INT32_BINARY_EXPRESSIONS[op] ?? f) : f)(x, bs[i])),
              ),
            ),
          );
      }
    });
  });

  it("comparisons give bool (0/1) whatever the operands' dtype, NaN false except under ne", () => {
    const a = view("float32", [NaN, 1, 2]);
    const b = view("float32", [NaN, 1, 1]);
    const run = (op: BinaryOp) => list(onBackend(backend, () => kernels().binary(op, a, b, [3], "bool")));
    expect(run("eq")).toEqual([0, 1, 0]);
    expect(run("ne")).toEqual([1, 0, 1]);
    expect(run("lt")).toEqual([0, 0, 0]);
    expect(run("ge")).toEqual([0, 1, 1]);
  });

  it("int32 stores wrap: add, neg and abs at the limits", () => {
    const x = view("int32", [2 ** 31 - 1, -(2 ** 31)]);
    expect(list(onBackend(backend, () => kernels().binary("add", x, view("int32", [1]), [2], "int32")))).toEqual([-(2 ** 31), -(2 ** 31) + 1]);
    expect(list(onBackend(backend, () => kernels().unary("neg", x, "int32")))).toEqual([-(2 ** 31) + 1, -(2 ** 31)]);
    expect(list(onBackend(backend, () => kernels().unary("abs", x, "int32")))).toEqual([2 ** 31 - 1, -(2 ** 31)]);
  });

  it("int32 mul and prod wrap modulo 2³² exactly, past 2⁵³ where a double would round (as PyTorch)", () => {
    const a = view("int32", [123456789, -987654321, 2 ** 31 - 1]);
    const b = view("int32", [987654321, 987654321, 2 ** 31 - 1]);
    const want = [Math.imul(123456789, 987654321), Math.imul(-987654321, 987654321), 1];
    // The double product rounds: its wrap is not the exact one (the test would pass vacuously otherwise).
    expect(new Int32Array([123456789 * 987654321])[0]).not.toBe(want[0]);
    expect(list(onBackend(backend, () => kernels().binary("mul", a, b, [3], "int32")))).toEqual(want);
    const prod = list(onBackend(backend, () => kernels().reduce("prod", view("int32", [123456789, 987654321, 3]), [0], false)));
    expect(prod).toEqual([Math.imul(Math.imul(123456789, 987654321), 3)]);
  });

  it("where selects by cond ≠ 0 over broadcast strided views, in a's dtype", () => {
    const cond = view("bool", [1, 0, 1]);
    // a: a [2, 3] view read transposed from [3, 2] storage; b: a scalar broadcast.
    const a: View = { storage: Float64Array.from([0, 1, 2, 3, 4, 5]), dtype: "float64", shape: [2, 3], strides: [1, 2], offset: 0 };
    const b = view("float64", [NaN], []);
    const got = onBackend(backend, () => kernels().where(cond, a, b, [2, 3]));
    expect(got).toBeInstanceOf(Float64Array);
    const want = [0, 2, 4, 1, 3, 5].map((x, i) => WHERE_EXPRESSION([1, 0, 1][i % 3], x, NaN));
    expect(list(got)).toEqual(want);
  });
});

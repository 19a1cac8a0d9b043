/**
 * The wasm backend's fused kernels (src/backends/wasm/fused.ts) against the JS fused loop's
 * semantics: each op the expression table's function, each result rounded to its dtype, a sum added
 * in float64. IEEE ops (+ − × ÷ √, neg, abs, max, min, relu and the gradient helpers) agree bit for
 * bit; the SIMD polynomials (exp, log, sin, …, pow) within one float32 ulp per op as the single
 * kernels are held (wasmElementwise.test.ts), so a chain with them within float32 rounding; a SIMD sum
 * adds in another order, so within float32 rounding of the total. Walks the expression table: an op
 * with no wasm form must be on NO_WASM_FORM (a new op is caught), and one that gains a form must
 * leave it.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backendKernels } from "../../src/backends/backend.js";
import { BINARY_EXPRESSIONS, UNARY_EXPRESSIONS } from "../../src/backends/expressions.js";
import type { FusedProgram, FusedProgramOp, FusedWindow } from "../../src/backends/fused.js";
import type { View } from "../../src/backends/view.js";
import { compileFused } from "../../src/backends/wasm/fused.js";
import { TRIG_LIMIT } from "../../src/backends/wasm/math.js";
import { jit } from "../../src/jit/index.js";
import { add, atan2, mul, sin, sum, tensor, type Tensor } from "../../src/tensor/index.js";
import { onBackend } from "../support/backends.js";

type Float = "float32" | "float64";
type FloatArray = Float32Array | Float64Array;

/** The ops whose fused group stays a JS loop on wasm (no SIMD body for that dtype): may only shrink. */
const NO_WASM_FORM: Record<Float, readonly string[]> = {
  float32: ["sign", "cbrt", "expm1", "log1p", "log2", "log10", "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "floor", "ceil", "trunc", "round"].concat([
    "convert",
    "toBool",
    "floorDiv",
    "atan2",
    "hypot",
    "logaddexp",
    "fmod",
    "remainder",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
  ]),
  float64: ["sign", "exp", "log", "sin", "cos", "tanh", "sigmoid", "softplus", "erf", "cbrt", "expm1", "log1p", "log2", "log10", "tan", "asin", "acos", "atan"]
    .concat(["sinh", "cosh", "asinh", "acosh", "atanh", "floor", "ceil", "trunc", "round", "gelu", "geluTanh", "convert", "toBool", "floorDiv", "pow"])
    .concat(["atan2", "hypot", "logaddexp", "fmod", "remainder", "eq", "ne", "lt", "le", "gt", "ge"]),
};
/** The ops the SIMD kernels compute exactly (IEEE, correctly rounded): bit for bit. */
const EXACT = new Set(["neg", "abs", "relu", "sqrt", "rsqrt", "add", "sub", "mul", "div", "maximum", "minimum", "reluGrad", "mulSafe", "divSafe"]);

const fnOf = (name: string) => ((UNARY_EXPRESSIONS as Record<string, unknown>)[name] ?? (BINARY_EXPRESSIONS as Record<string, unknown>)[name]) as (...xs: number[]) => number;

/** The JS fused loop's result (row-major over `shape`, each input read through its strides; windows read as 0 outside). */
function reference(program: FusedProgram, inputs: readonly View[]): number[] {
  const { shape } = program;
  const n = shape.reduce((a, b) => a * b, 1);
  const round = (dtype: string, v: number) => (dtype === "float32" ? Math.fround(v) : v);
  const out: number[] = [];
  let total = 0;
  for (let k = 0; k < n; k++) {
    const index = shape.map((_, d) => Math.floor(k / shape.slice(d + 1).reduce((a, b) => a * b, 1)) % shape[d]);
    const xs = inputs.map((v, j) => {
      const w = program.windows[j];
      const at = w === undefined ? index : index.map((c, d) => c - w.start[d]);
      if (w !== undefined && at.some((c, d) => c < 0 || c >= w.size[d])) return 0;
      return (v.storage as FloatArray)[v.offset + at.reduce((s, c, d) => s + c * v.strides[d], 0)];
    });
    const ts: number[] = [];
    for (const op of program.ops) ts.push(round(op.dtype, fnOf(op.name)(...op.args.map((a) => ("input" in a ? xs[a.input] : ts[a.op])))));
    if (program.sum) total += ts[ts.length - 1];
    else out.push(ts[ts.length - 1]);
  }
  return program.sum ? [round(program.ops[program.ops.length - 1].dtype, total)] : out;
}

/** Runs the wasm kernel (which must exist and accept the call) into a fresh array. */
function run(program: FusedProgram, inputs: readonly View[]): number[] {
  const kernel = compileFused(program, 0);
  expect(kernel).toBeDefined();
  const dtype = program.ops[program.ops.length - 1].dtype as Float;
  const n = program.sum ? 1 : program.shape.reduce((a, b) => a * b, 1);
  const out = dtype === "float32" ? new Float32Array(n) : new Float64Array(n);
  expect(kernel?.(inputs, out)).toBe(true);
  return [...out];
}

function expectClose(got: readonly number[], want: readonly number[], exact: boolean, tolerance = 1e-6): void {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => {
    const w = want[i];
    if (exact || !Number.isFinite(w)) expect(Object.is(g, w) || (Number.isNaN(g) && Number.isNaN(w)), `element ${i}: got ${g}, want ${w}`).toBe(true);
    else expect(Math.abs(g - w), `element ${i}: got ${g}, want ${w}`).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(w)));
  });
}

/** A contiguous view of `values` (strides broadcast to `shape` by the caller when given). */
function view(dtype: Float, values: readonly number[], shape: readonly number[], strides?: readonly number[], offset = 0): View {
  const storage = dtype === "float32" ? Float32Array.from(values) : Float64Array.from(values);
  const rowMajor = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  return { storage, dtype, shape, strides: strides ?? rowMajor, offset };
}

const values = (n: number, seed: number) => Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + seed) * 3.5);
const single = (name: string, dtype: Float, arity: number, shape: readonly number[]): FusedProgram => ({
  ops: [{ name: name as FusedProgramOp["name"], args: Array.from({ length: arity }, (_, j) => ({ input: j })), dtype }],
  inputs: arity,
  shape,
  sum: false,
  windows: Array.from({ length: arity }, () => undefined),
});

describe("wasm fused kernels", () => {
  for (const dtype of ["float32", "float64"] as const) {
    it(`every op of the expression table has a wasm form or is listed without one (${dtype}), and matches the JS loop`, () => {
      const n = 37; // 9 vectors and a tail (float32), 18 and a tail (float64)
      const ops: [string, number][] = [
        ...Object.keys(UNARY_EXPRESSIONS).map((k): [string, number] => [k, 1]),
        ...Object.keys(BINARY_EXPRESSIONS).map((k): [string, number] => [k, 2]),
      ];
      const missing: string[] = [];
      for (const [name, arity] of ops) {
        const program = single(name, dtype, arity, [n]);
        if (compileFused(program, 0) === undefined) {
          missing.push(name);
          continue;
        }
        const inputs = Array.from({ length: arity }, (_, j) =>
          view(
            dtype,
            values(n, j).map((v, i) => (i === 3 ? 0 : i === 5 ? -0 : v)),
            [n],
          ),
        );
        expectClose(run(program, inputs), reference(program, inputs), EXACT.has(name));
      }
      expect(missing).toEqual(NO_WASM_FORM[dtype]);
    });
  }

  it("a chain over odd lengths (whole vectors and a tail), stored or summed, matches the JS loop (generated)", () => {
    // t0 = sin(a); t1 = t0·b; t2 = a·a; t3 = t1 + t2; t5 = √|t3|; t6 = exp(t5) (then summed or stored;
    // exp(0) = 1, so a padding lane summed in would show)
    const chain = (dtype: Float, n: number, summed: boolean): FusedProgram => ({
      ops: [
        { name: "sin", args: [{ input: 0 }], dtype },
        { name: "mul", args: [{ op: 0 }, { input: 1 }], dtype },
        { name: "mul", args: [{ input: 0 }, { input: 0 }], dtype },
        { name: "add", args: [{ op: 1 }, { op: 2 }], dtype },
        { name: "abs", args: [{ op: 3 }], dtype },
        { name: "sqrt", args: [{ op: 4 }], dtype },
        { name: "exp", args: [{ op: 5 }], dtype },
      ],
      inputs: 2,
      shape: [n],
      sum: summed,
      windows: [undefined, undefined],
    });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 70 }), fc.boolean(), fc.integer({ min: 0, max: 1000 }), (n, summed, seed) => {
        const program = chain("float32", n, summed);
        const inputs = [view("float32", values(n, seed), [n]), view("float32", values(n, seed + 1), [n])];
        expectClose(run(program, inputs), reference(program, inputs), false, summed ? 1e-5 : 1e-6);
      }),
    );
    // float64 without sin and exp (no float64 polynomials): IEEE only, so stored results are exact.
    const ieee: FusedProgram = {
      ...chain("float64", 13, false),
      ops: chain("float64", 13, false).ops.map((op) => (op.name === "sin" ? { ...op, name: "neg" } : op.name === "exp" ? { ...op, name: "relu" } : op)),
    };
    const inputs = [view("float64", values(13, 3), [13]), view("float64", values(13, 4), [13])];
    expectClose(run(ieee, inputs), reference(ieee, inputs), true);
  });

  it("reads a scalar (splat), a broadcast row and column (stride-0 axes), a transposed and an offset view", () => {
    const program: FusedProgram = {
      ops: [
        { name: "mul", args: [{ input: 0 }, { input: 1 }], dtype: "float32" },
        { name: "add", args: [{ op: 0 }, { input: 2 }], dtype: "float32" },
        { name: "sub", args: [{ op: 1 }, { input: 3 }], dtype: "float32" },
        { name: "maximum", args: [{ op: 2 }, { input: 4 }], dtype: "float32" },
      ],
      inputs: 5,
      shape: [5, 7],
      sum: false,
      windows: [undefined, undefined, undefined, undefined, undefined],
    };
    const inputs = [
      view("float32", [2.5], [5, 7], [0, 0]), // a scalar
      view("float32", values(7, 1), [5, 7], [0, 1]), // a row [7] broadcast over 5 rows
      view("float32", values(5, 2), [5, 7], [1, 0]), // a column [5, 1]
      view("float32", values(35, 3), [5, 7], [1, 5]), // the transpose of a [7, 5]
      view("float32", values(40, 4), [5, 7], undefined, 5), // contiguous from offset 5
    ];
    expectClose(run(program, inputs), reference(program, inputs), true);
  });

  it("reads overlapping runs of one storage (x[0:n−1] and x[2:n+1], staged once) and a transposed view of it", () => {
    const storage = Float32Array.from(values(40, 9));
    const at = (offset: number, strides: readonly number[] = [1]): View => ({ storage, dtype: "float32", shape: [37], strides, offset });
    for (const summed of [false, true]) {
      const program: FusedProgram = {
        ops: [
          { name: "sub", args: [{ input: 0 }, { input: 1 }], dtype: "float32" },
          { name: "mul", args: [{ op: 0 }, { input: 2 }], dtype: "float32" },
        ],
        inputs: 3,
        shape: [37],
        sum: summed,
        windows: [undefined, undefined, undefined],
      };
      const inputs = [at(0), at(2), at(3)];
      expectClose(run(program, inputs), reference(program, inputs), !summed, 1e-6);
    }
  });

  it("reads a windowed input as zeros outside its box (the slice gradient), stored or summed", () => {
    const window: FusedWindow = { start: [1, 2], size: [2, 3] };
    const program = (summed: boolean): FusedProgram => ({
      ops: [
        { name: "add", args: [{ input: 0 }, { input: 1 }], dtype: "float64" },
        { name: "mul", args: [{ op: 0 }, { input: 1 }], dtype: "float64" },
      ],
      inputs: 2,
      shape: [4, 6],
      sum: summed,
      windows: [window, undefined],
    });
    const inputs = [view("float64", values(6, 5), [2, 3]), view("float64", values(24, 6), [4, 6])];
    for (const summed of [false, true]) expectClose(run(program(summed), inputs), reference(program(summed), inputs), !summed, 1e-12);
  });

  it("declines what it has no form for: another dtype, an op without a SIMD body, a short loop, sin/cos beyond the polynomials' range", () => {
    expect(compileFused({ ...single("add", "float32", 2, [1000]), ops: [{ name: "add", args: [{ input: 0 }, { input: 1 }], dtype: "int32" }] }, 0)).toBeUndefined();
    expect(compileFused(single("atan2", "float32", 2, [1000]), 0)).toBeUndefined();
    expect(compileFused(single("add", "float32", 2, [100]))).toBeUndefined(); // under the default minimum size
    expect(compileFused(single("add", "float32", 2, [1000]))).toBeDefined();
    const kernel = compileFused(single("sin", "float32", 1, [9]), 0);
    const far = view("float32", [0, 1, 2, 3, TRIG_LIMIT * 4, 5, 6, 7, 8], [9]);
    expect(kernel?.([far], new Float32Array(9))).toBe(false);
    expect(backendKernels("cpu").compileFused).toBeUndefined();
  });

  it("under jit: code=wasm in the program text on wasm, the JS loop on cpu and for a group without a wasm form; the same values", () => {
    const n = 1001;
    const x = tensor(Float32Array.from(values(n, 7)));
    const y = tensor(Float32Array.from(values(n, 8)));
    const f = (a: Tensor, b: Tensor) => sum(add(mul(sin(a), b), mul(a, a)));
    expect(onBackend("wasm", () => String(jit(f).lower(x, y)))).toContain("fused[ops=(sin,mul,mul,add,sum), code=wasm]");
    expect(onBackend("cpu", () => String(jit(f).lower(x, y)))).toContain("fused[ops=(sin,mul,mul,add,sum)] a b");
    const got = onBackend("wasm", () => jit(f)(x, y).item());
    const want = onBackend("cpu", () => jit(f)(x, y).item());
    expect(Math.abs(got - want)).toBeLessThanOrEqual(Math.abs(want) * 1e-5);
    // atan2 has no SIMD body: its group is the JS loop on wasm too.
    const g = (a: Tensor, b: Tensor) => mul(atan2(a, b), a);
    const text = onBackend("wasm", () => String(jit(g).lower(x, y)));
    expect(text).toContain("fused[ops=(atan2,mul)]");
    expect(text).not.toContain("code=wasm");
  });
});

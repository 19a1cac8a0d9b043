/**
 * Issue 18's elementwise functions and activations against PyTorch: values and gradients of
 * sum(w · f(inputs)) in float64 (to 1e-10, relative), the values from float32 inputs (to 1e-5), and
 * the values at the edges (±0, ±∞, NaN, domain edges). The data is test/golden/ops18.json, written once by test/golden/ops18.py.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as ops from "../../src/tensor/index.js";
import type { Tensor } from "../../src/tensor/index.js";
import { f64, flat } from "../support/tensors.js";

type Encoded = number | string | Encoded[];
interface Case {
  readonly inputs: Encoded[];
  readonly shapes: number[][];
  readonly value: Encoded;
  readonly weight: Encoded;
  readonly grads: Encoded[];
  readonly options?: number[];
}
interface Golden {
  readonly edgeInputs: Encoded;
  readonly cases: Record<string, Case>;
  readonly edges: Record<string, Encoded | Record<string, Encoded>>;
}

const golden = JSON.parse(readFileSync(new URL("../golden/ops18.json", import.meta.url), "utf8")) as Golden;
const SPECIAL: Record<string, number> = { "NaN": NaN, "Infinity": Infinity, "-Infinity": -Infinity, "-0": -0 };
const decode = (v: Encoded): number[] => (Array.isArray(v) ? v.flatMap(decode) : [typeof v === "string" ? SPECIAL[v] : v]);

type Fn = (...xs: Tensor[]) => Tensor;
const withOptions =
  (f: (x: Tensor, ...options: number[]) => Tensor) =>
  (options: number[] = []): Fn =>
  (x) =>
    f(x, ...options);

const FUNCTIONS: Record<string, (options?: number[]) => Fn> = {
  cbrt: () => ops.cbrt,
  expm1: () => ops.expm1,
  log1p: () => ops.log1p,
  log2: () => ops.log2,
  log10: () => ops.log10,
  tan: () => ops.tan,
  asin: () => ops.asin,
  acos: () => ops.acos,
  atan: () => ops.atan,
  sinh: () => ops.sinh,
  cosh: () => ops.cosh,
  asinh: () => ops.asinh,
  acosh: () => ops.acosh,
  atanh: () => ops.atanh,
  floor: () => ops.floor,
  ceil: () => ops.ceil,
  round: () => ops.round,
  trunc: () => ops.trunc,
  square: () => ops.square,
  reciprocal: () => ops.reciprocal,
  silu: () => ops.silu,
  mish: () => ops.mish,
  softsign: () => ops.softsign,
  selu: () => ops.selu,
  logsigmoid: () => ops.logsigmoid,
  hardswish: () => ops.hardswish,
  hardsigmoid: () => ops.hardsigmoid,
  relu6: () => ops.relu6,
  leakyRelu: withOptions(ops.leakyRelu),
  elu: withOptions(ops.elu),
  celu: withOptions(ops.celu),
  hardtanh: withOptions(ops.hardtanh),
  atan2: () => ops.atan2,
  hypot: () => ops.hypot,
  logaddexp: () => ops.logaddexp,
  fmod: () => ops.fmod,
  remainder: () => ops.remainder,
  lerp: () => ops.lerp,
  prelu: () => ops.prelu,
  glu: () => (x) => ops.glu(x, -1),
};

/**
 * Where PyTorch's float64 gradient is computed with a float32 constant (hardsigmoid's 1/6 and celu's
 * 1/α are float literals in its kernels), it is good to ~1e-7 only: compared to that.
 */
const GRADIENT_RTOL: Record<string, number> = { hardsigmoid: 1e-7, celu: 1e-7 };
/** Deliberate differences at the edges: hardswish(−∞) is 0, the limit, where PyTorch's −∞·0 gives NaN. */
const EDGE_OVERRIDES: Record<string, (x: number, torch: number) => number> = { hardswish: (x, torch) => (x === -Infinity ? 0 : torch) };

/** Equal within `rtol` relative to max(1, |expected|); NaN equals NaN, infinities match exactly; the sign of zero is not compared. */
function expectClose(actual: number[], expected: number[], rtol: number, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  actual.forEach((a, i) => {
    const e = expected[i];
    if (Number.isNaN(e) || !Number.isFinite(e)) expect(a, `${what}[${i}]`).toBe(e);
    else expect(Math.abs(a - e), `${what}[${i}]: ${a} vs ${e}`).toBeLessThanOrEqual(rtol * Math.max(1, Math.abs(e)));
  });
}

describe("issue 18's functions against PyTorch (float64)", () => {
  it("covers every case of the data and nothing else", () => {
    expect(Object.keys(golden.cases).sort()).toEqual(Object.keys(FUNCTIONS).sort());
  });

  for (const [name, c] of Object.entries(golden.cases)) {
    it(`${name}: value and gradient`, () => {
      const f = FUNCTIONS[name](c.options);
      const inputs = c.inputs.map((x, i) => f64(decode(x), c.shapes[i]));
      expectClose(flat(f(...inputs)), decode(c.value), 1e-10, `${name} value`);
      const w = f64(decode(c.weight), [...f(...inputs).shape]);
      const argnums = inputs.map((_, i) => i);
      const grads = ops.grad((...xs: Tensor[]) => ops.sum(ops.mul(f(...xs), w)), { argnums })(...inputs) as Tensor[];
      (Array.isArray(grads) ? grads : [grads]).forEach((g, i) => expectClose(flat(g), decode(c.grads[i]), GRADIENT_RTOL[name] ?? 1e-10, `${name} gradient ${i}`));
    });
  }
});

describe("issue 18's functions from float32 inputs (values to 1e-5 of PyTorch's float64)", () => {
  for (const [name, c] of Object.entries(golden.cases)) {
    it(name, () => {
      const inputs = c.inputs.map((x, i) => ops.cast(f64(decode(x), c.shapes[i]), "float32"));
      const y = FUNCTIONS[name](c.options)(...inputs);
      expect(y.dtype).toBe("float32");
      expectClose(flat(y), decode(c.value), 1e-5, `${name} value`);
    });
  }
});

describe("issue 18's functions at the edges against PyTorch", () => {
  const x = f64(decode(golden.edgeInputs), [decode(golden.edgeInputs).length]);
  for (const [name, expected] of Object.entries(golden.edges)) {
    if (name in FUNCTIONS && Array.isArray(expected)) {
      const override = EDGE_OVERRIDES[name] ?? ((_: number, torch: number) => torch);
      const inputs = flat(x);
      it(`${name} on ±0, ±∞, NaN`, () =>
        expectClose(
          flat(FUNCTIONS[name](golden.cases[name].options)(x)),
          decode(expected).map((t, i) => override(inputs[i], t)),
          1e-12,
          name,
        ));
    } else if (name in FUNCTIONS) {
      const e = expected as Record<string, Encoded>;
      it(`${name} on every pair of ±0, ±1, ±∞, NaN, ±2.5`, () => {
        const a = decode(e.a);
        expectClose(flat(FUNCTIONS[name]()(f64(a, [a.length]), f64(decode(e.b), [a.length]))), decode(e.value), 1e-12, name);
      });
    }
  }
  it("isnan, isinf, isfinite", () => {
    for (const name of ["isnan", "isinf", "isfinite"] as const) expect(flat(ops[name](x)), name).toEqual(decode(golden.edges[name] as Encoded));
  });
  it("logicalAnd, logicalOr, logicalXor, logicalNot", () => {
    const e = golden.edges.logical as Record<string, Encoded>;
    const a = f64(decode(e.a), [decode(e.a).length]);
    const b = f64(decode(e.b), [decode(e.b).length]);
    for (const name of ["logicalAnd", "logicalOr", "logicalXor"] as const) expect(flat(ops[name](a, b)), name).toEqual(decode(e[name]));
    expect(flat(ops.logicalNot(a))).toEqual(decode(e.logicalNot));
  });
});
